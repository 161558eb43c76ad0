import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ConflictError, NotFoundError } from '../errors/index.ts';
import type { DuckDBLightningStore } from '../store/index.ts';
import { GatewayNotConfiguredError } from './gateway-errors.ts';
import type { GatewayCallRecord } from './gateway-span.ts';
import { AGL_GATEWAY_PROMPT_APPLIED, AGL_GATEWAY_PROMPT_MODE, AGL_GATEWAY_STREAM, AGL_RESOURCES_ID } from './gateway-span.ts';
import { choicesOfAnswer, isRecord, promptToGenAiInputMessages, toGenAiInputMessages, toGenAiOutputMessages, tokenIdList } from './gen-ai-messages.ts';
import type { AssembledChoice } from './gen-ai-messages.ts';
import { applyPrompt, RolloutPromptCache } from './prompt-application.ts';
import { readUsage, StreamAssembler } from './stream-assembler.ts';
import type { AnswerUsage } from './stream-assembler.ts';
import { UpstreamClient } from './upstream-client.ts';
import type { UpstreamAnswer } from './upstream-client.ts';

/**
 * What the gateway reads of the store: the attempt of each call and the resources whose prompt it
 * applies, as they stand, without copies.
 */
export type GatewayStore = Pick<DuckDBLightningStore, 'readAttempt' | 'readResources'>;

/** Options of {@link LlmGateway}. */
export interface LlmGatewayOptions {
  /** The store whose attempts calls are recorded for. */
  store: GatewayStore;
  /** Where calls go once answered (see `GatewayRecorder`). */
  recorder: { record(call: GatewayCallRecord): void };
  /**
   * The upstream's OpenAI base URL (`http://127.0.0.1:8000/v1`); `null`: none, every call is
   * answered 503.
   * @default process.env.OPENAI_BASE_URL, else null
   */
  upstreamUrl?: string | null;
  /**
   * The key sent upstream as `Authorization: Bearer <key>`; `null`: none.
   * @default process.env.OPENAI_API_KEY, else null
   */
  upstreamApiKey?: string | null;
  /**
   * Send the client's own `Authorization` header upstream instead of {@link upstreamApiKey}.
   * @default false
   */
  forwardClientKey?: boolean;
  /**
   * The longest the upstream may stay silent before the call fails with 502 (to within a second).
   * @default 600000
   */
  upstreamIdleTimeoutMillis?: number;
  /**
   * The largest non-streamed answer kept to be recorded; a larger one is passed on whole but
   * recorded without its output messages.
   * @default 32 MiB
   */
  maxRecordedAnswerBytes?: number;
}

/** The attempt a call is made for, as the gateway checked it. */
export interface GatewayAttempt {
  rolloutId: string;
  attemptId: string;
  /** The rollout's task (`input`). */
  task: unknown;
  resourcesId: string | null;
}

/** One proxied model call. */
export interface GatewayCall {
  /** `chat` (`/chat/completions`) or `text_completion` (`/completions`). */
  operation: 'chat' | 'text_completion';
  /** The path under the upstream's base URL, with the client's query string. */
  path: string;
  /** The parsed request body. */
  body: Record<string, unknown>;
  /** The body as received (sent upstream unchanged unless a prompt is applied). */
  rawBody: Uint8Array;
  /** The attempt, or `null` on the plain recording base. */
  attempt: GatewayAttempt | null;
  request: IncomingMessage;
  response: ServerResponse;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
// Client headers an OpenAI-compatible server may read, passed on as they are.
const PASSED_REQUEST_HEADERS = ['user-agent', 'openai-organization', 'openai-project', 'openai-beta', 'idempotency-key'];

/**
 * The LLM gateway: an OpenAI-compatible proxy that passes each call to the upstream model (streams
 * chunk by chunk, errors with their status and body) and records it as a GenAI span for its
 * rollout's attempt, optionally with the rollout's prompt applied (see `prompt-application.ts`).
 */
export class LlmGateway {
  readonly #store: GatewayStore;
  readonly #recorder: { record(call: GatewayCallRecord): void };
  readonly #upstream: UpstreamClient | null;
  readonly #apiKey: string | null;
  readonly #forwardClientKey: boolean;
  readonly #maxRecordedAnswerBytes: number;
  readonly #prompts = new RolloutPromptCache();

