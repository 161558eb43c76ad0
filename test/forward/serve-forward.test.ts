import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { OtlpForwarderStats } from '../../src/forward/index.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { startTarget, waitFor } from './target.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** `agl serve --forward URL --forward-header name=value` as a real process. */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const dir = tempDir('agl-forward-cli-');
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const result = { ...process.env, ...extra };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB', 'AGL_FORWARD_URL']) if (!(name in extra)) delete result[name];
  return result;
}

async function serve(args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [AGL, 'serve', '--db', join(dir, `${Math.random()}.duckdb`), '--port', '0', ...args], {
    cwd: dir,
    env: env(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line; stderr: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`agl serve exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (first) => {
      clearTimeout(timer);
      resolve(first);
    });
  });
  const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
  assert.ok(url, line);
  return { child, url, exited, stderr: () => stderr };
}

describe('agl serve --forward', () => {
  it('forwards accepted requests with the --forward-header headers and shows the counters', async () => {
    const seen = await startTarget(() => ({ status: 200 }));
    cleanups.push(() => seen.close());
    const server = await serve(['--forward', seen.url, '--forward-header', 'authorization=Bearer x=y', '--forward-header', 'x-team=ml']);
    const body = protobufBody([spanSpec()]);
    const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    assert.equal(response.status, 200);
    await waitFor(() => seen.received.length === 1, 'the forwarded request');
    assert.ok(seen.received[0].body.equals(Buffer.from(body)));
    assert.equal(seen.received[0].headers.authorization, 'Bearer x=y');
    assert.equal(seen.received[0].headers['x-team'], 'ml');
    const counters = (await (await fetch(`${server.url}/v1/agl/forwarder`)).json()) as OtlpForwarderStats;
    assert.equal(counters.url, `${seen.url}/v1/traces`);
    assert.equal(counters.forwarded, 1);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });

  it('reads AGL_FORWARD_URL', async () => {
    const seen = await startTarget(() => ({ status: 200 }));
    cleanups.push(() => seen.close());
    const server = await serve([], { AGL_FORWARD_URL: `${seen.url}/v1/traces` });
    const counters = (await (await fetch(`${server.url}/v1/agl/forwarder`)).json()) as OtlpForwarderStats;
    assert.equal(counters.url, `${seen.url}/v1/traces`);
  });

  it('rejects a bad URL or header as a usage error', async () => {
    for (const args of [['--forward', 'ftp://x'], ['--forward', 'http://x', '--forward-header', 'novalue'], ['--forward-header', 'a=b']]) {
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(process.execPath, [AGL, 'serve', '--port', '0', ...args], { cwd: dir, env: env(), timeout: 15_000 }, (error, _stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
        ),
      );
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /--forward/);
    }
  });
});
