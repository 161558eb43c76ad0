import type { Logger } from '../logging/index.ts';
import { abortableSleep } from '../timers/index.ts';

/** Options of {@link OtlpForwarder}. */
export interface OtlpForwarderOptions {
  /**
   * The OTLP/HTTP endpoint. A URL whose path ends in a signal path (`/v1/traces`, `/v1/logs`,
   * `/v1/metrics`) names that signal's endpoint, and the other signals go beside it; any other URL
   * is a base and gets `/v1/<signal>` appended (as `OTEL_EXPORTER_OTLP_ENDPOINT` does), so
   * `http://jaeger:4318` and `http://jaeger:4318/v1/traces` mean the same.
   */
  url: string;
  /** Extra headers sent with every forwarded request, e.g. `{ authorization: 'Bearer x' }`. */
  headers?: Record<string, string>;
  /**
   * Requests waiting (or being sent) at most; a request beyond it is dropped.
   * @default 1000
   */
  maxQueuedRequests?: number;
  /**
   * Body bytes waiting (or being sent) at most; a request beyond it is dropped.
   * @default 64 MiB
   */
  maxQueuedBytes?: number;
  /**
   * The first retry delay; each further retry doubles it (with ±20 % jitter).
   * @default 500
   */
  initialBackoffMillis?: number;
  /**
   * The longest delay between two attempts of our own backoff (a longer `Retry-After` is
   * honoured, as long as it fits in `maxRetryMillis`).
   * @default 30000
   */
  maxBackoffMillis?: number;
  /**
   * How long one request is retried before it counts as failed.
   * @default 300000
   */
  maxRetryMillis?: number;
  /**
   * The time limit of one attempt.
   * @default 10000
   */
  timeoutMillis?: number;
  /**
   * The shortest interval between two warnings about forwarding failures.
   * @default 30000
   */
  warnIntervalMillis?: number;
  /** Where warnings go. @default none */
  logger?: Logger;
}

/** The counters of {@link OtlpForwarder.stats}, as `GET /v1/agl/forwarder` returns them. */
export interface OtlpForwarderStats {
  /** The endpoint trace requests go to. */
  url: string;
  /** The endpoint of each signal. */
  urls: Record<ForwardedSignal, string>;
  /** Requests waiting or being sent. */
  queued_requests: number;
  /** Body bytes waiting or being sent. */
  queued_bytes: number;
  /** Requests the endpoint accepted (2xx). */
  forwarded: number;
  /** Attempts repeated after a network error, a timeout, a 429 or a 5xx. */
  retried: number;
  /** Requests never sent: the buffer was full, or the forwarder closed before they went out. */
  dropped: number;
  /** Requests given up: another 4xx, or retries for longer than `maxRetryMillis`. */
  failed: number;
  /** The latest failure (`null` before the first). */
  last_error: string | null;
}

/** The OTLP signals a forwarder carries, each to its own path. */
export type ForwardedSignal = 'traces' | 'logs' | 'metrics';

/** The headers of an accepted OTLP request that travel with its body. */
export interface ForwardedHeaders {
  'content-type'?: string;
  'content-encoding'?: string;
}

interface QueuedRequest {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
}

/** The outcome of one attempt. */
type Attempt = { kind: 'delivered' } | { kind: 'retry'; error: string; retryAfterMillis: number | null } | { kind: 'fatal'; error: string };

/**
 * Forwards OTLP/HTTP request bodies, unchanged, to another OTLP endpoint (Jaeger, an OpenTelemetry
 * Collector) in the background. {@link enqueue} never waits and never throws: the buffer is
 * bounded in requests and bytes and, when full, the new request is dropped (as the SDK's
 * `BatchSpanProcessor` drops new spans), so forwarding can never slow or block local ingestion.
 * Requests go out one at a time, in arrival order; network errors, timeouts, 429 and 5xx are
 * retried with exponential backoff (honouring `Retry-After`), other 4xx are not.
 */
