import { context as otelContext } from '@opentelemetry/api';
import { AgentResources, PromptTemplate, renderTaskPrompt, toResourceJson } from '../agent/index.ts';
import type { Agent, RunContext, RunOutcome } from '../agent/index.ts';
import { createLogger } from '../logging/index.ts';
import type { Logger } from '../logging/index.ts';
import { StoreClient } from '../store/index.ts';
import { AGL_ROLLOUT_MODE, RolloutScope, emitReward, setRolloutScope, traceRollout } from '../tracing/index.ts';
import { commandEnvironment } from './command-environment.ts';
import { CommandExitError, CommandGraderError, CommandNoRewardError, CommandSpawnError, CommandTimeoutError } from './command-errors.ts';
import { runCommandProcess } from './command-process.ts';
import type { CommandProcessResult } from './command-process.ts';
import { HttpCommandSql, graderViewOfCalls, parsePrintedReward, readAttemptLlmCalls, readCommandReward } from './command-reward.ts';
import type { CommandGrader, CommandSql, PrintedReward } from './command-reward.ts';
import type { RunnerStore } from './runner.ts';

/** Where an attempt's reward came from. */
export type CommandRewardSource = 'span' | 'stdout' | 'grader';

/** What a {@link CommandAgent}'s run returns as its output. */
export interface CommandOutput {
  /** The command's exit code (0: only successful runs return). */
  exitCode: number;
  /** The last non-empty line of its stdout, if any. */
  lastLine: string | null;
  /** Where the reward came from. */
  rewardSource: CommandRewardSource;
  /** Every dimension of the reward, by name (the primary one first). */
  dimensions: Record<string, number>;
}

/** How to run an agent that is a command line (any language): the command and its limits. */
export interface CommandSpec {
  /** The command line, run once per rollout with `sh -c` in its own process group, e.g. `python3 agent.py`. */
  command: string;
  /**
   * The process group is killed (SIGTERM, then SIGKILL after `killGraceMillis`) after this long,
   * and the attempt fails. @default the rollout's `config.timeout_seconds`, else no limit
   */
  timeoutSeconds?: number | null;
  /** The command's working directory. @default the current one */
  cwd?: string;
  /** Variables added to the inherited environment (the contract's variables are set over them). @default none */
  env?: Record<string, string>;
  /**
   * Grades an attempt from its recorded LLM calls when the command gave no reward itself (no reward
   * span, no reward on its last stdout line). @default none
   */
  grader?: CommandGrader | null;
  /** Bytes kept of each of stdout and stderr (the last ones); the rest is dropped, never buffered. @default 1048576 */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL when the process group is killed. @default 2000 */
  killGraceMillis?: number;
}

/** Options of {@link CommandAgent}. */
export interface CommandAgentOptions extends CommandSpec {
  /** The collector's base URL: `AGL_SERVER`, the gateway's base and where the reward is read. */
  server: string;
  /** The collector's bearer token. @default `AGL_TOKEN` when set */
  token?: string;
  /**
   * Where the command's OpenTelemetry SDK sends its telemetry (`OTEL_EXPORTER_OTLP_ENDPOINT`), e.g.
   * an OpenTelemetry Collector in front of the collector. @default `server`
   */
  otlpEndpoint?: string;
  /** SQL over the collector's tables (the reward, the LLM calls). @default `POST {server}/v1/agl/sql` */
  sql?: CommandSql;
  /** Gives the reward span its sequence id after the command's own spans. @default a `StoreClient` of `server` */
  store?: Pick<RunnerStore, 'getNextSpanSequenceId'>;
  /**
   * The gateway's recorder, flushed once the command has exited and before the reward is read, so
   * that the command's calls through the gateway are in `llm_calls` for the grader and for whoever
   * reads the attempt once it is reported: the in-process collector's `collector.gatewayRecorder`.
   * @default `POST {server}/v1/agl/gateway/flush`
   */
  gatewayRecorder?: { flush(): Promise<void> };
  /** @default a stderr logger at `warn` */
  logger?: Logger;
}

const URL_PATTERN = /^https?:\/\/[^/]/;

