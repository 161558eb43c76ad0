import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requestGuard } from '../../collector/http/request-guard.ts';
import { AglError } from '../../src/errors/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { rawRequest, sqlRows, startServeChild } from './cross-site-serve.ts';
import type { ServeChild } from './cross-site-serve.ts';

/**
 * Requests a browser could send cross-site, or after DNS rebinding, against a real `agl serve`:
 * bodies without `Content-Type: application/json` (415), foreign `Origin`s (403), `Host` names that
 * are not loopback while bound to loopback (403); and CORS for origins listed with `--cors-origin`.
 */

const JSON_TYPE = { 'content-type': 'application/json' };
const LISTED = 'http://localhost:5173';

async function rolloutCount(url: string): Promise<number> {
  const [[count]] = await sqlRows(url, 'SELECT count(*)::INTEGER FROM rollouts');
  return Number(count);
}

describe('agl serve: content type, origin and host checks', () => {
  let server: ServeChild;
  let dir: string;
  before(async () => {
    dir = tempDir('agl-cross-site-');
    server = await startServeChild(join(dir, 'agl.duckdb'), ['--no-grpc', '--cors-origin', LISTED, '--cors-origin', 'https://app.example:8443/']);
  });
  after(() => server.stop());

  it('answers 415 to a JSON endpoint whose body is not application/json, and acts on nothing', async () => {
    const file = join(dir, 'written-without-content-type.csv');
    const query = JSON.stringify({ query: `EXPLAIN ANALYZE COPY (SELECT 'x') TO '${file}' (FORMAT csv)` });
    const enqueue = JSON.stringify({ rollouts: [{ input: { task: 'cross-site' } }] });
    const cases: [string, string, Record<string, string>][] = [
      ['/v1/agl/sql', query, {}],
      ['/v1/agl/sql', query, { 'content-type': 'text/plain;charset=UTF-8' }],
      ['/v1/agl/sql', query, { 'content-type': 'application/x-www-form-urlencoded' }],
      ['/v1/agl/sql', query, { 'content-type': 'multipart/form-data; boundary=x' }],
      ['/v1/agl/queues/rollouts/enqueue', enqueue, {}],
      ['/v1/agl/queues/rollouts/enqueue', enqueue, { 'content-type': 'text/plain' }],
      ['/v1/agl/rollouts', JSON.stringify({ input: 1 }), {}],
      ['/v1/agl/resources', JSON.stringify({ prompt: { resource_type: 'prompt_template', template: 'x', engine: 'f-string' } }), {}],
      ['/v1/agl/queues/rollouts/dequeue', '{}', { 'content-type': 'text/plain' }],
      ['/v1/agl/export', JSON.stringify({ what: 'spans', format: 'jsonl' }), {}],
      ['/v1/agl/apo/rounds', '{}', {}],
    ];
    for (const [path, body, headers] of cases) {
      const answer = await rawRequest(server.url + path, 'POST', headers, body);
      assert.equal(answer.status, 415, `${path} ${JSON.stringify(headers)}: ${answer.text}`);
      assert.match(JSON.parse(answer.text).detail, /Content-Type: application\/json/);
    }
    // A chunked body without a content type too.
    const chunked = await rawRequest(`${server.url}/v1/agl/sql`, 'POST', { 'transfer-encoding': 'chunked' }, query);
    assert.equal(chunked.status, 415);
    assert.equal(existsSync(file), false);
    assert.equal(await rolloutCount(server.url), 0);

    // application/json, with parameters, is read; a bodiless dequeue needs no content type.
    const withCharset = await rawRequest(`${server.url}/v1/agl/sql`, 'POST', { 'content-type': 'Application/JSON; charset=utf-8' }, JSON.stringify({ query: 'SELECT 7' }));
    assert.equal(withCharset.status, 200, withCharset.text);
    const dequeue = await rawRequest(`${server.url}/v1/agl/queues/rollouts/dequeue`, 'POST', { 'content-length': '0' });
    assert.equal(dequeue.status, 200, dequeue.text);
  });

  it('refuses a foreign Origin (null included) with 403 naming it and the flag, on every route', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:1', `${server.url.replace('127.0.0.1', 'localhost')}`, 'https://app.example', 'not an origin']) {
      for (const [method, path, headers, body] of [
        ['POST', '/v1/agl/sql', JSON_TYPE, JSON.stringify({ query: 'SELECT 1' })],
        ['POST', '/v1/agl/queues/rollouts/enqueue', JSON_TYPE, JSON.stringify({ rollouts: [{ input: 1 }] })],
        ['GET', '/v1/agl/rollouts', {}, undefined],
        ['GET', '/v1/agl/health', {}, undefined],
        ['POST', '/v1/traces', JSON_TYPE, '{}'],
        ['OPTIONS', '/v1/agl/sql', { 'access-control-request-method': 'POST' }, undefined],
      ] as const) {
        const answer = await rawRequest(server.url + path, method, { ...headers, origin }, body);
        assert.equal(answer.status, 403, `${method} ${path} from ${origin}: ${answer.text}`);
        assert.equal(answer.headers['access-control-allow-origin'], undefined);
        assert.ok(answer.text.includes(origin) && answer.text.includes('--cors-origin'), answer.text);
      }
    }
    assert.equal(await rolloutCount(server.url), 0);
  });

  it("lets the collector's own origin through (the dashboard's same-origin POSTs)", async () => {
    const port = new URL(server.url).port;
    for (const [host, origin] of [
      [`127.0.0.1:${port}`, server.url],
      [`localhost:${port}`, `http://localhost:${port}`],
      [`LOCALHOST:${port}`, `http://localhost:${port}/`],
    ]) {
      const answer = await rawRequest(`${server.url}/v1/agl/sql`, 'POST', { ...JSON_TYPE, host, origin }, JSON.stringify({ query: 'SELECT 1' }));
      assert.equal(answer.status, 200, `${host} ${origin}: ${answer.text}`);
      assert.equal(answer.headers['access-control-allow-origin'], undefined, 'same-origin answers need no CORS');
    }
  });

  it('answers a listed origin with CORS headers, and its preflights with 204', async () => {
    const preflight = await rawRequest(`${server.url}/v1/traces`, 'OPTIONS', {
      origin: LISTED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    });
    assert.equal(preflight.status, 204, preflight.text);
    assert.equal(preflight.headers['access-control-allow-origin'], LISTED);
    assert.match(String(preflight.headers['access-control-allow-methods']), /\bPOST\b/);
    const allowed = String(preflight.headers['access-control-allow-headers']);
    for (const name of ['content-type', 'authorization', 'content-encoding']) assert.match(allowed, new RegExp(`\\b${name}\\b`));
    assert.equal(preflight.headers['access-control-max-age'], '600');
    assert.match(String(preflight.headers.vary), /Origin/);

    const traced = await rawRequest(`${server.url}/v1/traces`, 'POST', { ...JSON_TYPE, origin: LISTED }, JSON.stringify({ resourceSpans: [] }));
    assert.equal(traced.status, 200, traced.text);
    assert.equal(traced.headers['access-control-allow-origin'], LISTED);
    assert.match(String(traced.headers.vary), /Origin/);

    const listed = await rawRequest(`${server.url}/v1/agl/rollouts`, 'GET', { origin: 'https://app.example:8443' });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.headers['access-control-allow-origin'], 'https://app.example:8443');
    // Errors carry the CORS headers too, so that the page can read why.
    const refused = await rawRequest(`${server.url}/v1/agl/sql`, 'POST', { origin: LISTED, 'content-type': 'text/plain' }, '{}');
    assert.equal(refused.status, 415);
    assert.equal(refused.headers['access-control-allow-origin'], LISTED);
    // A request with no Origin is not a CORS one: no CORS headers, but Vary for caches.
    const plain = await rawRequest(`${server.url}/v1/agl/health`, 'GET');
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
    assert.match(String(plain.headers.vary), /Origin/);
  });

  it('refuses a Host that is not a loopback name while bound to loopback (DNS rebinding), accepts loopback ones', async () => {
    const port = new URL(server.url).port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `192.168.1.10:${port}`, `[::2]:${port}`, `localhost.evil.example:${port}`, '0.0.0.0']) {
      for (const [method, path] of [['GET', '/v1/agl/health'], ['GET', '/v1/agl/rollouts'], ['GET', '/']] as const) {
        const answer = await rawRequest(server.url + path, method, { host });
        assert.equal(answer.status, 403, `${method} ${path} Host ${host}: ${answer.text}`);
        assert.ok(answer.text.includes(host) && /DNS rebinding/.test(answer.text), answer.text);
      }
      // Even with an Origin that matches the rebound name, which is what a rebinding page sends.
      const rebound = await rawRequest(`${server.url}/v1/agl/sql`, 'POST', { ...JSON_TYPE, host, origin: `http://${host}` }, JSON.stringify({ query: 'SELECT 1' }));
      assert.equal(rebound.status, 403);
    }
    for (const host of ['localhost', `localhost:${port}`, `dashboard.localhost:${port}`, `127.0.0.1:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`, '[::1]', `[0:0:0:0:0:0:0:1]:${port}`, `localhost.:${port}`]) {
      const answer = await rawRequest(`${server.url}/v1/agl/health`, 'GET', { host });
      assert.equal(answer.status, 200, `Host ${host}: ${answer.text}`);
      assert.deepEqual(JSON.parse(answer.text), { status: 'ok' });
    }
    // The host of a listed origin is accepted too.
    assert.equal((await rawRequest(`${server.url}/v1/agl/health`, 'GET', { host: 'app.example:8443' })).status, 200);
  });

  it('refuses a --cors-origin that is not an origin (usage error)', () => {
    const agl = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'agl.js');
    const result = spawnSync(process.execPath, [agl, 'serve', '--db', ':memory:', '--port', '0', '--cors-origin', 'localhost:5173/app'], { encoding: 'utf8' });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /--cors-origin must be an origin/);
  });
});

