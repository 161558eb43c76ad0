import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors/index.ts';
import { StoreClient, StoreHttpError, StoreValidationError } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

const servers: Server[] = [];
after(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

/** A tiny server answering each request with the next of `answers` (the last one repeats). */
async function scripted(answers: { status: number; body: unknown; delayMillis?: number }[]): Promise<{ url: string; requests: { method: string; url: string; body: string; auth?: string }[] }> {
  const requests: { method: string; url: string; body: string; auth?: string }[] = [];
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    requests.push({ method: request.method!, url: request.url!, body, auth: request.headers.authorization });
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
    setTimeout(() => {
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    }, answer.delayMillis ?? 0);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('StoreClient', () => {
  it('retries 5xx with backoff, sends snake_case and the bearer token', async () => {
    const server = await scripted([
      { status: 503, body: { detail: 'busy' } },
      { status: 500, body: { detail: 'oops' } },
      { status: 200, body: { items: [], limit: -1, offset: 0, total: 0 } },
    ]);
    const client = new StoreClient({ baseUrl: server.url, token: 'tok', retryDelayMillis: 5 });
    assert.deepEqual((await client.queryRollouts({ limit: 3 })).items, []);
    assert.equal(server.requests.length, 3);
    assert.equal(server.requests[2].auth, 'Bearer tok');
  });

  it('retries a non-idempotent call (dequeue) after a 503 only, never after another 5xx', async () => {
    // Issue 10 §4 changed this: dequeue was retried after a 500 too, when the server may have acted.
    const busy = await scripted([
      { status: 503, body: { detail: 'busy' } },
      { status: 200, body: [] },
    ]);
    const client = new StoreClient({ baseUrl: busy.url, retryDelayMillis: 5 });
    assert.deepEqual(await client.dequeueRollouts({ limit: 3, workerId: 'w-1' }), []);
    assert.equal(busy.requests.length, 2);
    assert.deepEqual(JSON.parse(busy.requests[0].body), { limit: 3, worker_id: 'w-1' });
    const failing = await scripted([{ status: 500, body: { detail: 'oops' } }]);
    await assert.rejects(new StoreClient({ baseUrl: failing.url, retryDelayMillis: 1 }).dequeueRollouts(), StoreHttpError);
    assert.equal(failing.requests.length, 1);
  });

  it('gives up after maxRetries with the last 5xx', async () => {
    const server = await scripted([{ status: 502, body: { detail: 'down' } }]);
    const client = new StoreClient({ baseUrl: server.url, maxRetries: 2, retryDelayMillis: 1 });
    await assert.rejects(client.statistics(), (error: StoreHttpError) => error instanceof StoreHttpError && error.status === 502);
    assert.equal(server.requests.length, 3);
  });

  it('never retries a 4xx, and maps it to a typed error', async () => {
    const server = await scripted([{ status: 409, body: { detail: 'finished', code: 'conflict' } }]);
    const client = new StoreClient({ baseUrl: server.url, retryDelayMillis: 1 });
    await assert.rejects(client.updateRollout('ro-1', { status: 'running', metadata: null }), ConflictError);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(JSON.parse(server.requests[0].body), { status: 'running', metadata: null });
    const invalid = await scripted([{ status: 422, body: { detail: [{ loc: ['body', 'limit'], msg: 'bad', type: 'int_type' }] } }]);
    await assert.rejects(new StoreClient({ baseUrl: invalid.url }).dequeueRollouts(), (error: StoreValidationError) => {
      assert.deepEqual(error.issues[0].loc, ['body', 'limit']);
      return true;
    });
    assert.equal(invalid.requests.length, 1);
  });

  it('retries network errors (a connection dropped without an answer, then refused)', async () => {
    let connections = 0;
    const dropping = createNetServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    const port = (dropping.address() as AddressInfo).port;
    const client = new StoreClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2, retryDelayMillis: 1 });
    await assert.rejects(client.health(), /socket hang up|ECONNRESET/);
    assert.equal(connections, 3);
    await new Promise((resolve) => dropping.close(resolve));
    await assert.rejects(client.health(), { code: 'ECONNREFUSED' });
  });

  it('retries network errors through a custom fetch too', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const client = new StoreClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2, retryDelayMillis: 1, fetch: counting });
    await assert.rejects(client.health(), TypeError);
    assert.equal(calls, 3);
  });

  it('stops at timeoutMillis and on an aborted signal', async () => {
    const server = await scripted([{ status: 200, body: null, delayMillis: 2000 }]);
    const client = new StoreClient({ baseUrl: server.url, retryDelayMillis: 1 });
    const started = Date.now();
    await assert.rejects(client.getWorker('w', { timeoutMillis: 50 }), { name: 'TimeoutError' });
    assert.ok(Date.now() - started < 1800);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(client.getWorker('w', { signal: controller.signal }), { name: 'AbortError' });
    assert.equal(server.requests.length, 2);
  });

  it('works against the collector: typed results, null for unknown rollouts, NotFoundError for unknown attempts', async () => {
    const collector = await startTestCollector({ watchdogIntervalMillis: 0 });
    try {
      const client = new StoreClient({ baseUrl: collector.url });
      const resources = await client.addResources({ prompt: { resource_type: 'prompt_template', template: 'x', engine: 'jinja' } });
      const rollout = await client.enqueueRollout({ input: { q: 1 }, mode: 'test', config: { max_attempts: 2 } });
      assert.equal(rollout.resources_id, resources.resources_id);
      assert.equal(rollout.config.max_attempts, 2);
      assert.equal(await client.getRollout('ro-none'), null);
      await assert.rejects(client.updateAttempt(rollout.rollout_id, 'at-none', { status: 'failed' }), NotFoundError);
      const page = await client.queryRollouts({ statusIn: ['queuing'], modeIn: ['test'] });
      assert.equal(page.total, 1);
      const cancelled = await client.cancelRollout(rollout.rollout_id);
      assert.equal(cancelled.status, 'cancelled');
      assert.deepEqual(await client.waitForRollouts([rollout.rollout_id], { timeoutSeconds: 1 }), [cancelled]);
      assert.equal((await client.queryResources({ resourcesId: resources.resources_id })).items[0].version, 1);
      assert.equal((await client.updateWorker('w-9', { heartbeatStats: { n: 1 } })).status, 'unknown');
      assert.equal((await client.queryWorkers({ statusIn: ['unknown'] })).total, 1);
    } finally {
      await collector.close();
    }
  });
});
