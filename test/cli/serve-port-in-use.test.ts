import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * `agl serve` on a port that is taken (a real `net.Server` holds it): the process exits 1 with a
 * hint, for the HTTP port and for the gRPC port alone, instead of printing EADDRINUSE and hanging.
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** Holds a free port on 127.0.0.1 until the end of the file. */
async function occupyPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** A free port now (not held). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs `agl serve` with `args`; resolves with its exit code and output, or fails after `timeoutMillis`. */
function serve(args: string[], timeoutMillis = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.AGL_DB;
  delete env.AGL_TOKEN;
  delete env.AGL_FORWARD_URL;
  const child = spawn(process.execPath, [AGL, 'serve', '--db', join(tempDir(), 'agl.duckdb'), '--log-level', 'warn', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agl serve did not exit within ${timeoutMillis} ms: ${stdout}${stderr}`));
    }, timeoutMillis);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('agl serve on a port in use', () => {
  it('the HTTP port taken: exits 1 with a hint naming --port', async () => {
    const port = await occupyPort();
    const { code, stdout, stderr } = await serve(['--port', String(port), '--no-grpc']);
    assert.equal(code, 1, stderr);
    assert.equal(stdout, '', 'it never said it was listening');
    assert.match(stderr, new RegExp(`HTTP port ${port} on 127\\.0\\.0\\.1 is already in use \\(EADDRINUSE\\)`));
    assert.match(stderr, /--port N \(--port 0 picks a free one/);
  });

  it('only the gRPC port taken: exits 1 with a hint naming --grpc-port 0 and --no-grpc, the HTTP port released', async () => {
    const grpcPort = await occupyPort();
    const port = await freePort();
    const { code, stdout, stderr } = await serve(['--port', String(port), '--grpc-port', String(grpcPort)]);
    assert.equal(code, 1, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`OTLP/gRPC port ${grpcPort} on 127\\.0\\.0\\.1 is already in use \\(EADDRINUSE\\)`));
    assert.match(stderr, /--grpc-port 0/);
    assert.match(stderr, /--no-grpc/);
    // The HTTP listener it had opened is closed: the port can be taken again at once.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('with --grpc-port 0 next to a taken default it starts and answers health', async () => {
    const grpcPort = await occupyPort();
    const port = await freePort();
    const env = { ...process.env };
    delete env.AGL_TOKEN;
    const child = spawn(process.execPath, [AGL, 'serve', '--db', join(tempDir(), 'agl.duckdb'), '--log-level', 'warn', '--port', String(port), '--grpc-port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
          if (/OTLP\/gRPC listening on/.test(stdout)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`agl serve exited (${code})`)));
      });
      assert.doesNotMatch(stdout, new RegExp(`:${grpcPort}\\b`));
      const health = await fetch(`http://127.0.0.1:${port}/v1/agl/health`);
      assert.equal(health.status, 200);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