describe('requestGuard bound to all interfaces', () => {
  // The guard with host 0.0.0.0 behind a real server that itself listens on loopback only.
  let server: Server;
  let url: string;
  before(async () => {
    const guard = requestGuard({ host: '0.0.0.0' });
    server = createServer((request, response) => {
      try {
        guard(request, response, new URL(request.url ?? '/', 'http://x'));
        response.writeHead(200).end('through');
      } catch (error) {
        response.writeHead((error as AglError).status).end((error as Error).message);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('does not restrict Host, but still refuses foreign Origins', async () => {
    assert.equal((await rawRequest(`${url}/v1/agl/health`, 'GET', { host: 'collector.internal:4318' })).status, 200);
    const foreign = await rawRequest(`${url}/v1/agl/sql`, 'POST', { host: 'collector.internal:4318', origin: 'http://evil.example', ...JSON_TYPE }, '{}');
    assert.equal(foreign.status, 403);
    const own = await rawRequest(`${url}/v1/agl/sql`, 'POST', { host: 'collector.internal:4318', origin: 'http://collector.internal:4318', ...JSON_TYPE }, '{}');
    assert.equal(own.status, 200);
  });

  it('throws at construction for an invalid cors origin', () => {
    assert.throws(() => requestGuard({ host: '127.0.0.1', corsOrigins: ['http://localhost:5173/path'] }), /corsOrigins/);
    assert.throws(() => requestGuard({ host: '127.0.0.1', corsOrigins: ['null'] }), /corsOrigins/);
  });
});
