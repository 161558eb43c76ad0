import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { HealthListener } from '../../collector/health/health-listener.ts';
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

  it("answers from a thread of its own: at once while the main thread is blocked, 503 'stalled' once its heartbeat is older than the bound", async () => {
    const health = await HealthListener.start({ host: '127.0.0.1', port: 0, stallMillis: 1500 });
    try {
      assert.equal((await send(health.url, { path: '/v1/agl/health' })).status, 200);
      // execFileSync blocks this (the main) thread: no heartbeat while the child asks, early and late.
      const script = `
        const ask = async () => { const t = performance.now(); const r = await fetch('${health.url}/v1/agl/health'); return [r.status, (await r.json()).status, Math.round(performance.now() - t)]; };
        const early = await ask();
        await new Promise((resolve) => setTimeout(resolve, 2500));
        console.log(JSON.stringify({ early, late: await ask() }));`;
      const { early, late } = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
      assert.deepEqual(early.slice(0, 2), [200, 'ok']);
      assert.deepEqual(late.slice(0, 2), [503, 'stalled']);
      assert.ok(late[2] < 1000, `answered in ${late[2]} ms with the main thread blocked`);
      // The main thread runs again: healthy again within a heartbeat.
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.equal((await send(health.url, { path: '/v1/agl/health' })).status, 200);
    } finally {
      await health.close();
    }
    await assert.rejects(send(health.url, { path: '/v1/agl/health' }), /ECONNREFUSED/);
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
