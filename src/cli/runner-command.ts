import { parseArgs } from 'node:util';
import { createLogger, parseLogLevel } from '../logging/index.ts';
import type { Logger } from '../logging/index.ts';
import { CommandAgent, RunnerPool, loadAgent, loadGrader } from '../runner/index.ts';
import type { Agent } from '../agent/index.ts';
import { StoreClient } from '../store/index.ts';
import { setupTracing } from '../tracing/index.ts';
import { UsageError } from './sql-command.ts';

export const RUNNER_USAGE = `Usage: agl runner --agent path/to/agent.ts [--server URL] [--runners N] [--token T]
       agl runner --command "python3 agent.py" [--timeout S] [--grader grader.ts] [--server URL] [--runners N]

Runs N runners in this process for a collector's store: each dequeues a rollout, runs the agent on
it with the rollout's resources, sends the spans over OTLP and reports the attempt. The agent
module's default export (or its export named \`agent\`) is the agent: a rollout(fn) or LitAgent
instance, a LitAgent class, or a function. SIGINT or SIGTERM stops taking rollouts and lets those
under way finish (a second signal aborts them).
  --agent PATH            the agent module (TypeScript or JavaScript)
  --command "CMD"         instead: a command line in any language, run once per rollout (sh -c, its own
                          process group) with OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_RESOURCE_ATTRIBUTES (the
                          rollout's ids), OPENAI_BASE_URL (the collector's gateway for the attempt),
                          AGL_ROLLOUT_ID, AGL_ATTEMPT_ID, AGL_SERVER, AGL_TASK, AGL_PROMPT, AGL_RESOURCES, and
                          the task as JSON on stdin. Its reward: a reward span it emits, else its last
                          stdout line (a number or {"reward": …}), else --grader; exit code ≠ 0 fails
  --timeout S             with --command: kill the command's process group after S seconds (default: the
                          rollout's timeout_seconds, else none)
  --grader PATH           with --command: a module whose default export ({task, finalAnswer, messages})
                          => number grades the attempt from its recorded LLM calls
  --cwd DIR               with --command: its working directory (default the current one)
  --server URL            the collector (default env AGL_SERVER, else http://127.0.0.1:4318)
  --runners N             concurrent runners (default 1)
  --token T               bearer token of a collector started with --token (env AGL_TOKEN)
  --heartbeat-seconds S   worker and attempt heartbeat interval (default 5)
  --grace-seconds S       on stop, how long rollouts under way may take before they are failed (default 30)
  --log-level L           debug, info, warn, error or silent (default info)`;

/** `agl runner`: runs until SIGINT or SIGTERM, then stops gracefully. */
export async function runnerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      agent: { type: 'string' },
      command: { type: 'string' },
      timeout: { type: 'string' },
      grader: { type: 'string' },
      cwd: { type: 'string' },
      server: { type: 'string' },
      runners: { type: 'string', default: '1' },
      token: { type: 'string' },
      'heartbeat-seconds': { type: 'string', default: '5' },
      'grace-seconds': { type: 'string', default: '30' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${RUNNER_USAGE}\n`);
    return 0;
  }
  if (!values.agent && !values.command) throw new UsageError('give the agent: --agent path/to/agent.ts or --command "python3 agent.py"');
  if (values.agent && values.command) throw new UsageError('give --agent or --command, not both');
  if (!values.command) {
    for (const flag of ['timeout', 'grader', 'cwd'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --command`);
  }
  let timeoutSeconds: number | undefined;
  if (values.timeout !== undefined) {
    timeoutSeconds = Number(values.timeout);
    if (!(timeoutSeconds > 0)) throw new UsageError(`--timeout must be a number of seconds > 0, got \`${values.timeout}\``);
  }
  const runners = /^\d+$/.test(values.runners ?? '') ? Number(values.runners) : Number.NaN;
  if (!(runners >= 1)) throw new UsageError(`--runners must be an integer ≥ 1, got \`${values.runners}\``);
  const heartbeatSeconds = Number(values['heartbeat-seconds']);
  if (!(heartbeatSeconds > 0)) throw new UsageError(`--heartbeat-seconds must be a positive number, got \`${values['heartbeat-seconds']}\``);
  const graceSeconds = Number(values['grace-seconds']);
  if (!(graceSeconds >= 0)) throw new UsageError(`--grace-seconds must be a number ≥ 0, got \`${values['grace-seconds']}\``);
  let logger: Logger;
  try {
    logger = createLogger(parseLogLevel(values['log-level'] ?? 'info'));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = (values.server ?? process.env.AGL_SERVER ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(server)) throw new UsageError(`--server must be an http(s) URL, got \`${server}\``);
  const token = values.token ?? process.env.AGL_TOKEN;

  // Set up before loading the agent: an agent module that calls setupTracing() joins this setup (spans to --server).
  const tracer = setupTracing({ endpoint: server, token, batch: { scheduledDelayMillis: 200 } });
  const agent: Agent = await (async (): Promise<Agent> => {
    if (values.agent) return loadAgent(values.agent);
    const grader = values.grader === undefined ? null : await loadGrader(values.grader);
    return new CommandAgent({ command: values.command!, timeoutSeconds, cwd: values.cwd, grader, server, token, logger });
  })().catch(async (error: unknown) => {
    await tracer.shutdown();
    throw error;
  });
  const pool = new RunnerPool({
    store: new StoreClient({ baseUrl: server, token }),
    agent,
    tracer,
    nRunners: runners,
    heartbeatIntervalMillis: heartbeatSeconds * 1000,
    logger,
  }).start();
  // The start-up line: scripts and tests wait for it.
  process.stdout.write(`agl runner: ${runners} runner(s) working for ${server} (workers ${pool.runners.map((runner) => runner.workerId).join(', ')})\n`);

  let signals = 0;
  const onSignal = (signal: string): void => {
    signals++;
    if (signals === 1) {
      logger.info(`${signal} received: no new rollouts; finishing those under way (up to ${graceSeconds} s)`);
      void pool.stop({ graceMillis: graceSeconds * 1000 });
    } else {
      logger.warn(`${signal} received again: aborting the rollouts under way`);
      void pool.stop({ graceMillis: 0 });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await pool.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tracer.shutdown();
  }
  const stats = pool.stats;
  const sum = (field: 'rollouts_succeeded' | 'rollouts_failed'): number => stats.reduce((total, item) => total + item[field], 0);
  logger.info(`Runners stopped: ${sum('rollouts_succeeded')} rollouts succeeded, ${sum('rollouts_failed')} failed`);
  const failures = pool.failureLog.summary();
  if (failures) logger.warn(failures);
  return 0;
}
