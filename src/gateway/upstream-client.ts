import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { UpstreamUnreachableError } from './gateway-errors.ts';

/** Options of {@link UpstreamClient}. */
export interface UpstreamClientOptions {
  /** The upstream's OpenAI base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  /**
   * The longest the upstream may stay silent (no byte of the answer) before the call fails with 502.
   * @default 600000 (the OpenAI SDK's default timeout)
   */
  idleTimeoutMillis?: number;
  /**
   * Kept-alive connections to the upstream held open while idle.
   * @default 256
   */
  maxFreeSockets?: number;
}

/** A request under way to the upstream (see {@link UpstreamClient.send}). */
export interface UpstreamRequest {
  /** Resolves with the answer once its status and headers arrive. */
  answer: Promise<IncomingMessage>;
  /**
   * Stops the request and its answer (an answer being read breaks off); `answer`, when it has not
   * resolved yet, rejects with `reason`. Does nothing once the request is over.
   */
  abort(reason: Error): void;
}

/**
 * Calls the upstream model over `node:http(s)` with kept-alive connections (cheaper per call than
 * `fetch`, as the project measured for its `StoreClient`), and hands back the answer as a stream so
 * that it can be passed on as it arrives.
 */
export class UpstreamClient {
  /** The upstream's base URL. */
  readonly baseUrl: URL;
  /** Host and port, for `server.address` / `server.port`. */
  readonly server: { address: string; port: number };
  readonly #agent: HttpAgent;
  readonly #send: typeof httpRequest;
  readonly #basePath: string;
  readonly #hostname: string;
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
    this.baseUrl = url;
    const https = url.protocol === 'https:';
    this.server = { address: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : https ? 443 : 80 };
    const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSockets ?? 256 };
    this.#agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.#send = https ? (httpsRequest as typeof httpRequest) : httpRequest;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.#idleTimeoutMillis = idleTimeoutMillis;
  }

  /**
   * Sends a request to `path` under the base URL (`/chat/completions`, with the client's query
   * string). Its `answer` resolves once the answer's status and headers arrive, and rejects with
   * {@link UpstreamUnreachableError} when the upstream cannot be reached or is silent too long, or
   * with the reason given to `abort` when that comes first.
   */
  send(method: string, path: string, body: Uint8Array | null, headers: OutgoingHttpHeaders): UpstreamRequest {
    let aborted: Error | null = null;
    // Unset when `request` threw (e.g. a header value it refuses): `answer` has rejected with that.
    let sent: ClientRequest | undefined;
    const answer = new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = this.#send(
        {
          protocol: this.baseUrl.protocol,
          hostname: this.#hostname,
          port: this.baseUrl.port || undefined,
          method,
          path: this.#basePath + path,
          headers: body ? { ...headers, 'content-length': body.byteLength } : headers,
          agent: this.#agent,
        },
        resolve,
      );
      sent = outgoing;
      outgoing.setTimeout(this.#idleTimeoutMillis, () => {
        outgoing.destroy(new UpstreamUnreachableError(`The model upstream ${this.baseUrl.origin} sent nothing for ${this.#idleTimeoutMillis} ms`));
      });
      outgoing.on('error', (error) => {
        if (aborted) return reject(aborted);
        if (error instanceof UpstreamUnreachableError) return reject(error);
        reject(
          new UpstreamUnreachableError(
            `The model upstream ${this.baseUrl.origin} cannot be reached: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
            { cause: error },
          ),
        );
      });
      outgoing.end(body ?? undefined);
    });
    return {
      answer,
      // A plain destroy rather than an AbortSignal given to `request`: no signal, controller and
      // listeners to make and remove on every call (measured at ~2 % of the gateway's CPU).
      abort: (reason) => {
        if (aborted || !sent || sent.destroyed) return;
        aborted = reason;
        sent.destroy(reason);
      },
    };
  }

  /** Closes the kept-alive connections. Idempotent. */
  close(): void {
    this.#agent.destroy();
  }
}
