import assert from 'node:assert/strict';
import { createGzip, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { decodeExportTraceServiceResponse, decodeRpcStatus } from '../../src/otlp/index.ts';
import type { OtlpFormat, RpcStatus } from '../../src/otlp/index.ts';
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
  rawRequest,
  spanSpec,
} from './otlp-requests.ts';
import type { RawResponse, RowCounts, SpanSpec } from './otlp-requests.ts';

/**
 * Every bad OTLP/HTTP request of the collector issue, hand-built, against a real collector: each
 * is checked for status, content type and body, and for leaving nothing half-written behind; a
 * valid request right after must still be stored.
 */

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

// google.rpc.Code values.
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

function post(collector: Collector, body: Uint8Array | string, headers: Record<string, string>): Promise<RawResponse> {
  return rawRequest(`${collector.url}/v1/traces`, { headers, body });
}

/** Checks the answer is `status` with a `google.rpc.Status` body in `format`; returns the Status. */
function assertStatus(response: RawResponse, status: number, format: OtlpFormat): RpcStatus {
  assert.equal(response.status, status, response.body.toString('latin1'));
  assert.equal(response.headers['content-type'], format === 'protobuf' ? PROTOBUF : JSON_TYPE);
  const rpcStatus = decodeRpcStatus(new Uint8Array(response.body), format);
  assert.ok(rpcStatus.message.length > 0, 'the Status carries a message');
  return rpcStatus;
}

/** A JSON `{detail, code}` error body. */
function assertDetail(response: RawResponse, status: number, code: string): string {
  assert.equal(response.status, status, response.body.toString('latin1'));
  assert.equal(response.headers['content-type'], JSON_TYPE);
  const body = JSON.parse(response.body.toString('utf8')) as { detail: unknown; code: unknown };
  assert.equal(body.code, code);
  assert.equal(typeof body.detail, 'string');
  return body.detail as string;
}

/**
 * Runs a refused request: the table counts must not move, and a valid request right after must be
 * answered 200 and stored in full.
 */
async function refusedThenServes(
  collector: Collector,
  send: () => Promise<RawResponse>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const before = await countRows(collector);
  const response = await send();
  assert.deepEqual(await countRows(collector), before, 'a refused request stores nothing');
  const valid = await post(collector, protobufBody(mixedSpans()), { 'content-type': PROTOBUF, ...headers });
  assert.equal(valid.status, 200);
  assert.deepEqual(await countRows(collector), addCounts(before, MIXED_ROWS), 'the next valid request is stored');
  return response;
}

/** A protobuf `body` padded with an unknown length-delimited field (15) to exactly `total` bytes. */
function padProtobuf(body: Uint8Array, total: number): Buffer {
  const varint = (value: number) => {
    const bytes: number[] = [];
    while (value > 127) {
      bytes.push((value & 127) | 128);
      value >>>= 7;
    }
    bytes.push(value);
    return Buffer.from(bytes);
  };
  for (let filler = total - body.length - 2; filler > 0; filler--) {
    const padded = Buffer.concat([body, Buffer.from([(15 << 3) | 2]), varint(filler), Buffer.alloc(filler)]);
    if (padded.length === total) return padded;
  }
  throw new Error(`Cannot pad ${body.length} bytes to ${total}`);
}

/** `mib` MiB of zeros, gzipped through a zlib stream (never held inflated in memory). */
async function gzipBomb(mib: number): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve, reject) => gzip.on('end', resolve).on('error', reject));
  for (let index = 0; index < mib; index++) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await ended;
  return Buffer.concat(chunks);
}