export class OtlpForwarder {
  /** The endpoint trace requests go to. */
  readonly url: string;
  /** The endpoint of each signal. */
  readonly urls: Readonly<Record<ForwardedSignal, string>>;
  readonly #headers: Record<string, string>;
  readonly #maxQueuedRequests: number;
  readonly #maxQueuedBytes: number;
  readonly #initialBackoffMillis: number;
  readonly #maxBackoffMillis: number;
  readonly #maxRetryMillis: number;
  readonly #timeoutMillis: number;
  readonly #warnIntervalMillis: number;
  readonly #logger: Logger | undefined;
  readonly #queue: QueuedRequest[] = [];
  readonly #abort = new AbortController();
  #queuedBytes = 0;
  #forwarded = 0;
  #retried = 0;
  #dropped = 0;
  #failed = 0;
  #lastError: string | null = null;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #suppressedWarnings = 0;
  #worker: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #closing: Promise<void> | null = null;

  constructor(options: OtlpForwarderOptions) {
    this.urls = signalUrls(options.url);
    this.url = this.urls.traces;
    this.#headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    this.#maxQueuedRequests = positiveInteger('maxQueuedRequests', options.maxQueuedRequests ?? 1000);
    this.#maxQueuedBytes = positiveInteger('maxQueuedBytes', options.maxQueuedBytes ?? 64 * 1024 * 1024);
    this.#initialBackoffMillis = nonNegative('initialBackoffMillis', options.initialBackoffMillis ?? 500);
    this.#maxBackoffMillis = nonNegative('maxBackoffMillis', options.maxBackoffMillis ?? 30_000);
    this.#maxRetryMillis = nonNegative('maxRetryMillis', options.maxRetryMillis ?? 300_000);
    this.#timeoutMillis = positiveInteger('timeoutMillis', options.timeoutMillis ?? 10_000);
    this.#warnIntervalMillis = nonNegative('warnIntervalMillis', options.warnIntervalMillis ?? 30_000);
    this.#logger = options.logger;
  }

  /**
   * Queues one accepted request's body (as received: compressed or not) with its `Content-Type`
   * and `Content-Encoding`, to go to `signal`'s endpoint. Returns `false` when it was dropped
   * (buffer full or forwarder closed).
   */
  enqueue(body: Uint8Array, headers: ForwardedHeaders, signal: ForwardedSignal = 'traces'): boolean {
    if (this.#closing || this.#queue.length >= this.#maxQueuedRequests || this.#queuedBytes + body.byteLength > this.#maxQueuedBytes) {
      this.#dropped += 1;
      this.#warn(this.#closing ? 'the forwarder is closed' : 'the forwarding buffer is full');
      return false;
    }
    const sent: Record<string, string> = {};
    if (headers['content-type']) sent['content-type'] = headers['content-type'];
    if (headers['content-encoding']) sent['content-encoding'] = headers['content-encoding'];
    // The body may be a view on a pooled buffer: keep a copy of exactly its bytes.
    this.#queue.push({ url: this.urls[signal], body: Buffer.from(body), headers: { ...sent, ...this.#headers } });
    this.#queuedBytes += body.byteLength;
    this.#worker ??= this.#run();
    this.#wake?.();
    return true;
  }

  /** The counters, as `GET /v1/agl/forwarder` returns them. */
  stats(): OtlpForwarderStats {
    return {
      url: this.url,
      urls: { ...this.urls },
      queued_requests: this.#queue.length,
      queued_bytes: this.#queuedBytes,
      forwarded: this.#forwarded,
      retried: this.#retried,
      dropped: this.#dropped,
      failed: this.#failed,
      last_error: this.#lastError,
    };
  }

