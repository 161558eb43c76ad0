import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import {
  AglError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  QueryTimeoutError,
  RetryableError,
  UnauthorizedError,
} from '../errors/index.ts';
import type { ExportRequestBody } from '../export/index.ts';
import type { QueryResult } from '../storage/index.ts';
import type {
  AttemptUpdate,
  DequeueOptions,
  NewRollout,
  PageOptions,
  ResourcesQuery,
  RolloutQuery,
  RolloutUpdate,
  SpanQuery,
  StartRolloutOptions,
  WorkerQuery,
} from './lightning-store.ts';
import type {
  Attempt,
  AttemptedRollout,
  NamedResources,
  PaginatedResult,
  ResourcesUpdate,
  Rollout,
  Span,
  StoreStatistics,
  Worker,
} from './store-types.ts';
import { abortableSleep } from '../timers/index.ts';
import { HttpExchange, timeoutError } from './http-exchange.ts';
import type { HttpAnswer, HttpAsk } from './http-exchange.ts';
import { StoreValidationError } from './store-validation-error.ts';
import type { ValidationIssue } from './store-validation-error.ts';

/** Options of {@link StoreClient}. */
export interface StoreClientOptions {
  /** The collector, e.g. `http://127.0.0.1:4318`. @default `AGL_SERVER`, else `http://127.0.0.1:4318` */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>`. @default `AGL_TOKEN` when set */
  token?: string;
  /** Tries after the first on a 5xx answer or a network error (never on 4xx). @default 3 */
  maxRetries?: number;
  /** The first retry's delay; doubled each retry, with jitter, at most 5 s. @default 100 */
  retryDelayMillis?: number;
  /** Each call's time limit, retries included. @default 30000 */
  timeoutMillis?: number;
  /**
   * Makes the HTTP calls with this `fetch` instead (e.g. to go through a proxy, or in tests).
   * @default `node:http(s)` with kept-alive connections
   */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** @default the client's `timeoutMillis` */
  timeoutMillis?: number;
}

/** An answer of the store API that is not a success and maps to no other error (e.g. 5xx after retries). */
export class StoreHttpError extends AglError {
  constructor(status: number, message: string) {
    super('store_http_error', status, message);
  }
}

/**
 * The collector could not be reached (connection refused, reset, name not found…) by
 * {@link StoreClient.sql} or {@link StoreClient.export}, after the retries; `cause` is the network error.
 */
export class StoreUnreachableError extends AglError {
  constructor(baseUrl: string, cause: unknown) {
    super('store_unreachable', 503, `Cannot reach the collector at ${baseUrl}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** {@link StoreClient.export} could not write its file (the transfer itself went through). */
export class ExportFileError extends AglError {
  constructor(out: string, cause: unknown) {
    super('export_file_failed', 500, `Writing ${out} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** What {@link StoreClient.sql} asks of the collector besides the statement. */
export interface SqlRequest {
  /** At most this many rows. @default the collector's (10000) */
  maxRows?: number;
  /** About this many bytes of JSON at most. @default the collector's (16 MiB; it allows up to 64 MiB) */
  maxBytes?: number;
  /**
   * Asks a busy collector (429, 503) again for as long as the call's time limit allows, instead of
   * counting each busy answer as one of `maxRetries`: for many processes that each ask once.
   * @default false
   */
  waitWhileBusy?: boolean;
}

/** What {@link StoreClient.export} wrote. */
export interface ExportAnswer {
  /** The rows in the file (the collector's `X-Agl-Export-Rows`). */
  rows: number;
}

/** One HTTP call of {@link StoreClient}, beyond its method, path and body. */
interface CallShape {
  /** Each call changes the store (see `#call`): retried only when the server certainly did not act on it. @default true */
  idempotent?: boolean;
  /** Names what was refused in a 4xx error's message, e.g. `the query`. @default the method and path */
  refused?: string;
  /** Throws {@link StoreUnreachableError} instead of the bare network error. @default false */
  unreachableError?: boolean;
  /** Busy answers (429, 503) are not counted against `maxRetries`. @default false */
  waitWhileBusy?: boolean;
  /** Takes a success's body as a stream (see `HttpAsk.sink`). */
  sink?: HttpAsk['sink'];
}

/**
 * A typed client of the store API (`/v1/agl/…`, Agent Lightning v0.3's paths and bodies). Options
 * are camelCase; results are the contract's objects (snake_case fields, times in epoch seconds).
 * 4xx answers throw the matching `AglError` (`NotFoundError`, `ConflictError`,
 * `StoreValidationError`…) at once; 5xx answers and network errors are retried with exponential
 * backoff. Mind that a retried write may have been applied once already (e.g. an enqueue whose
 * answer was lost).
 */
export class StoreClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #maxRetries: number;
  readonly #retryDelayMillis: number;
  readonly #timeoutMillis: number;
  readonly #send: (url: string, ask: HttpAsk) => Promise<HttpAnswer>;

  /** The bearer token sent with every request, if any (what other clients of the same collector reuse). */
  get token(): string | undefined {
    return this.#token;
  }

  constructor(options: StoreClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? process.env.AGL_SERVER ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');
    this.#token = options.token ?? process.env.AGL_TOKEN;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#retryDelayMillis = options.retryDelayMillis ?? 100;
    this.#timeoutMillis = options.timeoutMillis ?? 30_000;
    const custom = options.fetch;
    if (custom) {
      this.#send = (url, ask) => sendWithFetch(custom, url, ask);
    } else {
      const exchange = new HttpExchange();
      this.#send = (url, ask) => exchange.send(url, ask);
    }
    if (!Number.isInteger(this.#maxRetries) || this.#maxRetries < 0) {
      throw new RangeError(`Expected \`maxRetries\` to be an integer ≥ 0, got \`${this.#maxRetries}\``);
    }
    if (!(this.#timeoutMillis > 0)) throw new RangeError(`Expected \`timeoutMillis\` to be > 0, got \`${this.#timeoutMillis}\``);
    if (!(this.#retryDelayMillis >= 0)) throw new RangeError(`Expected \`retryDelayMillis\` to be ≥ 0, got \`${this.#retryDelayMillis}\``);
  }

  health(options?: CallOptions): Promise<{ status: string }> {
    return this.#call('GET', '/v1/agl/health', undefined, options);
  }

  enqueueRollouts(rollouts: readonly NewRollout[], options?: CallOptions): Promise<Rollout[]> {
    return this.#call('POST', '/v1/agl/queues/rollouts/enqueue', { rollouts: rollouts.map(newRolloutBody) }, options, false);
  }

  async enqueueRollout(rollout: NewRollout, options?: CallOptions): Promise<Rollout> {
    return (await this.enqueueRollouts([rollout], options))[0];
  }

  dequeueRollouts(request: DequeueOptions = {}, options?: CallOptions): Promise<AttemptedRollout[]> {
    return this.#call('POST', '/v1/agl/queues/rollouts/dequeue', { limit: request.limit ?? 1, worker_id: request.workerId ?? null }, options, false);
  }

  startRollout(request: StartRolloutOptions, options?: CallOptions): Promise<AttemptedRollout> {
    return this.#call('POST', '/v1/agl/rollouts', { ...newRolloutBody(request), worker_id: request.workerId ?? null }, options, false);
  }

  startAttempt(rolloutId: string, request: { workerId?: string | null } = {}, options?: CallOptions): Promise<AttemptedRollout> {
    return this.#call('POST', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts`, { worker_id: request.workerId ?? null }, options, false);
  }

  /** The rollout, or `null` when unknown. */
  async getRollout(rolloutId: string, options?: CallOptions): Promise<Rollout | AttemptedRollout | null> {
    try {
      return await this.#call('GET', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}`, undefined, options);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  queryRollouts(query: RolloutQuery = {}, options?: CallOptions): Promise<PaginatedResult<Rollout | AttemptedRollout>> {
    return this.#call(
      'POST',
      '/v1/agl/rollouts/search',
      compact({
        ...pageBody(query),
        status_in: query.statusIn,
        rollout_id_in: query.rolloutIdIn,
        rollout_id_contains: query.rolloutIdContains,
        mode_in: query.modeIn,
        filter_logic: query.filterLogic,
      }),
      options,
    );
  }

  updateRollout(rolloutId: string, update: RolloutUpdate, options?: CallOptions): Promise<Rollout> {
    return this.#call(
      'POST',
      `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}`,
      compact({
        input: update.input,
        mode: update.mode,
        resources_id: update.resourcesId,
        status: update.status,
        config: update.config,
        metadata: update.metadata,
      }),
      options,
    );
  }

  cancelRollout(rolloutId: string, options?: CallOptions): Promise<Rollout> {
    return this.#call('POST', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/cancel`, {}, options);
  }

  queryAttempts(rolloutId: string, query: PageOptions = {}, options?: CallOptions): Promise<PaginatedResult<Attempt>> {
    return this.#call('POST', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts/search`, compact(pageBody(query)), options);
  }

  getLatestAttempt(rolloutId: string, options?: CallOptions): Promise<Attempt | null> {
    return this.#call('GET', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts/latest`, undefined, options);
  }

  updateAttempt(rolloutId: string, attemptId: string, update: AttemptUpdate, options?: CallOptions): Promise<Attempt> {
    return this.#call(
      'POST',
      `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts/${encodeURIComponent(attemptId)}`,
      compact({
        status: update.status,
        worker_id: update.workerId,
        last_heartbeat_time: update.lastHeartbeatTime,
        metadata: update.metadata,
      }),
      options,
    );
  }

  /**
   * Waits on the server (long-poll) until the rollouts are finished or `timeoutSeconds` passed;
   * the call's own time limit is stretched to cover the wait.
   */
  waitForRollouts(rolloutIds: readonly string[], request: { timeoutSeconds?: number | null } = {}, options: CallOptions = {}): Promise<Rollout[]> {
    const timeoutSeconds = request.timeoutSeconds ?? null;
    const timeoutMillis =
      options.timeoutMillis ?? (timeoutSeconds === null ? 2 ** 31 - 1 : Math.min(2 ** 31 - 1, this.#timeoutMillis + timeoutSeconds * 1000));
    return this.#call('POST', '/v1/agl/waits/rollouts', { rollout_ids: rolloutIds, timeout: timeoutSeconds }, { ...options, timeoutMillis });
  }

  addResources(resources: NamedResources, options?: CallOptions): Promise<ResourcesUpdate> {
    return this.#call('POST', '/v1/agl/resources', resources, options, false);
  }

  updateResources(resourcesId: string, resources: NamedResources, options?: CallOptions): Promise<ResourcesUpdate> {
    return this.#call('POST', `/v1/agl/resources/${encodeURIComponent(resourcesId)}`, resources, options, false);
  }

  getLatestResources(options?: CallOptions): Promise<ResourcesUpdate | null> {
    return this.#call('GET', '/v1/agl/resources/latest', undefined, options);
  }

  getResources(resourcesId: string, options?: CallOptions): Promise<ResourcesUpdate | null> {
    return this.#call('GET', `/v1/agl/resources/${encodeURIComponent(resourcesId)}`, undefined, options);
  }

  queryResources(query: ResourcesQuery = {}, options?: CallOptions): Promise<PaginatedResult<ResourcesUpdate>> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(
      compact({ ...pageBody(query), resources_id: query.resourcesId, resources_id_contains: query.resourcesIdContains }),
    )) {
      if (value !== null) params.set(key, String(value));
    }
    return this.#call('GET', `/v1/agl/resources?${params}`, undefined, options);
  }

  updateWorker(workerId: string, request: { heartbeatStats?: Record<string, unknown> | null } = {}, options?: CallOptions): Promise<Worker> {
    return this.#call('POST', `/v1/agl/workers/${encodeURIComponent(workerId)}`, compact({ heartbeat_stats: request.heartbeatStats }), options);
  }

  getWorker(workerId: string, options?: CallOptions): Promise<Worker | null> {
    return this.#call('GET', `/v1/agl/workers/${encodeURIComponent(workerId)}`, undefined, options);
  }

  queryWorkers(query: WorkerQuery = {}, options?: CallOptions): Promise<PaginatedResult<Worker>> {
    return this.#call(
      'POST',
      '/v1/agl/workers/search',
      compact({ ...pageBody(query), status_in: query.statusIn, worker_id_contains: query.workerIdContains, filter_logic: query.filterLogic }),
      options,
    );
  }

  async getNextSpanSequenceId(rolloutId: string, attemptId: string, options?: CallOptions): Promise<number> {
    const answer = await this.#call<{ sequence_id: number }>('POST', '/v1/agl/spans/next', { rollout_id: rolloutId, attempt_id: attemptId }, options);
    return answer.sequence_id;
  }

  addSpan(span: Span, options?: CallOptions): Promise<Span | null> {
    return this.#call('POST', '/v1/agl/spans', span, options);
  }

  querySpans(query: SpanQuery, options?: CallOptions): Promise<PaginatedResult<Span>> {
    return this.#call(
      'POST',
      '/v1/agl/spans/search',
      compact({
        ...pageBody(query),
        rollout_id: query.rolloutId,
        attempt_id: query.attemptId,
        trace_id: query.traceId,
        trace_id_contains: query.traceIdContains,
        span_id: query.spanId,
        span_id_contains: query.spanIdContains,
        parent_id: query.parentId,
        parent_id_contains: query.parentIdContains,
        name: query.name,
        name_contains: query.nameContains,
        filter_logic: query.filterLogic,
      }),
      options,
    );
  }

  statistics(options?: CallOptions): Promise<StoreStatistics> {
    return this.#call('GET', '/v1/agl/statistics', undefined, options);
  }

  /**
   * One read-only SQL statement over the collector's tables (`POST /v1/agl/sql`). A collector that
   * is busy (429, 503) is asked again after its `Retry-After`, within the call's time limit. Throws
   * the collector's refusal as an `AglError` (`InvalidRequestError`, `ForbiddenError`,
   * `QueryTimeoutError`…), and {@link StoreUnreachableError} when it cannot be reached.
   */
  sql(query: string, request: SqlRequest = {}, options?: CallOptions): Promise<QueryResult> {
    const body = compact({ query, max_rows: request.maxRows, max_bytes: request.maxBytes });
    return this.#call('POST', '/v1/agl/sql', body, options, { refused: 'the query', unreachableError: true, waitWhileBusy: request.waitWhileBusy });
  }

  /** {@link sql}'s rows as objects keyed by column name. */
  async sqlRows(query: string, request: SqlRequest = {}, options?: CallOptions): Promise<Record<string, unknown>[]> {
    return rowsOf(await this.sql(query, request, options));
  }

  /**
   * Exports a table (`POST /v1/agl/export`: `what`, `format`, `filters` as on the wire) into the
   * file `out`, replaced. The file is written beside `out` and renamed, so that a broken transfer
   * never leaves half a file. Throws the collector's refusal as an `AglError`, and
   * {@link StoreUnreachableError} when it cannot be reached.
   */
  async export(request: ExportRequestBody, out: string, options?: CallOptions): Promise<ExportAnswer> {
    let rows = 0;
    const partial = `${out}.partial-${process.pid}`;
    const sink = async (body: Readable, headers: IncomingHttpHeaders): Promise<void> => {
      try {
        await pipeline(body, createWriteStream(partial));
        await rename(partial, out);
      } catch (error) {
        await rm(partial, { force: true });
        throw new ExportFileError(out, error);
      }
      rows = Number(headers['x-agl-export-rows']);
    };
    // Not idempotent for the retries: a transfer that broke halfway is not started again.
    await this.#call('POST', '/v1/agl/export', request, options, { idempotent: false, refused: 'the export', unreachableError: true, sink });
    return { rows };
  }

  /**
   * Records one round of an APO training (an `ApoRoundRecord`) in the collector's `apo_rounds`
   * table (`POST /v1/agl/apo/rounds`); the same run and round again replaces it.
   */
  async recordApoRound(round: object, options?: CallOptions): Promise<void> {
    await this.#call('POST', '/v1/agl/apo/rounds', round, options);
  }

  /**
   * One call, retried after a network error or a 5xx answer. A call that is not idempotent (each
   * one changes the store: enqueue, dequeue, start, add resources) is retried only when the server
   * certainly did not act on it — the connection was refused, or it answered 503 — since a retry
   * after a lost answer would, say, dequeue a second rollout and orphan the first attempt.
   */
  async #call<T>(
    method: string,
    path: string,
    body: unknown,
    options: CallOptions = {},
    shape: boolean | CallShape = {},
  ): Promise<T> {
    const { idempotent = true, refused, unreachableError = false, waitWhileBusy = false, sink } = typeof shape === 'boolean' ? { idempotent: shape } : shape;
    const deadline = Date.now() + (options.timeoutMillis ?? this.#timeoutMillis);
    const { signal } = options;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    // What a refusal says: the collector's words for SQL and export, else the method and path.
    const refusal = (status: number, payload: unknown, answered: boolean): string =>
      refused === undefined
        ? `${method} ${path}${answered ? ` answered ${status}` : ''}: ${detailText(payload)}`
        : `The collector refused ${refused} (${status}): ${detailText(payload)}`;
    let retries = 0;
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      let retryAfterMillis = 0;
      let busy = false;
      try {
        const answer = await this.#send(this.baseUrl + path, { method, headers, body: text, deadline, signal, sink });
        const { status } = answer;
        const payload = parsePayload(answer.text);
        if (status >= 200 && status < 300) return payload as T;
        retryAfterMillis = retryAfterOf(answer.headers);
        // A 503 is retried; a 429 only by the calls that name what they ask (SQL, export) and change nothing.
        busy = status === 503 || (status === 429 && refused !== undefined && idempotent);
        if (status < 500 && !busy) throw errorFor(status, payload, refusal(status, payload, false), retryAfterMillis);
        failure = refused !== undefined && busy ? errorFor(status, payload, refusal(status, payload, true), retryAfterMillis) : new StoreHttpError(status, refusal(status, payload, true));
        if (!idempotent && status !== 503) throw failure;
      } catch (error) {
        if (error === failure || (error instanceof AglError && error.status < 500)) throw error;
        if (signal?.aborted) throw signal.reason ?? error;
        if (error instanceof DOMException && error.name === 'TimeoutError') throw error;
        failure = unreachableError && isNetworkError(error) ? new StoreUnreachableError(this.baseUrl, error) : error;
        if (!idempotent && !isConnectionRefused(error)) throw failure;
      }
      if (!(busy && waitWhileBusy) && retries++ >= this.#maxRetries) throw failure;
      const backoff = Math.min(5000, this.#retryDelayMillis * 2 ** attempt) * (0.5 + Math.random() / 2);
      // Retry-After is heeded by the calls that wait while the collector is busy.
      const delay = waitWhileBusy ? Math.max(retryAfterMillis, backoff) : backoff;
      await abortableSleep(Math.max(0, Math.min(delay, deadline - Date.now())), signal);
      signal?.throwIfAborted();
      if (Date.now() >= deadline) throw timeoutError();
    }
  }
}

/** Whether the request never reached the server (the connection was refused). */
function isConnectionRefused(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  }
  return false;
}

/** Whether the error is one of the network, not of the server's answer or of this process. */
function isNetworkError(error: unknown): boolean {
  if (error instanceof AglError || error instanceof DOMException) return false;
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return true;
    if (cause instanceof TypeError && cause.message === 'fetch failed') return true;
  }
  return false;
}

/** A 429 or 503 answer's `Retry-After` (seconds), in milliseconds; 0 without one. */
function retryAfterOf(headers: IncomingHttpHeaders): number {
  const seconds = Number(headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** One exchange through a caller's `fetch`, with the same deadline and signal handling. */
async function sendWithFetch(fetcher: typeof fetch, url: string, ask: HttpAsk): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(Math.max(1, ask.deadline - Date.now()));
  const signal = ask.signal ? AbortSignal.any([ask.signal, timeout]) : timeout;
  try {
    const response = await fetcher(url, { method: ask.method, headers: ask.headers, body: ask.body, signal });
    const headers: IncomingHttpHeaders = Object.fromEntries(response.headers);
    if (ask.sink && response.ok && response.body) {
      await ask.sink(Readable.fromWeb(response.body as WebReadableStream), headers);
      return { status: response.status, headers, text: '' };
    }
    return { status: response.status, headers, text: await response.text() };
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    throw error;
  }
}

function newRolloutBody(rollout: NewRollout): Record<string, unknown> {
  return compact({
    input: rollout.input === undefined ? null : rollout.input,
    mode: rollout.mode,
    resources_id: rollout.resourcesId,
    config: rollout.config,
    metadata: rollout.metadata,
  });
}

function pageBody(page: PageOptions): Record<string, unknown> {
  return { limit: page.limit, offset: page.offset, sort_by: page.sortBy, sort_order: page.sortOrder };
}

/** Drops `undefined` fields (absent means "leave alone" on the wire; `null` is sent). */
function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function parsePayload(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function detailText(payload: unknown): string {
  const detail = (payload as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  return JSON.stringify(detail ?? payload);
}

/** The `AglError` of a refusal (the same class the collector threw, where there is one). */
function errorFor(status: number, payload: unknown, message: string, retryAfterMillis: number): AglError {
  const detail = (payload as { detail?: unknown } | null)?.detail;
  if (status === 422 && Array.isArray(detail)) return new StoreValidationError(detail as ValidationIssue[]);
  if (status === 404) return new NotFoundError(message);
  if (status === 409) return new ConflictError(message);
  if (status === 401) return new UnauthorizedError(message);
  if (status === 400) return new InvalidRequestError(message);
  if (status === 403) return new ForbiddenError(message);
  if (status === 408) return new QueryTimeoutError(message, 0);
  if (status === 413) return new PayloadTooLargeError(message);
  if (status === 429 || status === 503) return new RetryableError(status, message, retryAfterMillis);
  return new StoreHttpError(status, message);
}

function rowsOf(result: QueryResult): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
}
