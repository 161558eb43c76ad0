import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AglError, InvalidRequestError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, RetryableError, UnsupportedMediaTypeError } from '../errors/index.ts';
import { completeChoice, completionBody, completionChunks, SYSTEM_FINGERPRINT } from './chat-completion.ts';
import { parseChatRequest } from './chat-request.ts';
import { sendOpenAiError } from './openai-error.ts';
import { ChaosDraws } from './chaos-draws.ts';
import { shortHash } from './seeded-random.ts';
import { resolveSimLlmOptions } from './sim-llm-options.ts';
import type { ResolvedSimLlmOptions, SimLlmOptions } from './sim-llm-options.ts';
import { simulateReply } from './simulate-reply.ts';

/** The largest request body accepted. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** An injected server error (500/503). */
class InjectedServerError extends AglError {
  /** Sent as `retry-after-ms` (not `Retry-After`), so clients' retries need not back off for seconds in tests. */
  readonly retryAfterMillis: number;

  constructor(status: 500 | 503, retryAfterMillis: number) {
    super(status === 500 ? 'internal' : 'unavailable', status, `Simulated ${status} error (agl-sim-llm error injection)`);
    this.retryAfterMillis = retryAfterMillis;
  }
}

/**
 * `agl sim-llm`: an OpenAI-compatible chat-completions server whose answers are simulated (see
 * `README.md` in this folder). `POST /v1/chat/completions` (tools, `stream`), `GET /v1/models`,
 * `GET /v1/models/{id}`; OpenAI error bodies; seeded latency and error injection.
 */
export class SimLlmServer {
  readonly #server: Server;
  readonly #options: ResolvedSimLlmOptions;
  /** Draws latency and injected errors: sequential, so retries of one request can succeed. */
  readonly #chaos: ChaosDraws;
  #requests = 0;
  #closed: Promise<void> | undefined;

  private constructor(options: ResolvedSimLlmOptions) {
    this.#options = options;
    this.#chaos = new ChaosDraws(options.seed, options.latencyMillis);
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (error instanceof InjectedServerError) response.setHeader('retry-after-ms', String(error.retryAfterMillis));
        sendOpenAiError(response, error);
      });
    });
  }

  /** Starts a server; resolves once it listens. Invalid options throw a `TypeError`. */
  static async start(options: SimLlmOptions = {}): Promise<SimLlmServer> {
    const server = new SimLlmServer(resolveSimLlmOptions(options));
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(server.#options.port, server.#options.host, () => {
        server.#server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  /** The port listened on (the real one when started on port 0). */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The server's root URL, e.g. `http://127.0.0.1:8000`. */
  get url(): string {
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return `http://${host}:${this.port}`;
  }

  /** The OpenAI base URL, `<url>/v1`: give it to the SDK as `baseURL` or `OPENAI_BASE_URL`. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** Chat-completion requests received so far (including the ones answered with an injected error). */
  get requestCount(): number {
    return this.#requests;
  }

  /** Stops listening and closes connections; idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
    return this.#closed;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    response.setHeader('x-agl-simulated', 'true');
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      if (request.method !== 'POST') throw new MethodNotAllowedError(`${request.method} is not allowed on ${path}; use POST`, ['POST']);
      await this.#chatCompletion(request, response);
      return;
    }
    request.resume();
    if (path === '/v1/models' || path === '/models') {
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new MethodNotAllowedError(`Use GET on ${path}`, ['GET']);
      sendJson(response, 200, { object: 'list', data: this.#options.models.map((id) => modelObject(id)) });
      return;
    }
    const model = /^\/(?:v1\/)?models\/(.+)$/.exec(path);
    if (model) {
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new MethodNotAllowedError(`Use GET on ${path}`, ['GET']);
      sendJson(response, 200, modelObject(decodeURIComponent(model[1])));
      return;
    }
    if (path === '/' || path === '/v1') {
      sendJson(response, 200, { name: 'agl-sim-llm', simulated: true, base_url: this.baseURL, models: this.#options.models });
      return;
    }
    throw new NotFoundError(`Unknown path ${path}: the simulated model serves /v1/chat/completions and /v1/models`);
  }

  async #chatCompletion(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#requests++;
    const body = await readJsonBody(request);
    const chat = parseChatRequest(body);
    const { latencyMillis: latency, errorDraw: draw } = this.#chaos.next();
    if (latency > 0) await sleep(latency);
    let threshold = 0;
    for (const { status, rate } of this.#options.errorRates) {
      threshold += rate;
      if (draw < threshold) {
        if (status === 429) throw new RetryableError(429, 'Simulated rate limit reached (agl-sim-llm error injection); retry after the indicated time', this.#options.retryAfterMillis);
        throw new InjectedServerError(status, this.#options.retryAfterMillis);
      }
    }

    const requestKey = shortHash([this.#options.seed, chat.seed, chat.temperature, chat.messages, chat.tools, chat.toolChoice, chat.responseFormat], 32);
    const choices = [];
    let behaviour = '';
    for (let index = 0; index < chat.n; index++) {
      const simulated = simulateReply(chat, this.#options.seed, index);
      behaviour = simulated.behaviour;
      choices.push(completeChoice(chat, simulated.reply, index, requestKey));
    }
    const id = `chatcmpl-sim${this.#requests}${requestKey.slice(0, 20)}`;
    const created = Math.floor(Date.now() / 1000);
    const headers = { 'x-request-id': `req_sim_${this.#requests}`, 'x-agl-sim-behaviour': behaviour, 'openai-processing-ms': String(Math.round(latency)) };
    if (!chat.stream) {
      sendJson(response, 200, completionBody(chat, id, created, choices), headers);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    for (const chunk of completionChunks(chat, id, created, choices)) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    response.end('data: [DONE]\n\n');
  }
}

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: 1_735_689_600, owned_by: SYSTEM_FINGERPRINT, simulated: true };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/**
 * Reads a JSON body. (The collector's `readJsonBody` does the same, but `src/` does not import
 * from the collector app; this one also needs no gzip.)
 */
async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    request.resume();
    throw new UnsupportedMediaTypeError(`Expected Content-Type application/json, got \`${type}\``);
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) throw new PayloadTooLargeError(`The body exceeds the limit of ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, length).toString('utf8');
  if (text.trim() === '') throw new InvalidRequestError('The request body is empty: expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`We could not parse the JSON body of your request: ${(error as Error).message}`, { cause: error });
  }
}
