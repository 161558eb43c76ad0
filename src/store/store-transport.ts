import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
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
import { abortableSleep } from '../timers/index.ts';
import { HttpExchange, timeoutError } from './http-exchange.ts';
import type { HttpAnswer, HttpAsk } from './http-exchange.ts';
import { StoreValidationError } from './store-validation-error.ts';
import type { ValidationIssue } from './store-validation-error.ts';

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
 * `StoreClient.sql` or `StoreClient.export`, after the retries; `cause` is the network error.
 */
export class StoreUnreachableError extends AglError {
  constructor(baseUrl: string, cause: unknown) {
    super('store_unreachable', 503, `Cannot reach the collector at ${baseUrl}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** One HTTP call of a {@link StoreTransport}, beyond its method, path and body. */
export interface CallShape {
  /** Each call changes the store (see {@link StoreTransport.call}): retried only when the server certainly did not act on it. @default true */
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

/** What a {@link StoreTransport} is made with: a `StoreClient`'s options, resolved and checked. */
export interface StoreTransportSettings {
  /** The collector, without a trailing `/`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token: string | undefined;
  /** Tries after the first on a 5xx answer or a network error (never on 4xx). */
  maxRetries: number;
  /** The first retry's delay; doubled each retry, with jitter, at most 5 s. */
  retryDelayMillis: number;
  /** Each call's time limit, retries included, unless the call names its own. */
  timeoutMillis: number;
  /** Makes the HTTP calls with this `fetch` instead of `node:http(s)` with kept-alive connections. */
  fetch?: typeof fetch;
}

/**
 * The calls of a `StoreClient` to the store API: one HTTP request each, with the bearer token, the
 * call's time limit and signal, retries with exponential backoff after a 5xx answer or a network
 * error, and a refusal (4xx) thrown at once as the matching `AglError`.
 */
export class StoreTransport {
  /** The collector, without a trailing `/`. */
  readonly baseUrl: string;
  /** The bearer token sent with every request, if any. */
  readonly token: string | undefined;
  /** Each call's time limit, retries included, unless the call names its own. */
  readonly timeoutMillis: number;
  readonly #maxRetries: number;
  readonly #retryDelayMillis: number;
  readonly #send: (url: string, ask: HttpAsk) => Promise<HttpAnswer>;

  constructor(settings: StoreTransportSettings) {
    this.baseUrl = settings.baseUrl;
    this.token = settings.token;
    this.timeoutMillis = settings.timeoutMillis;
    this.#maxRetries = settings.maxRetries;
    this.#retryDelayMillis = settings.retryDelayMillis;
    const custom = settings.fetch;
    if (custom) {
      this.#send = (url, ask) => sendWithFetch(custom, url, ask);
    } else {
      const exchange = new HttpExchange();
      this.#send = (url, ask) => exchange.send(url, ask);
    }
  }

  /**
   * One call, retried after a network error or a 5xx answer. A call that is not idempotent (each
   * one changes the store: enqueue, dequeue, start, add resources) is retried only when the server
   * certainly did not act on it — the connection was refused, or it answered 503 — since a retry
   * after a lost answer would, say, dequeue a second rollout and orphan the first attempt.
   */
  async call<T>(
    method: string,
    path: string,
    body: unknown,
    options: CallOptions = {},
    shape: boolean | CallShape = {},
  ): Promise<T> {
    const { idempotent = true, refused, unreachableError = false, waitWhileBusy = false, sink } = typeof shape === 'boolean' ? { idempotent: shape } : shape;
    const deadline = Date.now() + (options.timeoutMillis ?? this.timeoutMillis);
    const { signal } = options;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
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
