import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readAttemptReward } from '../algorithm/index.ts';
import type { AttemptReward } from '../algorithm/index.ts';
import { StoreClient } from '../store/index.ts';

/** Read-only SQL over the collector's tables: rows as objects keyed by column name. */
export interface CommandSql {
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** A reward the command printed as its last stdout line. */
export type PrintedReward = { value: number } | { dimensions: Record<string, number> };

/**
 * Reads a reward from a command's stdout: its last non-empty line, when that is a number (`0.75`)
 * or a JSON object `{"reward": 0.75}` / `{"reward": {"accuracy": 1, "cost": 0.2}}` (named
 * dimensions, the first one primary). Anything else: `null`.
 */
export function parsePrintedReward(stdout: string): PrintedReward | null {
  const lines = stdout.split(/\r?\n/);
  let last: string | undefined;
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.trim();
    if (line !== '') {
      last = line;
      break;
    }
  }
  if (last === undefined) return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(last)) {
    const value = Number(last);
    return Number.isFinite(value) ? { value } : null;
  }
  if (!last.startsWith('{')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !('reward' in parsed)) return null;
  const reward = (parsed as { reward: unknown }).reward;
  if (typeof reward === 'number') return Number.isFinite(reward) ? { value: reward } : null;
  if (typeof reward !== 'object' || reward === null || Array.isArray(reward)) return null;
  const entries = Object.entries(reward);
  if (entries.length === 0 || !entries.every(([, value]) => typeof value === 'number' && Number.isFinite(value))) return null;
  return { dimensions: Object.fromEntries(entries) as Record<string, number> };
}

/** What a {@link CommandGrader} is given: the task and what the attempt's recorded LLM calls say. */
export interface CommandGraderInput<TTask = unknown> {
  /** The rollout's task. */
  task: TTask;
  /**
   * The text of the last answer the model gave in the attempt (its last LLM call's first output
   * message), or `null` when it made no recorded call or that answer had no text.
   */
  finalAnswer: string | null;
  /** The last LLM call's conversation in OpenAI chat format: its input messages, then its answer. */
  messages: unknown[];
  /** Every recorded LLM call of the attempt, in order (`llm_calls` rows: `model`, `input_messages`, `output_messages`, tokens…). */
  calls: Record<string, unknown>[];
  /** The command's stdout (its last bytes, within the output bound). */
  stdout: string;
  rolloutId: string;
  attemptId: string;
}

/** Grades an attempt from its traces: returns the reward (a finite number). */
export type CommandGrader<TTask = unknown> = (input: CommandGraderInput<TTask>) => number | Promise<number>;

/**
 * Imports a grader module (TypeScript through tsx, or JavaScript): its default export, else its
 * export named `grader`, a function `({ task, finalAnswer, messages, calls, stdout }) => number`.
 */
export async function loadGrader(path: string): Promise<CommandGrader> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; grader?: unknown };
  const exported = module.default ?? module.grader;
  if (typeof exported !== 'function') {
    throw new TypeError(`${path} exports no grader: export a function ({ task, finalAnswer, messages }) => number as the default export or as \`grader\``);
  }
  return exported as CommandGrader;
}

/** The final reward of an attempt from the `final_rewards` view (the one definition), with its dimensions. */
export function readCommandReward(sql: CommandSql, rolloutId: string, attemptId: string): Promise<AttemptReward> {
  // readAttemptReward only uses its store to find SQL access, which is given here.
  return readAttemptReward(null as never, rolloutId, attemptId, sql as never);
}

/** The attempt's recorded LLM calls (`llm_calls`), in sequence order then time. */
export async function readAttemptLlmCalls(sql: CommandSql, rolloutId: string, attemptId: string): Promise<Record<string, unknown>[]> {
  return sql.query(
    `SELECT span_id, sequence_id, model, input_messages, output_messages, input_tokens, output_tokens, convention, start_time, end_time
     FROM llm_calls WHERE rollout_id = ${sqlLiteral(rolloutId)} AND attempt_id = ${sqlLiteral(attemptId)}
     ORDER BY sequence_id NULLS LAST, start_time`,
  );
}

/** The grader's view of the calls: the last call's conversation and its answer's text. */
export function graderViewOfCalls(calls: readonly Record<string, unknown>[]): { finalAnswer: string | null; messages: unknown[] } {
  const last = calls.at(-1);
  if (!last) return { finalAnswer: null, messages: [] };
  const input = asArray(last.input_messages);
  const output = asArray(last.output_messages);
  const answer = output[0] as { content?: unknown } | undefined;
  return { finalAnswer: messageText(answer?.content), messages: [...input, ...output] };
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value) as unknown;
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  }
  return [];
}

function messageText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.map((part) => (typeof part === 'string' ? part : typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : '')).filter((text) => text !== '');
    return texts.length > 0 ? texts.join('') : null;
  }
  return null;
}

function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Options of {@link HttpCommandSql}. */
export interface HttpCommandSqlOptions {
  /** The collector, e.g. `http://127.0.0.1:4318`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. @default none */
  token?: string;
  /** Each query's time limit, waits for a turn included. @default 30000 */
  timeoutMillis?: number;
}

/**
 * {@link CommandSql} over the collector's `POST /v1/agl/sql`. The collector runs few user queries
 * at once and answers 429 (or 503) with `Retry-After` beyond them: such answers are waited out and
 * retried within the time limit, since every finished rollout of every runner asks once.
 */
export class HttpCommandSql implements CommandSql {
  readonly #client: StoreClient;

  constructor(options: HttpCommandSqlOptions) {
    this.#client = new StoreClient({
      baseUrl: options.baseUrl,
      token: options.token ?? '',
      timeoutMillis: options.timeoutMillis ?? 30_000,
      retryDelayMillis: 50,
    });
  }

  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.#client.sqlRows(sql, { maxRows: 100_000, waitWhileBusy: true });
  }
}
