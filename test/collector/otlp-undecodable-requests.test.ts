import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { jsonBody, jsonRequest, mixedSpans, protobufBody, rawRequest, spanSpec } from './otlp-requests.ts';
import {
  INVALID_ARGUMENT,
  JSON_TYPE,
  PROTOBUF,
  assertDetail,
  assertStatus,
  post,
  refusedThenServes,
} from './otlp-bad-request-helpers.ts';

/**
 * Bad OTLP/HTTP requests of the collector issue, hand-built, against a real collector: each is
 * checked for status, content type and body, and for leaving nothing half-written behind; a valid
 * request right after must still be stored. (Undecodable bodies, unsupported content types, encodings and methods.)
 */

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
