import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { startServeProcess } from '../helpers/serve-process.ts';
import type { ServeProcess } from '../helpers/serve-process.ts';

/**
 * `agl serve` as a real process with any flags, for the cross-site, rebinding and gRPC token tests:
 * its HTTP and gRPC URLs from the start-up lines, its resident memory, raw requests with any
 * `Host` and `Origin`.
 */

/** A running `agl serve`. */
export type ServeChild = ServeProcess;

/** Starts `agl serve --db dbPath --port 0 --log-level warn ...extra` and waits for its start-up lines. */
export function startServeChild(dbPath: string, extra: string[] = []): Promise<ServeChild> {
  return startServeProcess(dbPath, extra);
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
