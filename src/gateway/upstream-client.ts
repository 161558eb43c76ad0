import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Pool, util as undiciUtil } from 'undici';
import type { Dispatcher } from 'undici';
import { UpstreamUnreachableError } from './gateway-errors.ts';

/** Options of {@link UpstreamClient}. */
export interface UpstreamClientOptions {
  /** The upstream's OpenAI base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  /**
   * The longest the upstream may stay silent (no connection, or no byte of the answer) before the
   * call fails with 502. Kept to within a second: undici checks its timeouts on a coarse clock
   * (cheaper per call than a timer each), so 200 ms fires after about 1 s.
   * @default 600000 (the OpenAI SDK's default timeout)
   */
  idleTimeoutMillis?: number;
  /**
   * The most connections open to the upstream at once; calls beyond wait for one. `null`: as many
   * as there are calls under way.
   * @default null
   */
  maxConnections?: number | null;
}

/** What reads an answer's body (see {@link UpstreamAnswer.read}). */
export interface UpstreamBodyReader {
  /** A chunk of the body as it arrived; `false` pauses the upstream until {@link UpstreamAnswer.resume}. */
  data(chunk: Buffer): boolean;
  /** The body is complete. */
  end(): void;
  /** The body broke off (the upstream closed, went silent, or the request was aborted). */
  error(error: Error): void;
}

/** An upstream answer whose status and headers have arrived. */
export interface UpstreamAnswer {
  readonly statusCode: number;
  /** The headers, names in lower case, a repeated header as an array. */
  readonly headers: IncomingHttpHeaders;
  /** Hands the body to `reader`: what has arrived already at once, the rest as it arrives. Call once. */
  read(reader: UpstreamBodyReader): void;
  /** Resumes an upstream paused by `reader.data` returning `false`. */
  resume(): void;
}

/** A request under way to the upstream (see {@link UpstreamClient.send}). */
export interface UpstreamRequest {
  /** Resolves with the answer once its status and headers arrive. */
  answer: Promise<UpstreamAnswer>;
  /**
   * Stops the request and its answer (an answer being read breaks off: `reader.error(reason)`);
   * `answer`, when it has not resolved yet, rejects with `reason`. Does nothing once the request is over.
   */
  abort(reason: Error): void;
}

/**
 * Calls the upstream model over kept-alive connections with undici's `Pool` and its low-level
 * `dispatch` (no `fetch`, no stream objects: the body's chunks are handed on as the parser yields
 * them). Per call this costs the gateway ~25 µs less CPU than `node:http`'s `ClientRequest` and
 * `IncomingMessage` plain, ~45 µs less streamed (measured at concurrency 64, see
 * docs/benchmarks.md#gateway).
 */
export class UpstreamClient {
  /** The upstream's base URL. */
  readonly baseUrl: URL;
  /** Host and port, for `server.address` / `server.port`. */
  readonly server: { address: string; port: number };
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #idleTimeoutMillis: number;

