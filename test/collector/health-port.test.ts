import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { startServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * `agl serve --health-port N`: a second listener that answers `GET /v1/agl/health` and nothing
 * else — no data, no store, no OTLP, whatever token or path a request brings — with the main
 * listener's Host guard, closed with the collector; a taken health port fails the start loudly.
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const held: Server[] = [];
after(async () => {
  await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** Sends a raw request (any Host header) and resolves with the status and body. */
function send(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(new URL(options.path, url), { method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('agl serve --health-port', () => {
  it('answers health there and nothing else, token or not; the main port is unchanged', async () => {
    const dir = tempDir();
    const serve = await startServeProcess(join(dir, 'agl.duckdb'), ['--no-grpc', '--health-port', '0', '--token', 'secret-token']);
    assert.ok(serve.healthUrl);
    assert.notEqual(new URL(serve.healthUrl).port, new URL(serve.url).port);

    const health = await send(serve.healthUrl, { path: '/v1/agl/health' });
    assert.deepEqual({ status: health.status, body: JSON.parse(health.body) }, { status: 200, body: { status: 'ok' } });

    const auth = { authorization: 'Bearer secret-token', 'content-type': 'application/json' };
    const attempts = [
      { method: 'POST', path: '/v1/traces', headers: auth, body: '{"resourceSpans":[]}' },
      { method: 'POST', path: '/v1/agl/sql', headers: auth, body: '{"query":"SELECT 1"}' },
      { method: 'POST', path: '/v1/agl/queues/rollouts/enqueue', headers: auth, body: '{"input":{}}' },
      { method: 'GET', path: '/v1/agl/rollouts', headers: auth },
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/v1/agl/health/../sql' },
    ];
    for (const attempt of attempts) {
      const answer = await send(serve.healthUrl, attempt);
      assert.equal(answer.status, 404, `${attempt.method} ${attempt.path} on the health port: ${answer.body}`);
    }
    // The DNS-rebinding guard holds there too.
    const rebound = await send(serve.healthUrl, { path: '/v1/agl/health', headers: { host: 'attacker.example' } });
    assert.equal(rebound.status, 403);

    // The main port: health open, the API behind the token, and nothing was stored by the attempts above.
    assert.equal((await send(serve.url, { path: '/v1/agl/health' })).status, 200);
    assert.equal((await send(serve.url, { path: '/v1/agl/rollouts' })).status, 401);
    const rollouts = await send(serve.url, { path: '/v1/agl/rollouts', headers: auth });
    assert.equal(rollouts.status, 200);
    assert.equal(JSON.parse(rollouts.body).items.length, 0);

    await serve.stop();
    await assert.rejects(send(serve.healthUrl, { path: '/v1/agl/health' }), /ECONNREFUSED/);
  });

  it('a taken health port: exits 1 with a hint naming --health-port, the HTTP port released', async () => {
    const taken = createServer();
    held.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const healthPort = (taken.address() as AddressInfo).port;
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const env = { ...process.env };
    for (const name of ['AGL_DB', 'AGL_TOKEN', 'AGL_FORWARD_URL']) delete env[name];
    const child = spawn(
      process.execPath,
      [AGL, 'serve', '--db', join(tempDir(), 'agl.duckdb'), '--port', String(port), '--no-grpc', '--health-port', String(healthPort), '--log-level', 'warn'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.equal(stdout, '', 'it never said it was listening');
    assert.match(stderr, new RegExp(`Health port ${healthPort} on 127\\.0\\.0\\.1 is already in use \\(EADDRINUSE\\)`));
    assert.match(stderr, /--health-port 0/);
    // The HTTP listener it had opened is closed: the port can be taken again at once.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('refuses a health port that is not a port number', async () => {
    const child = spawn(process.execPath, [AGL, 'serve', '--db', join(tempDir(), 'agl.duckdb'), '--port', '0', '--health-port', '99999'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--health-port must be 0 to 65535, got `99999`/);
  });
});
