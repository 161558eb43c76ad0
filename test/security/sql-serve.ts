import assert from 'node:assert/strict';
import { startServeProcess } from '../helpers/serve-process.ts';
import type { ServeProcess } from '../helpers/serve-process.ts';

/** `agl serve` as a real process for the SQL security tests, with extra flags. */

/** A running `agl serve`. */
export type SqlServe = ServeProcess;

/** Starts `agl serve --db dbPath --port 0 --log-level warn ...flags` and resolves once it printed its URL. */
export function startSqlServe(dbPath: string, flags: string[] = []): Promise<SqlServe> {
  return startServeProcess(dbPath, flags);
}

/** Stops it with SIGTERM and asserts a clean exit. */
export function stopSqlServe(server: SqlServe): Promise<void> {
  return server.stop();
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
