import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { requestGuard } from '../http/request-guard.ts';
import { MethodNotAllowedError, NotFoundError } from '../../src/errors/index.ts';
import { sendError, sendJson } from '../http/respond.ts';
import type { HealthWorkerData, HealthWorkerMessage } from './health-protocol.ts';

// The health port's thread: its own event loop, so a probe is accepted and answered at once however
// long the collector's turns are under load; the answer says whether the collector's loop turned
// recently (the heartbeat the main thread writes into shared memory).

const { host, port, corsOrigins, heartbeat, stallMillis } = workerData as HealthWorkerData;
const beat = new BigInt64Array(heartbeat);
const guard = requestGuard({ host, corsOrigins });

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  try {
    const url = new URL(request.url ?? '/', 'http://health.invalid');
    if (guard(request, response, url) === 'answered') return;
    if (url.pathname !== '/v1/agl/health') throw new NotFoundError(`No such endpoint: ${url.pathname}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new MethodNotAllowedError(`Method ${request.method} not allowed`, ['GET', 'HEAD']);
  } catch (error) {
    sendError(response, error);
    return;
  }
  const silentMillis = Date.now() - Number(Atomics.load(beat, 0));
  if (silentMillis > stallMillis) {
    sendJson(response, 503, { status: 'stalled', detail: `The collector's event loop has not turned for ${silentMillis} ms` });
    return;
  }
  sendJson(response, 200, { status: 'ok' });
}

const server = createServer(answer);
server.keepAliveTimeout = 65_000;
server.once('error', (error: NodeJS.ErrnoException) => {
  parentPort!.postMessage({ kind: 'failed', code: error.code ?? 'ERROR', message: error.message } satisfies HealthWorkerMessage);
});
server.listen(port, host, () => {
  parentPort!.postMessage({ kind: 'listening', port: (server.address() as AddressInfo).port } satisfies HealthWorkerMessage);
});
parentPort!.on('message', (message: 'close') => {
  if (message !== 'close') return;
  server.close(() => parentPort!.close());
  server.closeAllConnections();
});
