import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Issue 10, section 4: the client retries only calls that are safe to repeat. A proxy forwards each
 * request to the collector (which acts on it) and drops the first answer of every path.
 */

let collector: Collector;
let proxyUrl: string;
const dropped = new Set<string>();
const proxy = createServer((incoming, outgoing) => {
  const target = new URL(incoming.url ?? '/', collector.url);
  const forward = httpRequest(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
    const key = `${incoming.method} ${target.pathname}`;
    if (!dropped.has(key)) {
      dropped.add(key);
      answer.resume();
      answer.on('end', () => outgoing.socket?.destroy()); // the server acted; its answer is lost
      return;
    }
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(outgoing);
  });
  incoming.pipe(forward);
});

before(async () => {
  collector = await startTestCollector({ dbPath: join(tempDir(), 'retry.duckdb'), watchdogIntervalMillis: 0 });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
after(async () => {
  proxy.close();
  await collector.close();
});

describe('StoreClient retries', () => {
  it('does not repeat a dequeue whose answer was lost (no second attempt, no orphan), but retries reads', async () => {
    const direct = new StoreClient({ baseUrl: collector.url });
    const [queued] = await direct.enqueueRollouts([{ input: 'a' }, { input: 'b' }]);
    const client = new StoreClient({ baseUrl: proxyUrl, retryDelayMillis: 1 });
    await assert.rejects(client.dequeueRollouts({ workerId: 'w-lost' }));
    // The server dequeued once: one rollout has an attempt, the other still waits.
    const rollouts = (await direct.queryRollouts()).items;
    assert.deepEqual(rollouts.map((rollout) => rollout.status).sort(), ['preparing', 'queuing']);
    assert.equal((await direct.queryAttempts(queued.rollout_id)).items.length, 1);
    // A read is repeated after its lost answer.
    const read = await client.getRollout(queued.rollout_id);
    assert.equal(read?.rollout_id, queued.rollout_id);
  });

  it('retries a non-idempotent call when the connection was refused (the server never saw it)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new StoreClient({ baseUrl: `http://127.0.0.1:${port}`, retryDelayMillis: 1, maxRetries: 2 });
    const started = Date.now();
    await assert.rejects(client.enqueueRollouts([{ input: 'x' }]));
    assert.ok(Date.now() - started < 5000);
  });
});
