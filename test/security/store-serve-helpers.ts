import assert from 'node:assert/strict';
import { startServeProcess } from '../helpers/serve-process.ts';
export type { ServeProcess } from '../helpers/serve-process.ts';
import type { ServeProcess } from '../helpers/serve-process.ts';

/**
 * `agl serve` as a real process, for the tests that send hostile requests to the store: start it
 * on a DuckDB file, send raw JSON, stop it (SIGTERM) and start it again on the same file.
 */

/** Starts `agl serve --db dbPath --port 0` and resolves with its URL once it printed its start-up line. */
export function startServe(dbPath: string): Promise<ServeProcess> {
  return startServeProcess(dbPath);
}

/** Stops it with SIGTERM and asserts a clean exit. */
export function stopServe(server: ServeProcess): Promise<void> {
  return server.stop();
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