  constructor(options: LlmGatewayOptions) {
    this.#store = options.store;
    this.#recorder = options.recorder;
    const upstreamUrl = options.upstreamUrl === undefined ? process.env.OPENAI_BASE_URL || null : options.upstreamUrl;
    this.#upstream = upstreamUrl ? new UpstreamClient({ baseUrl: upstreamUrl, idleTimeoutMillis: options.upstreamIdleTimeoutMillis }) : null;
    this.#apiKey = options.upstreamApiKey === undefined ? process.env.OPENAI_API_KEY || null : options.upstreamApiKey;
    this.#forwardClientKey = options.forwardClientKey ?? false;
    this.#maxRecordedAnswerBytes = options.maxRecordedAnswerBytes ?? 32 * 1024 * 1024;
  }

  /** The upstream's base URL, or `null` when none is configured. */
  get upstreamUrl(): string | null {
    return this.#upstream?.baseUrl.href ?? null;
  }

  /**
   * The attempt `attemptId` of rollout `rolloutId`, checked: `NotFoundError` (404) when either is
   * unknown, `ConflictError` (409) when the attempt is finished (succeeded, failed, timed out) or
   * the rollout is (succeeded, failed, cancelled).
   */
  resolveAttempt(rolloutId: string, attemptId: string): GatewayAttempt {
    const found = this.#store.readAttempt(rolloutId, attemptId);
    if (!found) throw new NotFoundError(`No rollout \`${rolloutId}\` in the store`);
    const { rollout, attempt } = found;
    if (!attempt) throw new NotFoundError(`Rollout \`${rolloutId}\` has no attempt \`${attemptId}\``);
    if (attempt.status === 'succeeded' || attempt.status === 'failed' || attempt.status === 'timeout') {
      throw new ConflictError(`Attempt \`${attemptId}\` of rollout \`${rolloutId}\` is ${attempt.status}: it takes no more model calls`);
    }
    if (rollout.status === 'succeeded' || rollout.status === 'failed' || rollout.status === 'cancelled') {
      throw new ConflictError(`Rollout \`${rolloutId}\` is ${rollout.status}: it takes no more model calls`);
    }
    return { rolloutId, attemptId, task: rollout.input, resourcesId: rollout.resources_id };
  }

