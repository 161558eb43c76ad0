import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `agl serve` as a real process with any flags, for the cross-site, rebinding and gRPC token tests:
 * its HTTP and gRPC URLs from the start-up lines, its resident memory, raw requests with any
 * `Host` and `Origin`.
 */

const AGL = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'agl.js');

/** A running `agl serve`. */
export interface ServeChild {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** The HTTP base URL from the first start-up line, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The OTLP/gRPC URL from the second line, or null with `--no-grpc`. */
  grpcUrl: string | null;
  stderr: () => string;
  /** Stops it with SIGTERM and asserts a clean exit. */
  stop: () => Promise<void>;
}

const running: ServeChild[] = [];
after(() => {
  for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

/** Starts `agl serve --db dbPath --port 0 --log-level warn ...extra` and waits for its start-up lines. */
export async function startServeChild(dbPath: string, extra: string[] = []): Promise<ServeChild> {
  const env = { ...process.env };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB', 'AGL_FORWARD_URL']) delete env[name];
  const child = spawn(process.execPath, [AGL, 'serve', '--db', dbPath, '--port', '0', '--log-level', 'warn', ...extra], {
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
  const wantGrpc = !extra.includes('--no-grpc');
  const lines = await new Promise<string[]>((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => reject(new Error(`agl serve printed no start-up line; stderr: ${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agl serve exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      seen.push(line);
      if (seen.length === (wantGrpc ? 2 : 1)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
  const match = /^agl collector listening on (http:\/\/\S+) \(database /.exec(lines[0]);
  assert.ok(match, `start-up line: ${lines[0]}`);
  const grpcMatch = wantGrpc ? /OTLP\/gRPC listening on (http:\/\/\S+)/.exec(lines[1]) : null;
  const server: ServeChild = {
    child,
    url: match[1],
    grpcUrl: grpcMatch?.[1] ?? null,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
    },
  };
  running.push(server);
  return server;
}

/** The resident set size of a process, in bytes (Linux `/proc/<pid>/status`). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** An answer: status, headers and body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request with exactly the given headers (`fetch` would not let a test set `Host` or
 * `Origin`, and adds a content type to string bodies).
 */
export function rawRequest(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** `POST /v1/agl/sql` with JSON; asserts 200 and returns the rows. */
export async function sqlRows(url: string, query: string): Promise<unknown[][]> {
  const answer = await rawRequest(`${url}/v1/agl/sql`, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ query }));
  assert.equal(answer.status, 200, answer.text);
  return (JSON.parse(answer.text) as { rows: unknown[][] }).rows;
}
