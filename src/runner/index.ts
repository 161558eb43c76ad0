export { abortableSleep } from './abortable-sleep.ts';
export { FailureLog, describeFailure } from './failure-log.ts';
export { loadAgent, toAgent } from './load-agent.ts';
export { Runner, RunnerStoppedError } from './runner.ts';
export { RunnerPool } from './runner-pool.ts';
export type { RunnerOptions, RunnerStats, RunnerStore, SpanFlusher, StopOptions } from './runner.ts';
export type { RunnerPoolOptions } from './runner-pool.ts';
export type { FailureDescription, FailureRecord } from './failure-log.ts';
