import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { decodeRpcStatus } from '../../src/otlp/index.ts';
import { status } from '@grpc/grpc-js';
import { exportRaw, rawTraceClient } from '../grpc/raw-client.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { countRows, mixedSpans, protobufBody, rawRequest } from './otlp-requests.ts';

/** Starts a chunked upload (no Content-Length), writes `first`, and returns a way to finish it. */
function startChunkedUpload(url: string, first: Uint8Array, headers: Record<string, string> = {}) {
  let resolveStatus: (status: number) => void;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const request = httpRequest(
    url,
    { method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf', ...headers } },
    (response) => {
      response.resume();
      response.on('end', () => resolveStatus(response.statusCode ?? 0));
    },
  );
  request.on('error', () => undefined);
  request.write(first);
  return { finish: (rest: Uint8Array) => request.end(rest), status };
}

describe('bytes in flight are bounded for every kind of body', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ maxInFlightBytes: 64 * 1024, maxBodyBytes: 1024 * 1024 });
  });
  after(() => collector.close());

  it('counts a chunked body as it arrives and refuses others with 503 while it is held', async () => {
    const url = `${collector.url}/v1/traces`;
    const body = protobufBody(mixedSpans('ro-held'));
    // The held upload: a valid body with an unknown field of ~60 KiB in front (still valid).
    const held = startChunkedUpload(url, unknownField(60 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const before = await countRows(collector);
    const refused = await rawRequest(url, {
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: [gzipSync(Buffer.concat([unknownField(16 * 1024), protobufBody(mixedSpans('ro-refused'))]))],
    });
    // On the wire the gzip request is tiny; what it inflates to is over the remaining budget.
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(decodeRpcStatus(refused.body, 'protobuf').code, 14);
    assert.deepEqual(await countRows(collector), before);

    held.finish(body);
    assert.equal(await held.status, 200);
    // The budget was given back: the same request now goes through.
    const accepted = await rawRequest(url, {
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody(mixedSpans('ro-after')),
    });
    assert.equal(accepted.status, 200);
  });
});

describe('one budget for HTTP and gRPC', () => {
  it('refuses a gRPC export with UNAVAILABLE while an HTTP upload holds the budget, and takes it after', async () => {
    const collector = await startTestCollector({ grpcPort: 0, maxInFlightBytes: 64 * 1024, maxBodyBytes: 1024 * 1024 });
    const client = rawTraceClient(collector.grpcUrl!);
    try {
      const held = startChunkedUpload(`${collector.url}/v1/traces`, unknownField(60 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const body = Buffer.concat([unknownField(16 * 1024), protobufBody(mixedSpans('ro-grpc'))]);
      const refused = await exportRaw(client, body);
      assert.ok(!refused.ok && refused.error.code === status.UNAVAILABLE, 'refused while the HTTP body holds the budget');
      held.finish(protobufBody(mixedSpans('ro-http')));
      assert.equal(await held.status, 200);
      const accepted = await exportRaw(client, body);
      assert.ok(accepted.ok, accepted.ok ? '' : accepted.error.message);
    } finally {
      client.close();
      await collector.close();
    }
  });
});

/** An unknown field (number 99, bytes) of about `size` bytes: decoders skip it. */
function unknownField(size: number): Buffer {
  const padding = Buffer.alloc(size, 0x61);
  return Buffer.concat([Buffer.from([0x9a, 0x06]), varint(padding.length), padding]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}
