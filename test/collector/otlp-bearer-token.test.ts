import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { MIXED_ROWS, addCounts, countRows, fetchRaw, jsonBody, mixedSpans, protobufBody } from './otlp-requests.ts';
import {
  JSON_TYPE,
  PROTOBUF,
  UNAUTHENTICATED,
  assertDetail,
  assertStatus,
  post,
  refusedThenServes,
} from './otlp-bad-request-helpers.ts';

/**
 * Bad OTLP/HTTP requests of the collector issue, hand-built, against a real collector: each is
 * checked for status, content type and body, and for leaving nothing half-written behind; a valid
 * request right after must still be stored. (The bearer token, on OTLP and SQL.)
 */

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
