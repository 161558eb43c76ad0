import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Collector, CollectorOptions } from '../../collector/index.ts';
import { OtlpForwarder } from '../../src/forward/index.ts';
import type { OtlpForwarderStats } from '../../src/forward/index.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { freePort, startTarget, waitFor } from './target.ts';
import type { Target } from './target.ts';

/**
 * `forwardUrl`: accepted OTLP requests go, unchanged and in the background, to a second endpoint —
 * a second real collector, or a real HTTP server scripted to fail.
 */

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function target(...args: Parameters<typeof startTarget>): Promise<Target> {
  const started = await startTarget(...args);
  cleanups.push(() => started.close());
  return started;
}

/** Fast retries, so that tests wait milliseconds rather than seconds. */
const FAST = { initialBackoffMillis: 20, maxBackoffMillis: 100 };

async function collector(options: CollectorOptions = {}): Promise<Collector> {
  // Queued forwards left at the end of a test are not worth waiting for.
  const started = await startTestCollector({ forwardCloseTimeoutMillis: 100, ...options });
  cleanups.push(() => started.close());
  return started;
}

async function post(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...headers },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

async function stats(at: Collector): Promise<OtlpForwarderStats> {
  const response = await fetch(`${at.url}/v1/agl/forwarder`);
  assert.equal(response.status, 200);
  return (await response.json()) as OtlpForwarderStats;
}

async function spanCount(at: Collector, where = 'true'): Promise<number> {
  const [row] = await queryRows(at, `SELECT count(*)::INTEGER AS n FROM spans WHERE ${where}`);
  return row.n as number;
}

/** Every stored span, all columns but the local arrival time, in a stable order. */
async function storedSpans(at: Collector) {
  return queryRows(at, `SELECT * EXCLUDE (received_at) FROM spans ORDER BY trace_id, span_id`);
}

