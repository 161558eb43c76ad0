import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { decodeExportTraceServiceResponse } from '../../src/otlp/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import {
  MIXED_ROWS,
  addCounts,
  countRows,
  fetchRaw,
  jsonBody,
  jsonRequest,
  mixedSpans,
  protobufBody,
  spanSpec,
} from './otlp-requests.ts';
import { JSON_TYPE, PROTOBUF, UNAVAILABLE, assertStatus, post } from './otlp-bad-request-helpers.ts';

/**
 * Bad OTLP/HTTP requests of the collector issue, hand-built, against a real collector: each is
 * checked for status, content type and body, and for leaving nothing half-written behind; a valid
 * request right after must still be stored. (Partial success, 64-bit JSON numbers, and overload.)
 */

describe('OTLP/HTTP: partial success and 64-bit JSON numbers', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector();
  });
  after(() => collector.close());

  for (const format of ['protobuf', 'json'] as const) {
    it(`stores the valid spans and reports the invalid ones (${format})`, async () => {
      const valid = mixedSpans();
      const shortSpanId = spanSpec({ spanId: '0102030405' });
      const zeroTraceId = spanSpec({ traceId: '0'.repeat(32) });
      // Valid OTLP (a uint64), but past what the BIGINT columns hold.
      const farFuture = spanSpec({ endTimeUnixNano: 2n ** 64n - 1n });
      const spans = [valid[0], shortSpanId, valid[1], zeroTraceId, farFuture, valid[2]];
      const before = await countRows(collector);
      const response = await post(collector, format === 'protobuf' ? protobufBody(spans) : jsonBody(spans), {
        'content-type': format === 'protobuf' ? PROTOBUF : JSON_TYPE,
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], format === 'protobuf' ? PROTOBUF : JSON_TYPE);
      const { partialSuccess } = decodeExportTraceServiceResponse(new Uint8Array(response.body), format);
      assert.ok(partialSuccess);
      assert.equal(partialSuccess.rejectedSpans, 3);
      assert.match(partialSuccess.errorMessage, /spanId "0102030405"/);
      assert.match(partialSuccess.errorMessage, /span "[^"]*": its time is past the year 2262/);
      assert.match(partialSuccess.errorMessage, format === 'protobuf' ? /has 5 bytes, expected 8/ : /is not 16 hex digits/);
      assert.match(partialSuccess.errorMessage, /traceId 0{32} is all zeros/);
      if (format === 'json') {
        // The protobuf JSON mapping writes int64 as a string.
        assert.equal(JSON.parse(response.body.toString('utf8')).partialSuccess.rejectedSpans, '3');
      }
      assert.deepEqual(await countRows(collector), addCounts(before, MIXED_ROWS));
      const stored = await queryRows(
        collector,
        `SELECT span_id FROM spans WHERE span_id IN (${spans.map((span) => `'${span.spanId}'`).join(', ')}) ORDER BY span_id`,
      );
      assert.deepEqual(
        stored.map((row) => row.span_id),
        valid.map((span) => span.spanId).sort(),
      );
    });
  }

  it('keeps every nanosecond of a bare JSON number beyond 2^53', async () => {
    const span = spanSpec({ attributes: { big: 0 } });
    const request = jsonRequest([span]);
    const text = JSON.stringify(request)
      .replace(`"startTimeUnixNano":"${span.startTimeUnixNano}"`, '"startTimeUnixNano":1700000000123456789')
      .replace(`"endTimeUnixNano":"${span.endTimeUnixNano}"`, '"endTimeUnixNano":1700000000987654321')
      .replace('"intValue":"0"', '"intValue":9007199254740993');
    assert.match(text, /"startTimeUnixNano":1700000000123456789,/);
    assert.match(text, /"intValue":9007199254740993\}/);
    const response = await post(collector, text, { 'content-type': JSON_TYPE });
    assert.equal(response.status, 200);
    const [row] = await queryRows(
      collector,
      `SELECT start_time_unix_nano::VARCHAR AS start_ns, end_time_unix_nano::VARCHAR AS end_ns,
              strftime(start_time, '%H:%M:%S.%f') AS start_us, json_extract(attributes, '$.big')::VARCHAR AS big
       FROM spans WHERE span_id = '${span.spanId}'`,
    );
    assert.deepEqual(row, {
      start_ns: '1700000000123456789',
      end_ns: '1700000000987654321',
      start_us: '22:13:20.123456',
      big: '9007199254740993',
    });
  });
});

describe('OTLP/HTTP: overload', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ maxQueuedSpans: 600 });
  });
  after(() => collector.close());

  it('answers 503 with Retry-After when the write queue is full; stores exactly the acknowledged spans', async () => {
    const BATCH = 512;
    let batchNumber = 0;
    const accepted: number[] = [];
    const refused: number[] = [];
    // Concurrent requests of 512 spans against a 600-span queue: while one commits, the others
    // are refused. Usually one round shows it; a few more cover a machine that serialises them.
    for (let round = 0; round < 5 && (refused.length === 0 || accepted.length === 0); round++) {
      const bodies = Array.from({ length: 12 }, () => {
        const batch = batchNumber++;
        return { batch, body: protobufBody(Array.from({ length: BATCH }, () => spanSpec({ attributes: { 'test.batch': batch } }))) };
      });
      const responses = await Promise.all(
        bodies.map(({ body }) =>
          fetchRaw(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': PROTOBUF }, body }),
        ),
      );
      responses.forEach((response, index) => {
        const { batch } = bodies[index];
        if (response.status === 200) {
          assert.equal(response.body.length, 0);
          accepted.push(batch);
          return;
        }
        const status = assertStatus(response, 503, 'protobuf');
        assert.equal(status.code, UNAVAILABLE);
        assert.match(status.message, /overloaded/);
        assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/);
        refused.push(batch);
      });
    }
    assert.ok(accepted.length > 0, 'some requests are accepted');
    assert.ok(refused.length > 0, 'some requests are refused');

    const perBatch = await queryRows(
      collector,
      `SELECT CAST(json_extract(attributes, '$."test.batch"') AS INTEGER) AS batch, count(*) AS n FROM spans GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(
      perBatch,
      accepted.sort((a, b) => a - b).map((batch) => ({ batch, n: BATCH })),
      'every acknowledged span is stored, nothing refused is',
    );
    const [total] = await queryRows(collector, 'SELECT count(*) AS n FROM spans');
    assert.equal(total.n, accepted.length * BATCH);

    // Once the queue drains, the collector takes requests again.
    const after = await post(collector, protobufBody(mixedSpans()), { 'content-type': PROTOBUF });
    assert.equal(after.status, 200);
  });
});
