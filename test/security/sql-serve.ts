import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/** `agl serve` as a real process for the SQL security tests, with extra flags. */

const AGL = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'agl.js');

/** A running `agl serve`. */
export interface SqlServe {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: SqlServe[] = [];
after(() => {
  for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

/** Starts `agl serve --db dbPath --port 0 --log-level warn ...flags` and resolves once it printed its URL. */
export async function startSqlServe(dbPath: string, flags: string[] = []): Promise<SqlServe> {
  const env = { ...process.env };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB', 'UV_THREADPOOL_SIZE']) delete env[name];
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
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agl serve printed no start-up line; stderr: ${stderr}`)), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agl serve exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout }).once('line', (first) => {
      clearTimeout(timer);
      resolve(first);
    });
  });
  const match = /^agl collector listening on (http:\/\/\S+) \(database /.exec(line);
  assert.ok(match, `start-up line: ${line}`);
  const server = { child, url: match[1], stderr: () => stderr, exited };
  running.push(server);
  return server;
}

/** Stops it with SIGTERM and asserts a clean exit. */
export async function stopSqlServe(server: SqlServe): Promise<void> {
  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr());
}

/** The answer of `POST /v1/agl/sql`. */
export interface SqlAnswer {
  status: number;
  headers: Headers;
  body: { columns?: { name: string }[]; rows?: unknown[][]; truncated?: boolean; detail?: string; code?: string };
}

/** Sends one query (with extra body fields) to `POST /v1/agl/sql`. */
export async function postSql(url: string, query: string, extra: Record<string, unknown> = {}): Promise<SqlAnswer> {
  const response = await fetch(`${url}/v1/agl/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, ...extra }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as SqlAnswer['body'] };
}

/** The rows of a query that must succeed. */
export async function sqlRows(url: string, query: string): Promise<unknown[][]> {
  const answer = await postSql(url, query);
  assert.equal(answer.status, 200, `${query}: ${JSON.stringify(answer.body)}`);
  return answer.body.rows ?? [];
}