describe('forwarding to a second collector', () => {
  it('spans from the official protobuf exporter land identical in both DuckDB files', async () => {
    const second = await collector();
    const first = await collector({ forwardUrl: second.url, forwardOptions: FAST });
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'fwd', 'agentlightning.rollout_id': 'ro-fwd' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${first.url}/v1/traces` }))],
    });
    const tracer = provider.getTracer('fwd-scope', '1.0.0');
    for (let i = 0; i < 5; i += 1) {
      const span = tracer.startSpan(`op-${i}`, { kind: SpanKind.CLIENT, attributes: { i, text: `t${i}`, list: [1, 2] } });
      span.addEvent('e', { step: i });
      span.end();
    }
    await provider.forceFlush();
    await provider.shutdown();
    await waitFor(async () => (await spanCount(second)) === 5, 'the forwarded spans');
    const local = await storedSpans(first);
    assert.equal(local.length, 5);
    assert.deepEqual(await storedSpans(second), local);
    const counters = await stats(first);
    assert.equal(counters.url, `${second.url}/v1/traces`);
    assert.equal(counters.forwarded, 5);
    assert.deepEqual(
      [counters.queued_requests, counters.queued_bytes, counters.retried, counters.dropped, counters.failed, counters.last_error],
      [0, 0, 0, 0, 0, null],
    );
  });

  it('forwards a gzip body byte for byte with its headers and the configured ones, not the client token', async () => {
    const seen = await target(() => ({ status: 200 }));
    const first = await collector({
      token: 'local-secret',
      forwardUrl: `${seen.url}/v1/traces`,
      forwardOptions: { ...FAST, headers: { Authorization: 'Bearer remote', 'x-tenant': 't1' } },
    });
    const gzipped = gzipSync(protobufBody([spanSpec(), spanSpec()]));
    const status = await post(first.url, gzipped, {
      'content-type': 'application/x-protobuf; charset=binary',
      'content-encoding': 'gzip',
      authorization: 'Bearer local-secret',
    });
    assert.equal(status, 200);
    assert.equal(await spanCount(first), 2);
    await waitFor(() => seen.received.length === 1, 'the forwarded request');
    const [forwarded] = seen.received;
    assert.ok(forwarded.body.equals(gzipped), 'the body is the gzip bytes as received');
    assert.equal(forwarded.headers['content-encoding'], 'gzip');
    assert.equal(forwarded.headers['content-type'], 'application/x-protobuf; charset=binary');
    assert.equal(forwarded.headers.authorization, 'Bearer remote');
    assert.equal(forwarded.headers['x-tenant'], 't1');
  });

  it('does not forward rejected requests', async () => {
    const seen = await target(() => ({ status: 200 }));
    const first = await collector({ forwardUrl: seen.url, forwardOptions: FAST });
    assert.equal(await post(first.url, Buffer.from('not protobuf')), 400);
    assert.equal(await post(first.url, protobufBody([spanSpec()]), { 'content-type': 'text/plain' }), 415);
    assert.equal(await post(first.url, protobufBody([spanSpec()])), 200);
    await waitFor(() => seen.received.length === 1, 'the one accepted request');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(seen.received.length, 1);
  });
});

describe('forwarding failures', () => {
  it('a target that accepts and never answers does not slow ingestion', async () => {
    // Were ingestion to wait on forwarding, each request would take the forward timeout (20 s);
    // the bound below is generous because CI machines are loaded, and still far from that.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as AddressInfo;
    const first = await collector({
      forwardUrl: `http://127.0.0.1:${port}`,
      forwardOptions: { ...FAST, timeoutMillis: 20_000 },
    });
    for (let i = 0; i < 5; i += 1) {
      const started = Date.now();
      assert.equal(await post(first.url, protobufBody([spanSpec({ attributes: { n: i } })])), 200);
      assert.ok(Date.now() - started < 5000, `request ${i} took ${Date.now() - started} ms`);
    }
    assert.equal(await spanCount(first), 5);
    await waitFor(() => sockets.length >= 1, 'the forward connection');
    assert.equal((await stats(first)).forwarded, 0);
  });

  it('a target that is down: requests are accepted, queued, and arrive once it is up', async () => {
    const port = await freePort();
    const first = await collector({ forwardUrl: `http://127.0.0.1:${port}`, forwardOptions: FAST });
    for (let i = 0; i < 5; i += 1) {
      assert.equal(await post(first.url, protobufBody([spanSpec({ attributes: { n: i } })])), 200);
    }
    assert.equal(await spanCount(first), 5);
    await waitFor(async () => (await stats(first)).retried >= 3, 'retries');
    const down = await stats(first);
    assert.equal(down.forwarded, 0);
    assert.equal(down.queued_requests, 5);
    assert.ok(down.queued_bytes > 0);
    assert.match(down.last_error ?? '', /unreachable/);

    const second = await collector({ port });
    await waitFor(async () => (await stats(first)).forwarded === 5, 'delivery after the target came up');
    assert.equal(await spanCount(second), 5);
    assert.deepEqual(await storedSpans(second), await storedSpans(first));
    const up = await stats(first);
    assert.equal(up.queued_requests, 0);
    assert.equal(up.queued_bytes, 0);
    assert.equal(up.failed, 0);
  });

  it('500 twice (honouring Retry-After) then 200: delivered exactly once', async () => {
    const second = await collector();
    const flaky = await target(
      (n) => (n === 0 ? { status: 503, headers: { 'retry-after': '1' } } : n === 1 ? { status: 500 } : 'proxy'),
      second.url,
    );
    const first = await collector({ forwardUrl: flaky.url, forwardOptions: FAST });
    assert.equal(await post(first.url, protobufBody([spanSpec(), spanSpec(), spanSpec()])), 200);
    await waitFor(async () => (await stats(first)).forwarded === 1, 'delivery');
    assert.equal(flaky.received.length, 3);
    const [a, b, c] = flaky.received.map((request) => request.atMillis);
    assert.ok(b - a >= 900, `Retry-After: 1 waited ${b - a} ms`);
    assert.ok(c - b < 900, `the plain 500 waited ${c - b} ms`);
    assert.ok(flaky.received.every((request) => request.body.equals(flaky.received[0].body)));
    assert.equal(await spanCount(second), 3);
    const counters = await stats(first);
    assert.deepEqual([counters.forwarded, counters.retried, counters.failed], [1, 2, 0]);
    assert.match(counters.last_error ?? '', /500/);
  });

  it('a 400 from the target is not retried and counts as failed; later requests still go', async () => {
    const picky = await target((n) => (n === 0 ? { status: 400 } : { status: 200 }));
    const first = await collector({ forwardUrl: picky.url, forwardOptions: FAST });
    assert.equal(await post(first.url, protobufBody([spanSpec()])), 200);
    await waitFor(async () => (await stats(first)).failed === 1, 'the failure');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(picky.received.length, 1);
    assert.equal(await post(first.url, protobufBody([spanSpec()])), 200);
    await waitFor(async () => (await stats(first)).forwarded === 1, 'the next request');
    const counters = await stats(first);
    assert.deepEqual([counters.failed, counters.retried, counters.dropped], [1, 0, 0]);
    assert.match(counters.last_error ?? '', /400/);
  });

  it('a full buffer drops new requests (counted), bounded in requests and in bytes', async () => {
    const stuck = await target(() => 'hang');
    const body = protobufBody([spanSpec({ attributes: { pad: 'x'.repeat(2000) } })]);
    const byRequests = await collector({ forwardUrl: stuck.url, forwardOptions: { ...FAST, maxQueuedRequests: 3 } });
    const byBytes = await collector({
      forwardUrl: stuck.url,
      forwardOptions: { ...FAST, maxQueuedBytes: Math.floor(body.byteLength * 2.5) },
    });
    for (let i = 0; i < 10; i += 1) {
      assert.equal(await post(byRequests.url, body), 200);
      assert.equal(await post(byBytes.url, body), 200);
    }
    assert.equal(await spanCount(byRequests), 10);
    assert.equal(await spanCount(byBytes), 10);
    const a = await stats(byRequests);
    assert.deepEqual([a.queued_requests, a.dropped, a.queued_bytes], [3, 7, 3 * body.byteLength]);
    const b = await stats(byBytes);
    assert.deepEqual([b.queued_requests, b.dropped, b.queued_bytes], [2, 8, 2 * body.byteLength]);
  });

  it('close() gives up on queued forwards within its timeout and counts them dropped', async () => {
    const port = await freePort();
    const first = await startTestCollector({
      forwardUrl: `http://127.0.0.1:${port}`,
      forwardOptions: FAST,
      forwardCloseTimeoutMillis: 200,
    });
    for (let i = 0; i < 3; i += 1) assert.equal(await post(first.url, protobufBody([spanSpec()])), 200);
    const forwarder = first.forwarder;
    assert.ok(forwarder);
    const started = Date.now();
    await first.close();
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
    assert.deepEqual([forwarder.stats().dropped, forwarder.stats().queued_requests], [3, 0]);
    assert.equal(forwarder.enqueue(Buffer.from('x'), {}), false);
  });
});

