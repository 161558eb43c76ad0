import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { decodeExportTraceServiceResponse } from '../../src/otlp/index.ts';
import type { OtlpFormat } from '../../src/otlp/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import {
  MIXED_ROWS,
  addCounts,
  countRows,
  jsonBody,
  mixedSpans,
  protobufBody,
  rawRequest,
  spanSpec,
} from './otlp-requests.ts';
import type { RawResponse, SpanSpec } from './otlp-requests.ts';
import {
  INVALID_ARGUMENT,
  JSON_TYPE,
  PROTOBUF,
  RESOURCE_EXHAUSTED,
  assertStatus,
  gzipBomb,
  padProtobuf,
  post,
  refusedThenServes,
} from './otlp-bad-request-helpers.ts';

/**
 * Bad OTLP/HTTP requests of the collector issue, hand-built, against a real collector: each is
 * checked for status, content type and body, and for leaving nothing half-written behind; a valid
 * request right after must still be stored. (Media-type parameters, gzip, and the body limit.)
 */

describe('OTLP/HTTP: media-type parameters and gzip', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector();
  });
  after(() => collector.close());

  /** Sends `spans` and checks a plain 200 in `format` and every span stored. */
  async function assertAccepted(spans: SpanSpec[], format: OtlpFormat, body: Uint8Array | string, headers: Record<string, string>) {
    const before = await countRows(collector);
    const response = await post(collector, body, headers);
    assert.equal(response.status, 200, response.body.toString('latin1'));
    assert.equal(response.headers['content-type'], format === 'protobuf' ? PROTOBUF : JSON_TYPE);
    if (format === 'json') assert.equal(response.body.toString('utf8'), '{}');
    else assert.equal(response.body.length, 0);
    assert.deepEqual(decodeExportTraceServiceResponse(new Uint8Array(response.body), format), {});
    assert.deepEqual(await countRows(collector), addCounts(before, MIXED_ROWS));
    const ids = spans.map((span) => `'${span.spanId}'`).join(', ');
    const [stored] = await queryRows(collector, `SELECT count(*) AS n FROM spans WHERE span_id IN (${ids})`);
    assert.equal(stored.n, spans.length);
  }

  it('accepts media-type parameters and any letter case', async () => {
    let spans = mixedSpans();
    await assertAccepted(spans, 'json', jsonBody(spans), { 'content-type': 'application/json; charset=utf-8' });
    spans = mixedSpans();
    await assertAccepted(spans, 'protobuf', protobufBody(spans), { 'content-type': 'application/x-protobuf; foo=bar' });
    spans = mixedSpans();
    await assertAccepted(spans, 'json', jsonBody(spans), { 'content-type': 'Application/JSON ; Charset="UTF-8"' });
  });

  it('accepts gzip bodies, protobuf and JSON', async () => {
    let spans = mixedSpans();
    await assertAccepted(spans, 'protobuf', gzipSync(protobufBody(spans)), { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    spans = mixedSpans();
    await assertAccepted(spans, 'json', gzipSync(jsonBody(spans)), { 'content-type': JSON_TYPE, 'content-encoding': 'GZIP' });
  });

  it('answers a corrupt or fake gzip body with 400', async () => {
    const corrupt = gzipSync(protobufBody(mixedSpans()));
    corrupt[corrupt.length - 6] ^= 0xff; // the CRC no longer matches
    const truncated = gzipSync(jsonBody(mixedSpans())).subarray(0, 40);
    const cases: [Uint8Array | string, OtlpFormat][] = [
      [corrupt, 'protobuf'],
      [truncated, 'json'],
      [protobufBody(mixedSpans()), 'protobuf'], // says gzip, is not
    ];
    for (const [body, format] of cases) {
      const response = await refusedThenServes(collector, () =>
        post(collector, body, { 'content-type': format === 'protobuf' ? PROTOBUF : JSON_TYPE, 'content-encoding': 'gzip' }),
      );
      const status = assertStatus(response, 400, format);
      assert.equal(status.code, INVALID_ARGUMENT);
      assert.match(status.message, /gzip body cannot be inflated/);
    }
  });
});

