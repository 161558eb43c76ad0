import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `agl serve` as a real process, for the tests that send hostile requests to the store: start it
 * on a DuckDB file, send raw JSON, stop it (SIGTERM) and start it again on the same file.
 */

const AGL = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'agl.js');

/** A running `agl serve`. */
export interface ServeProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ServeProcess[] = [];
after(() => {
  for (const server of running) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB']) delete env[name];
  return env;
}

/** Starts `agl serve --db dbPath --port 0` and resolves with its URL once it printed its start-up line. */
export async function startServe(dbPath: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [AGL, 'serve', '--db', dbPath, '--port', '0', '--log-level', 'warn'], {
    env: childEnv(),
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
export async function stopServe(server: ServeProcess): Promise<void> {
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
}

/** The answer to one request: status and parsed JSON body (or the text when it is not JSON). */
export interface Answer {
  status: number;
  body: unknown;
}

/** Sends `body` (raw JSON text, so that escapes such as `\ud800` reach the server as written). */
export async function sendJson(url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/** Runs read-only SQL through the server; asserts 200 and returns the rows (arrays of values). */
export async function sql(url: string, query: string): Promise<unknown[][]> {
  const answer = await sendJson(url, 'POST', '/v1/agl/sql', JSON.stringify({ query }));
  assert.equal(answer.status, 200, `SQL ${query}: ${JSON.stringify(answer.body)}`);
  return (answer.body as { rows: unknown[][] }).rows;
}

/** Exports `what` as JSONL through the server; asserts 200 and returns the lines parsed. */
export async function exportJsonl(url: string, what: string): Promise<unknown[]> {
  const answer = await fetch(`${url}/v1/agl/export`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ what, format: 'jsonl' }),
  });
  const text = await answer.text();
  assert.equal(answer.status, 200, `export ${what}: ${text}`);
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
}
