import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the target received. */
export interface ReceivedRequest {
  body: Buffer;
  headers: IncomingHttpHeaders;
  atMillis: number;
  /** The request's path (`/v1/traces`, `/v1/logs`, `/v1/metrics`). */
  path: string;
}

/** What the target answers to its n-th request (0-based): a status and headers, or `proxy`. */
export type Answer = { status: number; headers?: Record<string, string> } | 'proxy' | 'hang';

/** A real OTLP/HTTP endpoint that records what it gets and answers as scripted. */
export interface Target {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a target on a free port. `answer(n)` scripts the n-th answer; `proxy` passes the request
 * on to `proxyUrl` (a real collector) and relays its status, so that what it stores is what the
 * forwarder finally delivered.
 */
export async function startTarget(answer: (n: number) => Answer, proxyUrl?: string): Promise<Target> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const n = received.length;
    received.push({ body, headers: request.headers, atMillis: Date.now(), path: request.url ?? '/' });
    const scripted = answer(n);
    if (scripted === 'hang') return;
    if (scripted === 'proxy') {
      const relayed = await fetch(`${proxyUrl}/v1/traces`, {
        method: 'POST',
        headers: {
          'content-type': request.headers['content-type'] ?? '',
          ...(request.headers['content-encoding'] ? { 'content-encoding': request.headers['content-encoding'] } : {}),
        },
        body,
      });
      const answerBody = Buffer.from(await relayed.arrayBuffer());
      response.writeHead(relayed.status, { 'content-type': relayed.headers.get('content-type') ?? 'application/octet-stream' });
      response.end(answerBody);
      return;
    }
    response.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
    response.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (taken, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `condition` every 20 ms until it holds, or fails after `timeoutMillis`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMillis = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
