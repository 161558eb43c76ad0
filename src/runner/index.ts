export { abortableSleep } from '../timers/index.ts';
export { CommandAgent, checkCommandSpec } from './command-agent.ts';
export { GATEWAY_PLACEHOLDER_API_KEY, appendRolloutResourceAttributes, commandEnvironment, encodeResourceAttributeValue, gatewayBaseUrl } from './command-environment.ts';
export {
  CommandAgentError,
  CommandExitError,
  CommandGraderError,
  CommandNoRewardError,
  CommandSpawnError,
  CommandTimeoutError,
} from './command-errors.ts';
export { runCommandProcess } from './command-process.ts';
export { HttpCommandSql, loadGrader, parsePrintedReward } from './command-reward.ts';
export { FailureLog, describeFailure } from './failure-log.ts';
export { loadAgent, toAgent } from './load-agent.ts';
export { Runner, RunnerStoppedError } from './runner.ts';
export { RunnerPool } from './runner-pool.ts';
export type { RunnerOptions, RunnerStats, RunnerStore, SpanFlusher, StopOptions } from './runner.ts';
export type { RunnerPoolOptions } from './runner-pool.ts';
export type { FailureDescription, FailureRecord } from './failure-log.ts';
export type { CommandAgentOptions, CommandOutput, CommandRewardSource, CommandSpec } from './command-agent.ts';
export type { CommandEnvironmentInput } from './command-environment.ts';
export type { CommandEnd, CommandProcessOptions, CommandProcessResult } from './command-process.ts';
export type { CommandGrader, CommandGraderInput, CommandSql, HttpCommandSqlOptions, PrintedReward } from './command-reward.ts';
