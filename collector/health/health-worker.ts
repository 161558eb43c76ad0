import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { requestGuard } from '../http/request-guard.ts';
import { errorStatus, sendJson } from '../http/respond.ts';
import type { HealthWorkerData, HealthWorkerMessage } from './health-protocol.ts';

// The health port's thread: its own event loop, so a probe is accepted and answered at once however
// long the collector's turns are under load; the answer says whether the collector's loop turned
// recently (the heartbeat the main thread writes into shared memory).

const { host, port, corsOrigins, heartbeat, stallMillis } = workerData as HealthWorkerData;
const beat = new BigInt64Array(heartbeat);
const guard = requestGuard({ host, corsOrigins });

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://health.invalid');
    if (guard(request, response, url) === 'answered') return;
  } catch (error) {
    const { status, headers, message, code } = errorStatus(error);
    sendJson(response, status, { detail: message, code }, headers);
    return;
  }
  if (url.pathname !== '/v1/agl/health') {
    sendJson(response, 404, { detail: `No such endpoint: ${url.pathname}`, code: 'not_found' });
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendJson(response, 405, { detail: `Method ${request.method} not allowed`, code: 'method_not_allowed' }, { allow: 'GET, HEAD' });
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
