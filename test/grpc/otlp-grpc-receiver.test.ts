import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { compressionAlgorithms, status } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import type { Collector } from '../../collector/index.ts';
import { decodeExportTraceServiceResponse } from '../../src/otlp/index.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { exportRaw, rawTraceClient } from './raw-client.ts';

/** OTLP/gRPC with hand-built requests: partial success, bad bytes, limits, token, overload, forwarding. */

async function spanCount(collector: Collector, where = 'true'): Promise<number> {
  const [row] = await queryRows(collector, `SELECT count(*)::INTEGER AS n FROM spans WHERE ${where}`);
  return Number(row.n);
}

describe('OTLP/gRPC receiver: requests', () => {
  let collector: Collector;
  let client: Client;
  before(async () => {
    collector = await startTestCollector({ grpcPort: 0, maxBodyBytes: 64 * 1024 });
    client = rawTraceClient(collector.grpcUrl!);
  });
  after(async () => {
    client.close();
    await collector.close();
  });

  it('is off unless grpcPort is given, and binds the collector host', async () => {
    const plain = await startTestCollector();
    try {
      assert.equal(plain.grpcUrl, null);
    } finally {
      await plain.close();
    }
    assert.match(collector.grpcUrl!, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it('answers OK with an empty response once the spans are stored', async () => {
    const result = await exportRaw(client, protobufBody([spanSpec({ name: 'grpc-ok-1' }), spanSpec({ name: 'grpc-ok-2' })]));
    assert.ok(result.ok, result.ok ? '' : result.error.message);
    assert.equal(result.response.length, 0);
    assert.equal(await spanCount(collector, `name LIKE 'grpc-ok-%'`), 2);
  });

  it('answers OK with partial_success.rejected_spans for a 5-byte span id; stores the valid span', async () => {
    const result = await exportRaw(
      client,
      protobufBody([spanSpec({ name: 'grpc-partial-good' }), spanSpec({ name: 'grpc-partial-bad', spanId: '0102030405' })]),
    );
    assert.ok(result.ok, result.ok ? '' : result.error.message);
    const response = decodeExportTraceServiceResponse(result.response);
    assert.equal(response.partialSuccess?.rejectedSpans, 1);
    assert.match(response.partialSuccess?.errorMessage ?? '', /span/i);
    assert.equal(await spanCount(collector, `name = 'grpc-partial-good'`), 1);
    assert.equal(await spanCount(collector, `name = 'grpc-partial-bad'`), 0);
  });

  it('answers INVALID_ARGUMENT to bytes that are no ExportTraceServiceRequest, and keeps serving', async () => {
    const before = await spanCount(collector);
    const result = await exportRaw(client, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, status.INVALID_ARGUMENT);
    assert.equal(await spanCount(collector), before);
    const next = await exportRaw(client, protobufBody([spanSpec({ name: 'grpc-after-garbage' })]));
    assert.ok(next.ok);
    assert.equal(await spanCount(collector, `name = 'grpc-after-garbage'`), 1);
  });

  it('answers RESOURCE_EXHAUSTED above the body limit, also when it is only too large inflated', async () => {
    const big = () => protobufBody(Array.from({ length: 200 }, () => spanSpec({ name: 'grpc-too-big', attributes: { pad: 'x'.repeat(500) } })));
    assert.ok(big().byteLength > 64 * 1024);
    const plain = await exportRaw(client, big());
    assert.equal(!plain.ok && plain.error.code, status.RESOURCE_EXHAUSTED);

    const gzipClient = rawTraceClient(collector.grpcUrl!, { 'grpc.default_compression_algorithm': compressionAlgorithms.gzip });
    try {
      const inflated = await exportRaw(gzipClient, big());
      assert.equal(!inflated.ok && inflated.error.code, status.RESOURCE_EXHAUSTED);
      // gzip within the limit is accepted.
      const small = await exportRaw(gzipClient, protobufBody([spanSpec({ name: 'grpc-gzip', attributes: { pad: 'y'.repeat(2000) } })]));
      assert.ok(small.ok, small.ok ? '' : small.error.message);
    } finally {
      gzipClient.close();
    }
    assert.equal(await spanCount(collector, `name = 'grpc-too-big'`), 0);
    assert.equal(await spanCount(collector, `name = 'grpc-gzip'`), 1);
  });
});

describe('OTLP/gRPC receiver: token', () => {
  let collector: Collector;
  let client: Client;
  before(async () => {
    collector = await startTestCollector({ grpcPort: 0, token: 's3cret' });
    client = rawTraceClient(collector.grpcUrl!);
  });
  after(async () => {
    client.close();
    await collector.close();
  });

  it('answers UNAUTHENTICATED without the bearer token or with a wrong one, OK with it', async () => {
    const body = () => protobufBody([spanSpec({ name: 'grpc-token' })]);
    const missing = await exportRaw(client, body());
    assert.equal(!missing.ok && missing.error.code, status.UNAUTHENTICATED);
    const wrong = await exportRaw(client, body(), { authorization: 'Bearer s3cre' });
    assert.equal(!wrong.ok && wrong.error.code, status.UNAUTHENTICATED);
    assert.equal(await spanCount(collector), 0);
    const right = await exportRaw(client, body(), { authorization: 'bearer s3cret' });
    assert.ok(right.ok, right.ok ? '' : right.error.message);
    assert.equal(await spanCount(collector), 1);
  });
});

describe('OTLP/gRPC receiver: overload', () => {
  let collector: Collector;
  let client: Client;
  before(async () => {
    collector = await startTestCollector({ grpcPort: 0, maxQueuedSpans: 600 });
    client = rawTraceClient(collector.grpcUrl!);
  });
  after(async () => {
    client.close();
    await collector.close();
  });

  it('answers UNAVAILABLE with RetryInfo when the write queue is full; stores exactly the acknowledged spans', async () => {
    const BATCH = 512;
    let batchNumber = 0;
    const accepted: number[] = [];
    const refused: number[] = [];
    for (let round = 0; round < 5 && (refused.length === 0 || accepted.length === 0); round++) {
      const bodies = Array.from({ length: 12 }, () => {
        const batch = batchNumber++;
        return { batch, body: protobufBody(Array.from({ length: BATCH }, () => spanSpec({ attributes: { 'test.batch': batch } }))) };
      });
      const results = await Promise.all(bodies.map(({ body }) => exportRaw(client, body)));
      results.forEach((result, index) => {
        if (result.ok) {
          accepted.push(bodies[index].batch);
          return;
        }
        assert.equal(result.error.code, status.UNAVAILABLE, result.error.message);
        assert.match(result.error.details, /overloaded/);
        const [details] = result.error.metadata.get('grpc-status-details-bin');
        assert.ok(Buffer.isBuffer(details), 'google.rpc.Status details in the trailers');
        assert.ok(details.includes('type.googleapis.com/google.rpc.RetryInfo'));
        refused.push(bodies[index].batch);
      });
    }
    assert.ok(accepted.length > 0, 'some calls are accepted');
    assert.ok(refused.length > 0, 'some calls are refused');
    const perBatch = await queryRows(
      collector,
      `SELECT CAST(json_extract(attributes, '$."test.batch"') AS INTEGER) AS batch, count(*)::INTEGER AS n FROM spans GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(
      perBatch,
      accepted.sort((a, b) => a - b).map((batch) => ({ batch, n: BATCH })),
      'every acknowledged span is stored, nothing refused is',
    );
    const after = await exportRaw(client, protobufBody([spanSpec()]));
    assert.ok(after.ok, 'the collector takes calls again once the queue drains');
  });
});

describe('OTLP/gRPC receiver: forwarding', () => {
  it('forwards each accepted call, unchanged, as application/x-protobuf; not the refused ones', async () => {
    const received: { type: string | undefined; body: Buffer }[] = [];
    const target = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ type: request.headers['content-type'], body: Buffer.concat(chunks) });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const collector = await startTestCollector({
      grpcPort: 0,
      forwardUrl: `http://127.0.0.1:${(target.address() as AddressInfo).port}`,
    });
    const client = rawTraceClient(collector.grpcUrl!);
    try {
      const body = protobufBody([spanSpec({ name: 'grpc-forwarded' })]);
      assert.ok((await exportRaw(client, Buffer.from('garbage-not-protobuf'))).ok === false);
      assert.ok((await exportRaw(client, body)).ok);
      for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(received.length, 1);
      assert.equal(received[0].type, 'application/x-protobuf');
      assert.deepEqual(received[0].body, Buffer.from(body));
    } finally {
      client.close();
      await collector.close();
      await new Promise<void>((resolve) => target.close(() => resolve()));
    }
  });
});