  /** Passes `GET /models` (or `/models/{id}`) through to the upstream; nothing is recorded. */
  async models(path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const upstream = this.#requireUpstream();
    const sent = upstream.send('GET', path, null, this.#upstreamHeaders(request.headers, false));
    const answer = await sent.answer;
    response.writeHead(answer.statusCode, passedHeaders(answer.headers));
    const resume = () => answer.resume();
    response.on('drain', resume);
    answer.read({ data: (chunk) => response.write(chunk), end: () => response.end(), error: () => response.destroy() });
    await new Promise<void>((resolve) => response.once('close', resolve));
    response.off('drain', resume);
    sent.abort(new Error('The client disconnected'));
  }

  /**
   * Proxies one call and records it once its answer has ended (or failed, or the client went
   * away). Throws (before anything is sent) `GatewayNotConfiguredError`, `GatewayPromptError` or
   * `UpstreamUnreachableError` — the last one recorded as a failed call.
   */
  async proxy(call: GatewayCall): Promise<void> {
    const upstream = this.#requireUpstream();
    const startTimeUnixNano = nowUnixNano();
    const { request, response } = call;
    let body = call.body;
    let sentBody = call.rawBody;
    const attributes: Record<string, string | number | boolean> = {};
    if (call.attempt) {
      const applied = this.#applyPrompt(call, attributes);
      if (applied) {
        body = applied;
        sentBody = Buffer.from(JSON.stringify(body));
      }
    }
    const stream = body.stream === true;
    attributes[AGL_GATEWAY_STREAM] = stream;
    const { traceId, parentSpanId } = traceContext(request.headers.traceparent);
    const spanId = randomHex(8);

    const sent = upstream.send('POST', call.path, sentBody, this.#upstreamHeaders(request.headers, true));
    let clientGone = false;
    const onClose = () => {
      if (response.writableFinished) return;
      clientGone = true;
      sent.abort(new Error('The client disconnected'));
    };
    response.once('close', onClose);

    const record = (outcome: Outcome) =>
      this.#recorder.record({
        operation: call.operation,
        traceId,
        spanId,
        parentSpanId,
        startTimeUnixNano,
        endTimeUnixNano: nowUnixNano(),
        rolloutId: call.attempt?.rolloutId ?? null,
        attemptId: call.attempt?.attemptId ?? null,
        request: body,
        inputMessages: call.operation === 'chat' ? toGenAiInputMessages(body.messages) : promptToGenAiInputMessages(body.prompt),
        outputMessages: toGenAiOutputMessages(outcome.choices),
        finishReasons: outcome.choices.flatMap((choice) => (choice.finishReason ? [choice.finishReason] : [])),
        responseModel: outcome.model,
        responseId: outcome.responseId,
        inputTokens: outcome.usage?.inputTokens ?? null,
        outputTokens: outcome.usage?.outputTokens ?? null,
        promptTokenIds: outcome.promptTokenIds,
        responseTokenIds: outcome.choices.find((choice) => choice.index === 0)?.tokenIds ?? null,
        error: outcome.error,
        server: upstream.server,
        attributes,
      });

    let answer: UpstreamAnswer;
    try {
      answer = await sent.answer;
    } catch (error) {
      response.off('close', onClose);
      if (clientGone) {
        record({ ...EMPTY_OUTCOME, error: CLIENT_DISCONNECTED });
        return;
      }
      record({ ...EMPTY_OUTCOME, error: { type: 'upstream_unreachable', message: (error as Error).message } });
      throw error;
    }

    const status = answer.statusCode;
    response.writeHead(status, { ...passedHeaders(answer.headers), 'x-agl-trace-id': traceId, 'x-agl-span-id': spanId });
    const assembler = stream && isEventStream(answer.headers['content-type']) ? new StreamAssembler() : null;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const ended = await new Promise<'ended' | 'broken'>((resolve) => {
      let settled = false;
      const settle = (how: 'ended' | 'broken') => {
        if (settled) return;
        settled = true;
        response.off('drain', resume);
        resolve(how);
      };
      const resume = () => answer.resume();
      response.on('drain', resume);
      // What arrives in one turn of the event loop leaves in one write: node:http would send each
      // chunk on the next tick, before the answer's end could add the chunked encoding's
      // terminator, so a streamed answer cost one more write (system call) than it has reads.
      let corked = false;
      const uncork = () => {
        corked = false;
        response.uncork();
      };
      answer.read({
        data: (chunk) => {
          if (assembler) assembler.push(chunk);
          else if (keptBytes + chunk.length <= this.#maxRecordedAnswerBytes) {
            kept.push(chunk);
            keptBytes += chunk.length;
          } else keptBytes = Number.POSITIVE_INFINITY;
          if (!corked) {
            corked = true;
            response.cork();
            setImmediate(uncork);
          }
          return response.write(chunk);
        },
        end: () => {
          response.end();
          settle('ended');
        },
        error: () => settle('broken'),
      });
    });
    response.off('close', onClose);
    // An answer cut short cannot be completed: the connection goes with it (never back to keep-alive).
    if (ended === 'broken' || clientGone) response.destroy();

    const outcome: Outcome = { ...EMPTY_OUTCOME };
    if (assembler) {
      assembler.end();
      outcome.choices = assembler.choices();
      outcome.model = assembler.model;
      outcome.responseId = assembler.responseId;
      outcome.usage = assembler.usage;
      outcome.promptTokenIds = assembler.promptTokenIds;
      if (assembler.streamError) outcome.error = assembler.streamError;
    } else if (Number.isFinite(keptBytes)) {
      readAnswer(Buffer.concat(kept), outcome);
    }
    if (status >= 400) outcome.error = { type: String(status), message: outcome.errorMessage ?? `The upstream answered ${status}` };
    if (clientGone) outcome.error = CLIENT_DISCONNECTED;
    else if (ended === 'broken') outcome.error = { type: 'upstream_broken', message: 'The upstream broke off its answer' };
    record(outcome);
  }

  /** Closes the kept-alive upstream connections. Idempotent. */
  close(): void {
    this.#upstream?.close();
  }

  #requireUpstream(): UpstreamClient {
    if (this.#upstream) return this.#upstream;
    throw new GatewayNotConfiguredError(
      'The LLM gateway has no model upstream: start `agl serve` with --model-upstream URL (or set OPENAI_BASE_URL), e.g. --model-upstream http://127.0.0.1:8000/v1',
    );
  }