describe('OTLP/HTTP: undecodable and unsupported requests', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector();
  });
  after(() => collector.close());

  it('answers undecodable protobuf with 400 and a protobuf Status', async () => {
    const valid = protobufBody(mixedSpans());
    const bodies = {
      truncated: valid.subarray(0, valid.length - 5),
      'trailing garbage': Buffer.concat([valid, Buffer.from([0x0f, 0x01, 0x02])]),
      'overlong varint': Buffer.alloc(20, 0xff),
    };
    for (const [what, body] of Object.entries(bodies)) {
      const response = await refusedThenServes(collector, () => post(collector, body, { 'content-type': PROTOBUF }));
      const status = assertStatus(response, 400, 'protobuf');
      assert.equal(status.code, INVALID_ARGUMENT, what);
      assert.match(status.message, /Cannot decode the body as a protobuf ExportTraceServiceRequest/, what);
    }
  });

  it('answers invalid JSON with 400 and a JSON Status', async () => {
    const text = jsonBody(mixedSpans());
    for (const body of [text.slice(0, -1), `${text}}`, '', 'not json']) {
      const response = await refusedThenServes(collector, () => post(collector, body, { 'content-type': JSON_TYPE }));
      const status = assertStatus(response, 400, 'json');
      assert.equal(status.code, INVALID_ARGUMENT);
      assert.match(status.message, /not valid JSON/, JSON.stringify(body));
    }
  });

  it('answers JSON of the wrong shape with 400, even after valid spans in the same request', async () => {
    const valid = jsonRequest(mixedSpans());
    const badTime = jsonRequest([...mixedSpans(), spanSpec()]);
    const spans = (badTime.resourceSpans[0] as { scopeSpans: { spans: Record<string, unknown>[] }[] }).scopeSpans[0].spans;
    spans[3].startTimeUnixNano = 'yesterday';
    const cases: [unknown, RegExp][] = [
      [{ resourceSpans: {} }, /at resourceSpans: expected an array/],
      [[1, 2], /expected an object/],
      [{ resourceSpans: [...valid.resourceSpans, { scopeSpans: 'nope' }] }, /resourceSpans\[1\]/],
      [badTime, /resourceSpans\[0\].*spans\[3\].*startTimeUnixNano/],
    ];
    for (const [body, message] of cases) {
      const response = await refusedThenServes(collector, () =>
        post(collector, JSON.stringify(body), { 'content-type': JSON_TYPE }),
      );
      const status = assertStatus(response, 400, 'json');
      assert.equal(status.code, INVALID_ARGUMENT);
      assert.match(status.message, message);
    }
  });

  it('answers other content types and a missing one with 415', async () => {
    const body = jsonBody(mixedSpans());
    const plain = await refusedThenServes(collector, () => post(collector, body, { 'content-type': 'text/plain' }));
    assert.match(assertStatus(plain, 415, 'json').message, /Unsupported Content-Type `text\/plain`/);
    const none = await refusedThenServes(collector, () => post(collector, body, {}));
    assert.match(assertStatus(none, 415, 'json').message, /Unsupported Content-Type `\(none\)`/);
    const form = await refusedThenServes(collector, () =>
      post(collector, body, { 'content-type': 'application/x-www-form-urlencoded' }),
    );
    assertStatus(form, 415, 'json');
  });

  it('answers Content-Encoding br with 415 in the request encoding', async () => {
    const response = await refusedThenServes(collector, () =>
      post(collector, protobufBody(mixedSpans()), { 'content-type': PROTOBUF, 'content-encoding': 'br' }),
    );
    assert.match(assertStatus(response, 415, 'protobuf').message, /Content-Encoding `br`/);
  });

  it('answers GET and PUT on /v1/traces with 405 and Allow: POST, an unknown path with 404', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await refusedThenServes(collector, () =>
        rawRequest(`${collector.url}/v1/traces`, {
          method,
          headers: { 'content-type': PROTOBUF },
          body: method === 'PUT' ? protobufBody(mixedSpans()) : undefined,
        }),
      );
      assert.match(assertDetail(response, 405, 'method_not_allowed'), new RegExp(`${method} is not allowed`));
      assert.equal(response.headers.allow, 'POST');
    }
    for (const path of ['/v1/trace', '/v1/traces/extra', '/nope']) {
      const response = await refusedThenServes(collector, () =>
        rawRequest(`${collector.url}${path}`, { headers: { 'content-type': PROTOBUF }, body: protobufBody(mixedSpans()) }),
      );
      assert.match(assertDetail(response, 404, 'not_found'), new RegExp(`No such endpoint: ${path.replaceAll('/', '\\/')}`));
    }
  });
});

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

describe('OTLP/HTTP and SQL: bearer token', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ token: 'secret' });
  });
  after(() => collector.close());

  const sqlBody = JSON.stringify({ query: 'SELECT count(*) AS n FROM spans' });

  it('refuses OTLP and SQL without the token or with a wrong one', async () => {
    const good = { authorization: 'Bearer secret' };
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer secret2', 'Bearer', 'Basic c2VjcmV0', 'secret']) {
      const auth: Record<string, string> = authorization ? { authorization } : {};
      for (const format of ['protobuf', 'json'] as const) {
        const spans = mixedSpans();
        const response = await refusedThenServes(
          collector,
          () =>
            post(collector, format === 'protobuf' ? protobufBody(spans) : jsonBody(spans), {
              'content-type': format === 'protobuf' ? PROTOBUF : JSON_TYPE,
              ...auth,
            }),
          good,
        );
        // OTLP/HTTP: every 4xx body is a google.rpc.Status in the request's encoding.
        const status = assertStatus(response, 401, format);
        assert.equal(status.code, UNAUTHENTICATED, String(authorization));
        assert.match(status.message, /Authorization: Bearer/);
      }
      const sql = await fetchRaw(`${collector.url}/v1/agl/sql`, {
        method: 'POST',
        headers: { 'content-type': JSON_TYPE, ...auth },
        body: sqlBody,
      });
      assertDetail(sql, 401, 'unauthorized');
    }
  });

  it('takes OTLP and SQL with the token (the scheme in any case); health stays open', async () => {
    for (const authorization of ['Bearer secret', 'bearer secret']) {
      const before = await countRows(collector);
      const response = await post(collector, protobufBody(mixedSpans()), { 'content-type': PROTOBUF, authorization });
      assert.equal(response.status, 200, authorization);
      assert.deepEqual(await countRows(collector), addCounts(before, MIXED_ROWS));
      const sql = await fetchRaw(`${collector.url}/v1/agl/sql`, {
        method: 'POST',
        headers: { 'content-type': JSON_TYPE, authorization },
        body: sqlBody,
      });
      assert.equal(sql.status, 200);
      assert.deepEqual(JSON.parse(sql.body.toString('utf8')).rows, [[before.spans + MIXED_ROWS.spans]]);
    }
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const health = await fetchRaw(`${collector.url}/v1/agl/health`, { headers });
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body.toString('utf8')), { status: 'ok' });
    }
  });
});