/** Checks a {@link CommandSpec}; throws a `TypeError` / `RangeError` naming the bad field. */
export function checkCommandSpec(spec: CommandSpec, what = 'command'): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`Expected \`${what}\` to be an object with a \`command\``);
  if (typeof spec.command !== 'string' || spec.command.trim() === '') throw new TypeError(`Expected \`${what}.command\` to be a non-empty command line, got \`${String(spec.command)}\``);
  const timeout = spec.timeoutSeconds;
  if (timeout !== undefined && timeout !== null && !(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
    throw new RangeError(`Expected \`${what}.timeoutSeconds\` to be a number > 0 or null, got \`${timeout}\``);
  }
  if (spec.cwd !== undefined && typeof spec.cwd !== 'string') throw new TypeError(`Expected \`${what}.cwd\` to be a path, got \`${String(spec.cwd)}\``);
  if (spec.env !== undefined) {
    if (typeof spec.env !== 'object' || spec.env === null) throw new TypeError(`Expected \`${what}.env\` to be an object of strings`);
    for (const [name, value] of Object.entries(spec.env)) {
      if (typeof value !== 'string') throw new TypeError(`Expected \`${what}.env.${name}\` to be a string, got \`${typeof value}\``);
    }
  }
  if (spec.grader != null && typeof spec.grader !== 'function') throw new TypeError(`Expected \`${what}.grader\` to be a function`);
  const maxOutputBytes = spec.maxOutputBytes;
  if (maxOutputBytes !== undefined && !(Number.isInteger(maxOutputBytes) && maxOutputBytes >= 1024)) {
    throw new RangeError(`Expected \`${what}.maxOutputBytes\` to be an integer ≥ 1024, got \`${maxOutputBytes}\``);
  }
  const grace = spec.killGraceMillis;
  if (grace !== undefined && !(typeof grace === 'number' && grace >= 0 && Number.isFinite(grace))) {
    throw new RangeError(`Expected \`${what}.killGraceMillis\` to be a number ≥ 0, got \`${grace}\``);
  }
}

/**
 * An agent that is a command line, in any language: each rollout runs the command once, in its own
 * process group, with the rollout in its environment (the contract of `docs/runner-protocol.md`):
 * `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_RESOURCE_ATTRIBUTES` (the rollout's ids) so that any
 * OpenTelemetry SDK records into the rollout, `OPENAI_BASE_URL` at the collector's gateway for the
 * attempt so that any OpenAI client's calls are recorded, and `AGL_ROLLOUT_ID`, `AGL_ATTEMPT_ID`,
 * `AGL_SERVER`, `AGL_TASK`, `AGL_PROMPT` (the prompt template rendered for the task),
 * `AGL_PROMPT_TEMPLATE`, `AGL_RESOURCES`, `AGL_ROLLOUT_MODE`; the task as JSON on stdin.
 *
 * The reward is, in order: the attempt's final reward from a reward span the command emitted (the
 * `final_rewards` view); else its last stdout line when it is a number or `{"reward": …}` (a number,
 * or named dimensions, the first primary); else what the `grader` makes of the attempt's recorded
 * LLM calls. The last two are recorded as a reward span, like any agent's. A non-zero exit, a
 * timeout or no reward at all fails the attempt, with the command's stderr tail as the error.
 * Any runner runs it: `new Runner({ store, agent: new CommandAgent({ command, server }), tracer })`.
 */
export class CommandAgent implements Agent<unknown, CommandOutput> {
  readonly command: string;
  readonly server: string;
  readonly #spec: CommandSpec;
  readonly #token: string | undefined;
  readonly #otlpEndpoint: string;
  readonly #sql: CommandSql;
  readonly #store: Pick<RunnerStore, 'getNextSpanSequenceId'>;
  readonly #logger: Logger;
  readonly #gatewayRecorder: { flush(): Promise<void> };
  #warnedPrompt = false;

