import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AglError, NotFoundError } from '../errors/index.ts';
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
import { StoreTransport } from './store-transport.ts';
import type { CallOptions } from './store-transport.ts';

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

/**
 * A typed client of the store API (`/v1/agl/…`, Agent Lightning v0.3's paths and bodies). Options
 * are camelCase; results are the contract's objects (snake_case fields, times in epoch seconds).
 * 4xx answers throw the matching `AglError` (`NotFoundError`, `ConflictError`,
 * `StoreValidationError`…) at once; 5xx answers and network errors are retried with exponential
 * backoff. Mind that a retried write may have been applied once already (e.g. an enqueue whose
 * answer was lost). The HTTP calls themselves, their retries and the errors they throw are a
 * {@link StoreTransport}'s; this class names the endpoints and shapes their bodies.
 */
export class StoreClient {
  readonly baseUrl: string;
  readonly #transport: StoreTransport;

  /** The bearer token sent with every request, if any (what other clients of the same collector reuse). */
  get token(): string | undefined {
    return this.#transport.token;
  }

  constructor(options: StoreClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? process.env.AGL_SERVER ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');
    const token = options.token ?? process.env.AGL_TOKEN;
    const maxRetries = options.maxRetries ?? 3;
    const retryDelayMillis = options.retryDelayMillis ?? 100;
    const timeoutMillis = options.timeoutMillis ?? 30_000;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new RangeError(`Expected \`maxRetries\` to be an integer ≥ 0, got \`${maxRetries}\``);
    }
    if (!(timeoutMillis > 0)) throw new RangeError(`Expected \`timeoutMillis\` to be > 0, got \`${timeoutMillis}\``);
    if (!(retryDelayMillis >= 0)) throw new RangeError(`Expected \`retryDelayMillis\` to be ≥ 0, got \`${retryDelayMillis}\``);
    this.#transport = new StoreTransport({ baseUrl: this.baseUrl, token, maxRetries, retryDelayMillis, timeoutMillis, fetch: options.fetch });
  }

  health(options?: CallOptions): Promise<{ status: string }> {
    return this.#transport.call('GET', '/v1/agl/health', undefined, options);
  }

  enqueueRollouts(rollouts: readonly NewRollout[], options?: CallOptions): Promise<Rollout[]> {
    return this.#transport.call('POST', '/v1/agl/queues/rollouts/enqueue', { rollouts: rollouts.map(newRolloutBody) }, options, false);
  }

  async enqueueRollout(rollout: NewRollout, options?: CallOptions): Promise<Rollout> {
    return (await this.enqueueRollouts([rollout], options))[0];
  }

  dequeueRollouts(request: DequeueOptions = {}, options?: CallOptions): Promise<AttemptedRollout[]> {
    return this.#transport.call('POST', '/v1/agl/queues/rollouts/dequeue', { limit: request.limit ?? 1, worker_id: request.workerId ?? null }, options, false);
  }

  startRollout(request: StartRolloutOptions, options?: CallOptions): Promise<AttemptedRollout> {
    return this.#transport.call('POST', '/v1/agl/rollouts', { ...newRolloutBody(request), worker_id: request.workerId ?? null }, options, false);
  }

  startAttempt(rolloutId: string, request: { workerId?: string | null } = {}, options?: CallOptions): Promise<AttemptedRollout> {
    return this.#transport.call('POST', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts`, { worker_id: request.workerId ?? null }, options, false);
  }

  /** The rollout, or `null` when unknown. */
  async getRollout(rolloutId: string, options?: CallOptions): Promise<Rollout | AttemptedRollout | null> {
    try {
      return await this.#transport.call('GET', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}`, undefined, options);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  queryRollouts(query: RolloutQuery = {}, options?: CallOptions): Promise<PaginatedResult<Rollout | AttemptedRollout>> {
    return this.#transport.call(
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
    return this.#transport.call(
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
    return this.#transport.call('POST', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/cancel`, {}, options);
  }

  queryAttempts(rolloutId: string, query: PageOptions = {}, options?: CallOptions): Promise<PaginatedResult<Attempt>> {
    return this.#transport.call('POST', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts/search`, compact(pageBody(query)), options);
  }

  getLatestAttempt(rolloutId: string, options?: CallOptions): Promise<Attempt | null> {
    return this.#transport.call('GET', `/v1/agl/rollouts/${encodeURIComponent(rolloutId)}/attempts/latest`, undefined, options);
  }

  updateAttempt(rolloutId: string, attemptId: string, update: AttemptUpdate, options?: CallOptions): Promise<Attempt> {
    return this.#transport.call(
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
      options.timeoutMillis ?? (timeoutSeconds === null ? 2 ** 31 - 1 : Math.min(2 ** 31 - 1, this.#transport.timeoutMillis + timeoutSeconds * 1000));
    return this.#transport.call('POST', '/v1/agl/waits/rollouts', { rollout_ids: rolloutIds, timeout: timeoutSeconds }, { ...options, timeoutMillis });
  }

  addResources(resources: NamedResources, options?: CallOptions): Promise<ResourcesUpdate> {
    return this.#transport.call('POST', '/v1/agl/resources', resources, options, false);
  }

  updateResources(resourcesId: string, resources: NamedResources, options?: CallOptions): Promise<ResourcesUpdate> {
    return this.#transport.call('POST', `/v1/agl/resources/${encodeURIComponent(resourcesId)}`, resources, options, false);
  }

  getLatestResources(options?: CallOptions): Promise<ResourcesUpdate | null> {
    return this.#transport.call('GET', '/v1/agl/resources/latest', undefined, options);
  }

  getResources(resourcesId: string, options?: CallOptions): Promise<ResourcesUpdate | null> {
    return this.#transport.call('GET', `/v1/agl/resources/${encodeURIComponent(resourcesId)}`, undefined, options);
  }

  queryResources(query: ResourcesQuery = {}, options?: CallOptions): Promise<PaginatedResult<ResourcesUpdate>> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(
      compact({ ...pageBody(query), resources_id: query.resourcesId, resources_id_contains: query.resourcesIdContains }),
    )) {
      if (value !== null) params.set(key, String(value));
    }
    return this.#transport.call('GET', `/v1/agl/resources?${params}`, undefined, options);
  }

  updateWorker(workerId: string, request: { heartbeatStats?: Record<string, unknown> | null } = {}, options?: CallOptions): Promise<Worker> {
    return this.#transport.call('POST', `/v1/agl/workers/${encodeURIComponent(workerId)}`, compact({ heartbeat_stats: request.heartbeatStats }), options);
  }

  getWorker(workerId: string, options?: CallOptions): Promise<Worker | null> {
    return this.#transport.call('GET', `/v1/agl/workers/${encodeURIComponent(workerId)}`, undefined, options);
  }

  queryWorkers(query: WorkerQuery = {}, options?: CallOptions): Promise<PaginatedResult<Worker>> {
    return this.#transport.call(
      'POST',
      '/v1/agl/workers/search',
      compact({ ...pageBody(query), status_in: query.statusIn, worker_id_contains: query.workerIdContains, filter_logic: query.filterLogic }),
      options,
    );
  }

  async getNextSpanSequenceId(rolloutId: string, attemptId: string, options?: CallOptions): Promise<number> {
    const answer = await this.#transport.call<{ sequence_id: number }>('POST', '/v1/agl/spans/next', { rollout_id: rolloutId, attempt_id: attemptId }, options);
    return answer.sequence_id;
  }

  addSpan(span: Span, options?: CallOptions): Promise<Span | null> {
    return this.#transport.call('POST', '/v1/agl/spans', span, options);
  }

  querySpans(query: SpanQuery, options?: CallOptions): Promise<PaginatedResult<Span>> {
    return this.#transport.call(
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
    return this.#transport.call('GET', '/v1/agl/statistics', undefined, options);
  }

  /**
   * One read-only SQL statement over the collector's tables (`POST /v1/agl/sql`). A collector that
   * is busy (429, 503) is asked again after its `Retry-After`, within the call's time limit. Throws
   * the collector's refusal as an `AglError` (`InvalidRequestError`, `ForbiddenError`,
   * `QueryTimeoutError`…), and {@link StoreUnreachableError} when it cannot be reached.
   */
  sql(query: string, request: SqlRequest = {}, options?: CallOptions): Promise<QueryResult> {
    const body = compact({ query, max_rows: request.maxRows, max_bytes: request.maxBytes });
    return this.#transport.call('POST', '/v1/agl/sql', body, options, { refused: 'the query', unreachableError: true, waitWhileBusy: request.waitWhileBusy });
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
    await this.#transport.call('POST', '/v1/agl/export', request, options, { idempotent: false, refused: 'the export', unreachableError: true, sink });
    return { rows };
  }

  /**
   * Stores the LLM gateway's calls answered so far (`POST /v1/agl/gateway/flush`; the gateway
   * batches them, ~50 ms) and answers its recorder's counters: once it resolves, every call the
   * gateway has answered is in `llm_calls`, or counted as dropped.
   */
  flushGateway(options?: CallOptions): Promise<{ recorded: number; dropped: number; pending: number }> {
    return this.#transport.call('POST', '/v1/agl/gateway/flush', {}, options);
  }

  /**
   * Records one round of an APO training (an `ApoRoundRecord`) in the collector's `apo_rounds`
   * table (`POST /v1/agl/apo/rounds`); the same run and round again replaces it.
   */
  async recordApoRound(round: object, options?: CallOptions): Promise<void> {
    await this.#transport.call('POST', '/v1/agl/apo/rounds', round, options);
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

function rowsOf(result: QueryResult): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
}