  /**
   * Stops taking requests and sends what is queued for up to `timeoutMillis`; what is still queued
   * then is dropped (and counted). Idempotent.
   */
  close(timeoutMillis = 5000): Promise<void> {
    this.#closing ??= (async () => {
      this.#wake?.();
      const worker = this.#worker;
      if (worker) {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMillis);
        });
        await Promise.race([worker, timedOut]);
        clearTimeout(timer);
        this.#abort.abort();
        await worker;
      }
      if (this.#queue.length > 0) {
        this.#dropped += this.#queue.length;
        this.#warn(`${this.#queue.length} request(s) still queued at shutdown were dropped`);
        this.#queue.length = 0;
        this.#queuedBytes = 0;
      }
    })();
    return this.#closing;
  }

  /** The one sender: takes the head of the queue, delivers or gives it up, then the next. */
  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const request = this.#queue[0];
      if (!request) {
        if (this.#closing) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = null;
        continue;
      }
      await this.#deliver(request, signal);
      if (signal.aborted) return;
      this.#queue.shift();
      this.#queuedBytes -= request.body.byteLength;
    }
  }

  /** Sends one request until it is delivered, given up, or the forwarder is aborted. */
  async #deliver(request: QueuedRequest, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    let backoff = this.#initialBackoffMillis;
    for (;;) {
      const attempt = await this.#attempt(request, signal);
      if (signal.aborted) return;
      if (attempt.kind === 'delivered') {
        this.#forwarded += 1;
        return;
      }
      this.#lastError = attempt.error;
      if (attempt.kind === 'fatal') {
        this.#failed += 1;
        this.#warn(attempt.error);
        return;
      }
      // The endpoint's Retry-After wins over our own (shorter) backoff; only maxRetryMillis caps it.
      const jittered = Math.min(this.#maxBackoffMillis, backoff * (0.8 + Math.random() * 0.4));
      const delay = Math.max(attempt.retryAfterMillis ?? 0, jittered);
      if (Date.now() - started + delay > this.#maxRetryMillis) {
        this.#failed += 1;
        this.#warn(`${attempt.error} (given up after ${Date.now() - started} ms of retries)`);
        return;
      }
      this.#warn(`${attempt.error} (retrying)`);
      this.#retried += 1;
      await abortableSleep(delay, signal);
      if (signal.aborted) return;
      backoff = Math.min(this.#maxBackoffMillis, backoff * 2);
    }
  }

  async #attempt(request: QueuedRequest, closed: AbortSignal): Promise<Attempt> {
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.any([closed, AbortSignal.timeout(this.#timeoutMillis)]),
      });
      // The answer's body is not needed, but must be read for the connection to be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { kind: 'delivered' };
      const error = `${request.url} answered ${response.status} ${response.statusText}`.trim();
      if (response.status === 429 || response.status >= 500) {
        return { kind: 'retry', error, retryAfterMillis: retryAfterMillis(response.headers.get('retry-after')) };
      }
      return { kind: 'fatal', error };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (error as Error).message;
      return { kind: 'retry', error: `${request.url} unreachable: ${detail}`, retryAfterMillis: null };
    }
  }

  /** Logs a warning at most once per `warnIntervalMillis`, saying how many were held back. */
  #warn(message: string): void {
    const now = Date.now();
    if (now - this.#lastWarnAt < this.#warnIntervalMillis) {
      this.#suppressedWarnings += 1;
      return;
    }
    const suppressed = this.#suppressedWarnings ? ` (${this.#suppressedWarnings} similar warning(s) suppressed)` : '';
    this.#lastWarnAt = now;
    this.#suppressedWarnings = 0;
    this.#logger?.warn(`OTLP forwarding: ${message}${suppressed}`);
  }
}

/** The full `/v1/traces` URL of an endpoint given as a base or as the full URL of a signal. */
export function tracesUrl(endpoint: string): string {
  return signalUrls(endpoint).traces;
}

const SIGNAL_PATH = /\/v1\/(traces|logs|metrics)\/?$/;

/**
 * The endpoint of each signal for a forward URL: a URL ending in a signal path keeps it for that
 * signal and puts the others beside it (`…/v1/traces` → `…/v1/logs`); any other URL is a base.
 */
export function signalUrls(endpoint: string): Record<ForwardedSignal, string> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`Expected the forward URL to be an http(s) URL, got \`${endpoint}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Expected the forward URL to be an http(s) URL, got \`${endpoint}\``);
  }
  const given = url.toString();
  const match = SIGNAL_PATH.exec(url.pathname);
  const basePath = (match ? url.pathname.slice(0, match.index) : url.pathname).replace(/\/+$/, '');
  const at = (signal: ForwardedSignal): string => {
    if (match && match[1] === signal) return given;
    const signalUrl = new URL(url);
    signalUrl.pathname = `${basePath}/v1/${signal}`;
    return signalUrl.toString();
  };
  return { traces: at('traces'), logs: at('logs'), metrics: at('metrics') };
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMillis(header: string | null): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`${name}\` to be an integer ≥ 1, got \`${value}\``);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`Expected \`${name}\` to be a number ≥ 0, got \`${value}\``);
  return value;
}