describe('GET /v1/agl/forwarder and options', () => {
  it('is a 404 when forwarding is off and needs the token when one is set', async () => {
    const plain = await collector();
    const off = await fetch(`${plain.url}/v1/agl/forwarder`);
    assert.equal(off.status, 404);
    assert.match(((await off.json()) as { detail: string }).detail, /Forwarding is off/);
    const guarded = await collector({ token: 't', forwardUrl: 'http://127.0.0.1:9/base/' });
    assert.equal((await fetch(`${guarded.url}/v1/agl/forwarder`)).status, 401);
    const response = await fetch(`${guarded.url}/v1/agl/forwarder`, { headers: { authorization: 'Bearer t' } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as OtlpForwarderStats;
    assert.deepEqual(Object.keys(body).sort(), [
      'dropped', 'failed', 'forwarded', 'last_error', 'queued_bytes', 'queued_requests', 'retried', 'url', 'urls',
    ]);
    assert.equal(body.url, 'http://127.0.0.1:9/base/v1/traces');
  });

  it('takes a base or a full URL and rejects bad options at construction', () => {
    assert.equal(new OtlpForwarder({ url: 'http://jaeger:4318' }).url, 'http://jaeger:4318/v1/traces');
    assert.equal(new OtlpForwarder({ url: 'http://jaeger:4318/v1/traces' }).url, 'http://jaeger:4318/v1/traces');
    assert.throws(() => new OtlpForwarder({ url: 'ftp://x' }), /http\(s\) URL/);
    assert.throws(() => new OtlpForwarder({ url: 'nope' }), /http\(s\) URL/);
    assert.throws(() => new OtlpForwarder({ url: 'http://x', maxQueuedRequests: 0 }), /`maxQueuedRequests` to be an integer ≥ 1, got `0`/);
  });
});
