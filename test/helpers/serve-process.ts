import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `agl serve` as a real process, for the tests that attack it, stop it and start it again on the
 * same file: its URLs from the start-up lines, its stderr, a clean stop.
 */

const AGL = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'agl.js');

/** A running `agl serve`. */
export interface ServeProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** The HTTP base URL from the first start-up line, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The OTLP/gRPC URL from the second line, or null with `--no-grpc`. */
  grpcUrl: string | null;
  /** The health port's base URL (with `--health-port`), or null. */
  healthUrl: string | null;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops it with SIGTERM and asserts a clean exit. */
  stop: () => Promise<void>;
}

const running: ServeProcess[] = [];
after(() => {
  for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

/** Starts `agl serve --db dbPath --port 0 --log-level warn ...flags` and waits for its start-up lines. */
export async function startServeProcess(dbPath: string, flags: string[] = []): Promise<ServeProcess> {
  const env = { ...process.env };
  // The test's own settings must not leak into the collector under test.
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB', 'AGL_FORWARD_URL', 'UV_THREADPOOL_SIZE']) delete env[name];
  const child = spawn(process.execPath, [AGL, 'serve', '--db', dbPath, '--port', '0', '--log-level', 'warn', ...flags], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const wantGrpc = !flags.includes('--no-grpc');
  const wantHealth = flags.includes('--health-port');
  const lines = await new Promise<string[]>((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => reject(new Error(`agl serve printed no start-up line; stderr: ${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agl serve exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      seen.push(line);
      if (seen.length === 1 + Number(wantGrpc) + Number(wantHealth)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
  const match = /^agl collector listening on (http:\/\/\S+) \(database /.exec(lines[0]);
  assert.ok(match, `start-up line: ${lines[0]}`);
  const grpcMatch = wantGrpc ? /OTLP\/gRPC listening on (http:\/\/\S+)/.exec(lines[1]) : null;
  const healthMatch = wantHealth ? /^agl collector health check on (http:\/\/\S+)\/v1\/agl\/health$/.exec(lines.at(-1)!) : null;
  if (wantHealth) assert.ok(healthMatch, `health line: ${lines.at(-1)}`);
  const server: ServeProcess = {
    child,
    url: match[1],
    grpcUrl: grpcMatch?.[1] ?? null,
    healthUrl: healthMatch?.[1] ?? null,
    stderr: () => stderr,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
    },
  };
  running.push(server);
  return server;
}