  constructor(options: CommandAgentOptions) {
    checkCommandSpec(options, 'options');
    if (typeof options.server !== 'string' || !URL_PATTERN.test(options.server)) throw new TypeError(`Expected \`server\` to be an http(s) URL, got \`${String(options.server)}\``);
    if (options.otlpEndpoint !== undefined && !URL_PATTERN.test(options.otlpEndpoint)) {
      throw new TypeError(`Expected \`otlpEndpoint\` to be an http(s) URL, got \`${options.otlpEndpoint}\``);
    }
    this.command = options.command;
    this.server = options.server.replace(/\/+$/, '');
    this.#spec = { ...options };
    this.#token = options.token ?? process.env.AGL_TOKEN;
    this.#otlpEndpoint = (options.otlpEndpoint ?? this.server).replace(/\/+$/, '');
    this.#sql = options.sql ?? new HttpCommandSql({ baseUrl: this.server, token: this.#token });
    const client = new StoreClient({ baseUrl: this.server, token: this.#token });
    this.#store = options.store ?? client;
    this.#logger = options.logger ?? createLogger('warn');
    this.#gatewayRecorder = options.gatewayRecorder ?? { flush: async () => void (await client.flushGateway()) };
  }

  /** Runs the command for one attempt; see the class. Rejects (the attempt fails) on any failure. */
  async run(task: unknown, runContext: RunContext): Promise<RunOutcome<CommandOutput>> {
    const { rolloutId, attemptId } = runContext;
    const mode = runContext.mode !== undefined ? runContext.mode : (runContext.rollout?.mode ?? null);
    const resources = AgentResources.from(runContext.resources, runContext.resourcesId ?? runContext.rollout?.resources_id ?? null);
    const attributes = { ...(mode ? { [AGL_ROLLOUT_MODE]: mode } : {}), 'process.command_line': this.command };
    return traceRollout({ rolloutId, attemptId, firstSequenceId: runContext.firstSequenceId, attributes }, async (span) => {
      const prompt = this.#promptOf(resources, task);
      const taskJson = JSON.stringify(task ?? null);
      const env = commandEnvironment({
        base: { ...process.env, ...this.#spec.env, ...(mode ? { AGL_ROLLOUT_MODE: mode } : {}) },
        server: this.server,
        otlpEndpoint: this.#otlpEndpoint,
        token: this.#token,
        rolloutId,
        attemptId,
        taskJson,
        resourcesJson: JSON.stringify(resourcesJsonOf(resources)),
        prompt: prompt.rendered,
        promptTemplate: prompt.template,
      });
      const timeoutSeconds = this.#spec.timeoutSeconds !== undefined ? this.#spec.timeoutSeconds : (runContext.rollout?.config?.timeout_seconds ?? null);
      const timeoutMillis = timeoutSeconds === null ? null : timeoutSeconds * 1000;
      const result = await runCommandProcess({
        command: this.command,
        env,
        cwd: this.#spec.cwd,
        stdin: `${taskJson}\n`,
        timeoutMillis,
        signal: runContext.signal,
        maxOutputBytes: this.#spec.maxOutputBytes,
        killGraceMillis: this.#spec.killGraceMillis,
      });
      if (result.pid !== null) span.setAttribute('process.pid', result.pid);
      if (result.end.kind === 'exited') span.setAttribute('process.exit.code', result.end.code);
      if (result.stdoutDroppedBytes > 0) span.setAttribute('agentlightning.command.stdout_dropped_bytes', result.stdoutDroppedBytes);
      if (result.stderrDroppedBytes > 0) span.setAttribute('agentlightning.command.stderr_dropped_bytes', result.stderrDroppedBytes);
      this.#throwUnlessExitedWell(result, timeoutMillis);
      if (result.stderr.trim() !== '') this.#logger.debug(`Command of rollout ${rolloutId}: stderr:\n${result.stderr.trimEnd().slice(-2000)}`);
      const output = await this.#reward(task, rolloutId, attemptId, result);
      span.setAttribute('agentlightning.command.reward_source', output.rewardSource);
      return { output, reward: output.dimensions[Object.keys(output.dimensions)[0]!] ?? null };
    });
  }

  #throwUnlessExitedWell(result: CommandProcessResult, timeoutMillis: number | null): void {
    const end = result.end;
    switch (end.kind) {
      case 'exited':
        if (end.code !== 0) throw new CommandExitError(this.command, end.code, null, result.stderr);
        return;
      case 'signalled':
        throw new CommandExitError(this.command, null, end.signal, result.stderr);
      case 'timed-out':
        throw new CommandTimeoutError(this.command, timeoutMillis ?? 0, result.stderr);
      case 'aborted':
        throw end.reason instanceof Error ? end.reason : new Error(`Command \`${this.command}\` was stopped: ${String(end.reason)}`);
      case 'spawn-failed':
        throw new CommandSpawnError(this.command, end.error);
    }
  }

  /** The reward, in order: the command's reward span, its last stdout line, the grader. */
  async #reward(task: unknown, rolloutId: string, attemptId: string, result: CommandProcessResult): Promise<CommandOutput> {
    const lastLine = lastLineOf(result.stdout);
    // The gateway batches its records; the command's calls are answered, so one flush stores them all.
    await this.#gatewayRecorder.flush();
    const recorded = await readCommandReward(this.#sql, rolloutId, attemptId);
    if (recorded.reward !== null) {
      return { exitCode: 0, lastLine, rewardSource: 'span', dimensions: recorded.dimensions };
    }
    const printed = parsePrintedReward(result.stdout);
    if (printed) {
      await this.#emit(rolloutId, attemptId, printed);
      return { exitCode: 0, lastLine, rewardSource: 'stdout', dimensions: 'value' in printed ? { primary: printed.value } : printed.dimensions };
    }
    const grader = this.#spec.grader;
    if (!grader) throw new CommandNoRewardError(this.command, lastLine, result.stderr);
    const calls = await readAttemptLlmCalls(this.#sql, rolloutId, attemptId);
    const view = graderViewOfCalls(calls);
    let value: unknown;
    try {
      value = await grader({ task, finalAnswer: view.finalAnswer, messages: view.messages, calls, stdout: result.stdout, rolloutId, attemptId });
    } catch (error) {
      throw new CommandGraderError(this.command, `The grader threw: ${(error as Error)?.message ?? String(error)}`, result.stderr, { cause: error });
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new CommandGraderError(this.command, `The grader returned \`${String(value)}\`, not a finite number`, result.stderr);
    }
    await this.#emit(rolloutId, attemptId, { value });
    return { exitCode: 0, lastLine, rewardSource: 'grader', dimensions: { primary: value } };
  }

  /** Emits the reward span, with a sequence id after every span of the attempt stored so far (the command's, the gateway's). */
  async #emit(rolloutId: string, attemptId: string, reward: PrintedReward): Promise<void> {
    let next: number | null = null;
    try {
      next = await this.#store.getNextSpanSequenceId(rolloutId, attemptId);
    } catch (error) {
      this.#logger.debug(`Command agent: no next sequence id for ${rolloutId} (${(error as Error).message}); the rollout's own is used`);
    }
    const emit = (): void => {
      if ('value' in reward) emitReward(reward.value);
      else emitReward({ dimensions: reward.dimensions });
    };
    if (next === null) emit();
    else otelContext.with(setRolloutScope(otelContext.active(), new RolloutScope(rolloutId, attemptId, next)), emit);
  }

  /** The prompt template of the resources and its rendering for the task (with its fields, else its `task_input`'s). */
  #promptOf(resources: AgentResources, task: unknown): { template: string | null; rendered: string | null } {
    let prompt: PromptTemplate;
    try {
      prompt = resources.prompt;
    } catch {
      return { template: null, rendered: null };
    }
    const rendering = renderTaskPrompt(prompt, task);
    if (rendering.text !== null) return { template: prompt.template, rendered: rendering.text };
    if (!this.#warnedPrompt) {
      this.#warnedPrompt = true;
      this.#logger.warn(`Command agent: the prompt template does not render for a task (${(rendering.error as Error).message}); AGL_PROMPT is left unset, AGL_PROMPT_TEMPLATE holds the template`);
    }
    return { template: prompt.template, rendered: null };
  }
}

function resourcesJsonOf(resources: AgentResources): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [name, resource] of Object.entries(resources.named)) json[name] = toResourceJson(resource);
  return json;
}

function lastLineOf(stdout: string): string | null {
  const lines = stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  return lines.at(-1) ?? null;
}