  #upstreamHeaders(incoming: IncomingHttpHeaders, json: boolean): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { accept: incoming.accept ?? 'application/json' };
    if (json) headers['content-type'] = 'application/json';
    for (const name of PASSED_REQUEST_HEADERS) if (incoming[name] !== undefined) headers[name] = incoming[name];
    if (this.#forwardClientKey) {
      if (incoming.authorization) headers.authorization = incoming.authorization;
    } else if (this.#apiKey) {
      headers.authorization = `Bearer ${this.#apiKey}`;
    }
    return headers;
  }

  /** The body with the rollout's prompt applied, or `null` when nothing is to change. */
  #applyPrompt(call: GatewayCall, attributes: Record<string, string | number | boolean>): Record<string, unknown> | null {
    const attempt = call.attempt!;
    if (call.operation !== 'chat' || !Array.isArray(call.body.messages)) return null;
    const resources = this.#store.readResources(attempt.resourcesId);
    if (!resources) return null;
    const resolved = this.#prompts.resolve(resources, attempt.task);
    if (!resolved) return null;
    const { setting, prompt } = resolved;
    const { messages, applied } = applyPrompt(call.body.messages, prompt, setting.mode);
    attributes[AGL_GATEWAY_PROMPT_MODE] = setting.mode;
    attributes[AGL_GATEWAY_PROMPT_APPLIED] = applied;
    attributes[AGL_RESOURCES_ID] = resources.resources_id;
    return applied ? { ...call.body, messages } : null;
  }
}

/** What the answer said, for the record. */
interface Outcome {
  choices: AssembledChoice[];
  model: string | null;
  responseId: string | null;
  usage: AnswerUsage | null;
  promptTokenIds: number[] | null;
  error: { type: string; message: string } | null;
  /** The message of an error body. */
  errorMessage?: string | null;
}

const EMPTY_OUTCOME: Outcome = { choices: [], model: null, responseId: null, usage: null, promptTokenIds: null, error: null };
const CLIENT_DISCONNECTED = { type: 'client_disconnected', message: 'The client disconnected before the answer ended' };

/** Reads a whole JSON answer (or error body) into `outcome`. */
function readAnswer(bytes: Buffer, outcome: Outcome): void {
  let answer: unknown;
  try {
    answer = JSON.parse(bytes.toString('utf8'));
  } catch {
    return;
  }
  if (!isRecord(answer)) return;
  if (isRecord(answer.error)) {
    outcome.errorMessage = typeof answer.error.message === 'string' ? answer.error.message : JSON.stringify(answer.error);
    return;
  }
  outcome.choices = choicesOfAnswer(answer);
  outcome.model = typeof answer.model === 'string' ? answer.model : null;
  outcome.responseId = typeof answer.id === 'string' ? answer.id : null;
  outcome.usage = isRecord(answer.usage) ? readUsage(answer.usage) : null;
  outcome.promptTokenIds = tokenIdList(answer.prompt_token_ids);
}

function passedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const passed: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) passed[name] = value;
  return passed;
}

function isEventStream(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';', 1)[0].trim().toLowerCase() === 'text/event-stream';
}

/** The trace of a W3C `traceparent` header (the call becomes a child of the client's span), or a new trace. */
function traceContext(header: string | string[] | undefined): { traceId: string; parentSpanId: string | null } {
  const match = typeof header === 'string' ? /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/.exec(header.trim().toLowerCase()) : null;
  if (match && !/^0+$/.test(match[1]) && !/^0+$/.test(match[2])) return { traceId: match[1], parentSpanId: match[2] };
  return { traceId: randomHex(16), parentSpanId: null };
}

// Trace and span ids come from a pool of random bytes: one fill per 256 calls, not two per call.
const ID_POOL = Buffer.alloc(6144);
let idPoolOffset = ID_POOL.length;

/** `bytes` random bytes as lowercase hex. */
function randomHex(bytes: number): string {
  if (idPoolOffset + bytes > ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolOffset = 0;
  }
  const hex = ID_POOL.toString('hex', idPoolOffset, idPoolOffset + bytes);
  idPoolOffset += bytes;
  return hex;
}

// Wall-clock nanoseconds with sub-millisecond resolution: the monotonic clock anchored at the time origin.
function nowUnixNano(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}
