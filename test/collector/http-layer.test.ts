import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

/**
 * The collector's HTTP layer (express, issue 14): routing (literal segments beat parameters, HEAD
 * by GET, 405 with Allow, 404), the bearer-token middleware, the headers express would add, and
 * the zod-checked bodies answered as FastAPI's 422.
 */

const JSON_TYPE = { 'content-type': 'application/json' };

describe('HTTP layer: routing', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector();
  });
  after(() => collector.close());

  it('answers a known path with another method 405 and Allow, even where a parameter route would match', async () => {
    // `/rollouts/search` is POST only; GET must not fall through to `/rollouts/:rollout_id`.
    const search = await fetch(`${collector.url}/v1/agl/rollouts/search`);
    assert.equal(search.status, 405);
    assert.equal(search.headers.get('allow'), 'POST');
    assert.deepEqual(await search.json(), {
      detail: 'GET is not allowed on /v1/agl/rollouts/search; use POST',
      code: 'method_not_allowed',
    });
    const rollouts = await fetch(`${collector.url}/v1/agl/rollouts`, { method: 'DELETE' });
    assert.equal(rollouts.status, 405);
    assert.equal(rollouts.headers.get('allow'), 'POST, GET');
  });

  it('serves HEAD by GET, and answers unknown or differently cased paths 404', async () => {
    const head = await fetch(`${collector.url}/v1/agl/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
    for (const path of ['/v1/agl/nothing', '/v1/AGL/health', '/v1/agl/rollouts/a/b/c/d']) {
      const response = await fetch(`${collector.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.deepEqual(await response.json(), { detail: `No such endpoint: ${path}`, code: 'not_found' });
    }
    const badEscape = await fetch(`${collector.url}/v1/agl/workers/%E0%A4%A`);
    assert.equal(badEscape.status, 404);
  });

  it('adds neither X-Powered-By nor ETag', async () => {
    const response = await fetch(`${collector.url}/v1/agl/health`);
    assert.equal(response.headers.get('x-powered-by'), null);
    assert.equal(response.headers.get('etag'), null);
    assert.equal(response.headers.get('content-length'), String(JSON.stringify({ status: 'ok' }).length));
  });

  it('answers zod-checked bodies with FastAPI 422 issues', async () => {
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${collector.url}${path}`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(body) });
      assert.equal(response.status, 422, path);
      return (await response.json()) as { detail: { loc: (string | number)[]; msg: string; type: string }[]; code: string };
    };
    assert.deepEqual(await post('/v1/agl/spans/next', { rollout_id: 'ro-1' }), {
      detail: [{ loc: ['body', 'attempt_id'], msg: 'Field required', type: 'missing' }],
      code: 'validation_error',
    });
    assert.deepEqual((await post('/v1/agl/spans/next', { rollout_id: 1, attempt_id: 'at-1' })).detail, [
      { loc: ['body', 'rollout_id'], msg: 'Input should be a valid string', type: 'string_type' },
    ]);
    assert.deepEqual((await post('/v1/agl/waits/rollouts', { rollout_ids: ['ro-1', 2] })).detail, [
      { loc: ['body', 'rollout_ids', 1], msg: 'Input should be a valid string', type: 'string_type' },
    ]);
    assert.deepEqual((await post('/v1/agl/waits/rollouts', { rollout_ids: ['ro-1'], timeout: 'soon' })).detail, [
      { loc: ['body', 'timeout'], msg: 'Input should be a valid number', type: 'float_type' },
    ]);
  });
});

describe('HTTP layer: the bearer-token middleware', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector({ token: 'secret' });
  });
  after(() => collector.close());

  it('guards every /v1/ route but health, and leaves the dashboard pages open', async () => {
    for (const path of ['/v1/agl/rollouts', '/v1/agl/dashboard/rollouts', '/v1/agl/gateway/v1/models', '/v1/agl/nothing']) {
      const response = await fetch(`${collector.url}${path}`);
      assert.equal(response.status, 401, path);
      assert.equal(((await response.json()) as { code: string }).code, 'unauthorized');
    }
    assert.equal((await fetch(`${collector.url}/v1/agl/rollouts`, { headers: { authorization: 'Bearer secret' } })).status, 200);
    assert.equal((await fetch(`${collector.url}/v1/agl/health`)).status, 200);
    const page = await fetch(`${collector.url}/rollouts`);
    assert.notEqual(page.status, 401);
    await page.arrayBuffer();
  });
});