describe('OTLP/HTTP: the body limit (64 KiB)', () => {
  const LIMIT = 64 * 1024;
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ maxBodyBytes: LIMIT });
  });
  after(() => collector.close());

  it('takes a body of exactly the limit, plain and inflated, and refuses one byte more with 413', async () => {
    for (const encoding of ['identity', 'gzip'] as const) {
      const headers = { 'content-type': PROTOBUF, 'content-encoding': encoding };
      const wrap = (body: Buffer) => (encoding === 'gzip' ? gzipSync(body) : body);
      const before = await countRows(collector);
      const exact = await post(collector, wrap(padProtobuf(protobufBody(mixedSpans()), LIMIT)), headers);
      assert.equal(exact.status, 200, encoding);
      assert.deepEqual(await countRows(collector), addCounts(before, MIXED_ROWS));
      const over = await refusedThenServes(collector, () =>
        post(collector, wrap(padProtobuf(protobufBody(mixedSpans()), LIMIT + 1)), headers),
      );
      const status = assertStatus(over, 413, 'protobuf');
      assert.equal(status.code, RESOURCE_EXHAUSTED);
      assert.match(status.message, /exceeds the limit of 65536 bytes/);
    }
  });

  it('refuses a large body with 413, with a Content-Length and chunked', async () => {
    const spans = Array.from({ length: 1500 }, () => spanSpec());
    const body = Buffer.from(protobufBody(spans));
    assert.ok(body.length > 2 * LIMIT);
    const withLength = await refusedThenServes(collector, () => post(collector, body, { 'content-type': PROTOBUF }));
    assert.match(assertStatus(withLength, 413, 'protobuf').message, new RegExp(`The body \\(${body.length} bytes\\) exceeds`));
    assert.equal(withLength.headers.connection, 'close');

    // Chunked: no Content-Length, so the limit is found while reading.
    const chunks = Array.from({ length: Math.ceil(body.length / 8192) }, (_, index) => body.subarray(index * 8192, (index + 1) * 8192));
    const chunked = await refusedThenServes(collector, () =>
      rawRequest(`${collector.url}/v1/traces`, { headers: { 'content-type': JSON_TYPE, 'transfer-encoding': 'chunked' }, body: chunks }),
    );
    assert.match(assertStatus(chunked, 413, 'json').message, /The body exceeds the limit of 65536 bytes/);
  });

  it('stops inflating a gzip bomb at the limit: 413', async () => {
    // 60 MiB of zeros is about 60 KB gzipped: under the limit on the wire, far over it inflated.
    const bomb = await gzipBomb(60);
    assert.ok(bomb.length < LIMIT, `the bomb is ${bomb.length} bytes`);
    const cases: Record<string, string>[] = [
      { 'content-type': PROTOBUF, 'content-encoding': 'gzip' },
      { 'content-type': JSON_TYPE, 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' },
    ];
    for (const headers of cases) {
      const response = await refusedThenServes(collector, () => post(collector, bomb, headers));
      const format = headers['content-type'] === PROTOBUF ? 'protobuf' : 'json';
      const status = assertStatus(response, 413, format);
      assert.equal(status.code, RESOURCE_EXHAUSTED);
      assert.match(status.message, /inflated body exceeds the limit of 65536 bytes/);
    }
  });
});

describe('OTLP/HTTP: a 200 MB gzip bomb under a 1 MiB limit', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ maxBodyBytes: 1024 * 1024 });
  });
  after(() => collector.close());

  it('is refused with 413 without inflating it (memory stays flat)', async () => {
    const bomb = await gzipBomb(200);
    assert.ok(bomb.length > 100_000 && bomb.length < 1024 * 1024, `the bomb is ${bomb.length} bytes`);
    // The collector runs in this process: sample its memory while it handles the bomb.
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 2);
    let response: RawResponse;
    try {
      response = await refusedThenServes(collector, () => post(collector, bomb, { 'content-type': PROTOBUF, 'content-encoding': 'gzip' }));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    assert.match(assertStatus(response, 413, 'protobuf').message, /inflated body exceeds the limit of 1048576 bytes/);
    // Inflating it all would take 200 MiB (measured: RSS +400 MB); stopping at the limit, ~1 MiB.
    assert.ok(peak - baseline < 64 * 1024 * 1024, `RSS grew by ${((peak - baseline) / 1e6).toFixed(1)} MB`);
  });
});