  constructor(options: UpstreamClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (error) {
      throw new TypeError(`Expected the model upstream to be an http(s) URL such as http://127.0.0.1:8000/v1, got \`${options.baseUrl}\``, { cause: error });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`Expected the model upstream to be an http(s) URL, got \`${options.baseUrl}\``);
    }
    const idleTimeoutMillis = options.idleTimeoutMillis ?? 600_000;
    if (!(idleTimeoutMillis > 0)) throw new RangeError(`Expected \`idleTimeoutMillis\` to be a number > 0, got \`${idleTimeoutMillis}\``);
    const maxConnections = options.maxConnections ?? null;
    if (maxConnections !== null && !(Number.isInteger(maxConnections) && maxConnections >= 1)) {
      throw new RangeError(`Expected \`maxConnections\` to be an integer ≥ 1 or null, got \`${maxConnections}\``);
    }
    this.baseUrl = url;
    this.server = { address: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
    this.#pool = new Pool(url.origin, {
      connections: maxConnections,
      headersTimeout: idleTimeoutMillis,
      bodyTimeout: idleTimeoutMillis,
      connect: { timeout: idleTimeoutMillis },
    });
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#idleTimeoutMillis = idleTimeoutMillis;
  }

  /**
   * Sends a request to `path` under the base URL (`/chat/completions`, with the client's query
   * string). Its `answer` resolves once the answer's status and headers arrive, and rejects with
   * {@link UpstreamUnreachableError} when the upstream cannot be reached or is silent too long, or
   * with the reason given to `abort` when that comes first.
   */
  send(method: string, path: string, body: Uint8Array | null, headers: OutgoingHttpHeaders): UpstreamRequest {
    const exchange = new UpstreamExchange(this.baseUrl.origin, this.#idleTimeoutMillis);
    this.#pool.dispatch(
      { origin: this.baseUrl.origin, method: method as Dispatcher.HttpMethod, path: this.#basePath + path, body, headers: headers as Record<string, string | string[]> },
      exchange,
    );
    return exchange;
  }

  /** Closes the kept-alive connections (calls under way are broken off). Idempotent. */
  close(): void {
    if (!this.#pool.destroyed) void this.#pool.destroy().catch(() => {});
  }
}

/**
 * One call: undici's handler of its answer, and the {@link UpstreamRequest} and
 * {@link UpstreamAnswer} the gateway sees. Chunks that arrive before the gateway reads the body
 * (the parser goes on within the turn that delivered the headers) are held until it does.
 */
class UpstreamExchange implements Dispatcher.DispatchHandlers, UpstreamRequest, UpstreamAnswer {
  readonly answer: Promise<UpstreamAnswer>;
  statusCode = 0;
  headers: IncomingHttpHeaders = {};
  readonly #origin: string;
  readonly #idleTimeoutMillis: number;
  #resolve!: (answer: UpstreamAnswer) => void;
  #reject!: (error: Error) => void;
  /** Stops the request once it is on a connection; `null` before. */
  #stop: ((error: Error) => void) | null = null;
  #aborted: Error | null = null;
  #over = false;
  #answered = false;
  #resumeUpstream: (() => void) | null = null;
  #reader: UpstreamBodyReader | null = null;
  #held: Buffer[] = [];
  /** How the body ended before it was read: `true` complete, an error broken. */
  #endedUnread: true | Error | null = null;

  constructor(origin: string, idleTimeoutMillis: number) {
    this.#origin = origin;
    this.#idleTimeoutMillis = idleTimeoutMillis;
    this.answer = new Promise<UpstreamAnswer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  abort(reason: Error): void {
    if (this.#aborted || this.#over) return;
    this.#aborted = reason;
    // Not on a connection yet (waiting for one, or connecting): stopped as soon as it is.
    this.#stop?.(reason);
  }

  read(reader: UpstreamBodyReader): void {
    this.#reader = reader;
    for (const chunk of this.#held) reader.data(chunk);
    this.#held = [];
    if (this.#endedUnread === true) reader.end();
    else if (this.#endedUnread) reader.error(this.#endedUnread);
  }

  resume(): void {
    this.#resumeUpstream?.();
  }

  onConnect(stop: (error?: Error) => void): void {
    if (this.#aborted) stop(this.#aborted);
    else this.#stop = stop;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx (e.g. 103 Early Hints) are not the answer.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    const headers: IncomingHttpHeaders = {};
    for (let index = 0; index < rawHeaders.length; index += 2) {
      const name = undiciUtil.headerNameToString(rawHeaders[index]);
      // latin1, as node:http reads header values: what the upstream sent passes on byte for byte.
      const value = rawHeaders[index + 1].toString('latin1');
      const before = headers[name];
      headers[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
    this.headers = headers;
    this.#resumeUpstream = resume;
    this.#answered = true;
    this.#resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#reader) return this.#reader.data(chunk);
    this.#held.push(chunk);
    return true;
  }

  onComplete(): void {
    this.#over = true;
    if (this.#reader) this.#reader.end();
    else this.#endedUnread = true;
  }

  onError(error: Error): void {
    this.#over = true;
    const reason = this.#aborted ?? this.#upstreamError(error);
    if (!this.#answered) this.#reject(reason);
    else if (this.#reader) this.#reader.error(reason);
    else this.#endedUnread = reason;
  }

  #upstreamError(error: Error): Error {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new UpstreamUnreachableError(`The model upstream ${this.#origin} sent nothing for ${this.#idleTimeoutMillis} ms`, { cause: error });
    }
    // undici's own codes (UND_ERR_SOCKET: "other side closed") say less than their messages.
    const what = code && !code.startsWith('UND_ERR') ? code : error.message;
    return new UpstreamUnreachableError(`The model upstream ${this.#origin} cannot be reached: ${what}`, { cause: error });
  }
}
