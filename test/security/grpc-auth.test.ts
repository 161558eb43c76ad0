import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { exportRaw, rawTraceClient } from '../grpc/raw-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { residentBytes, startServeChild } from './cross-site-serve.ts';
import type { ServeChild } from './cross-site-serve.ts';

/**
 * OTLP/gRPC with `--token`: the `authorization` metadata is checked before the message is read, so
 * unauthenticated senders of large messages cost the collector no memory. Before this check moved
 * into a server interceptor, 20 concurrent unauthenticated 19 MiB messages lifted the server's
 * peak RSS by about 0.6 GB.
 */

const MIB = 1024 * 1024;

/** The peak resident set size of a process so far (`VmHWM`), in bytes. */
function peakResidentBytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match);
  return Number(match[1]) * 1024;
}

describe('OTLP/gRPC token: checked before the message is read', () => {
  let server: ServeChild;
  let client: Client;
  before(async () => {
    server = await startServeChild(join(tempDir('agl-grpc-auth-'), 'agl.duckdb'), ['--token', 's3cret']);
    client = rawTraceClient(server.grpcUrl!, { 'grpc.max_send_message_length': -1 });
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  it('answers 20 concurrent unauthenticated 19 MiB messages UNAUTHENTICATED without buffering them', async () => {
    // Warm up: one authorized call, so that the baseline includes the gRPC machinery.
    const warm = await exportRaw(client, protobufBody([spanSpec({ name: 'grpc-auth-warm' })]), { authorization: 'Bearer s3cret' });
    assert.ok(warm.ok, warm.ok ? '' : warm.error.message);
    const pid = server.child.pid!;
    const before = residentBytes(pid);
    const body = Buffer.alloc(19 * MIB, 0x0a);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => exportRaw(client, body, index % 2 === 0 ? {} : { authorization: 'Bearer wrong' })),
    );
    for (const result of results) {
      assert.equal(!result.ok && result.error.code, status.UNAUTHENTICATED, result.ok ? 'accepted' : result.error.message);
      assert.match(!result.ok ? result.error.details : '', /authorization/);
    }
    const growth = peakResidentBytes(pid) - before;
    process.stdout.write(`server peak RSS growth over 20 unauthenticated 19 MiB calls: ${(growth / MIB).toFixed(1)} MiB\n`);
    assert.ok(growth < 64 * MIB, `the server's peak RSS grew by ${(growth / MIB).toFixed(1)} MiB`);

    // Nothing was stored, and an authorized call still goes through.
    const right = await exportRaw(client, protobufBody([spanSpec({ name: 'grpc-auth-right' })]), { authorization: 'Bearer s3cret' });
    assert.ok(right.ok, right.ok ? '' : right.error.message);
    const rows = await rawSqlWithToken(server.url, "SELECT count(*)::INTEGER FROM spans WHERE name LIKE 'grpc-auth-%'");
    assert.deepEqual(rows, [[2]]);
  });
});

async function rawSqlWithToken(url: string, query: string): Promise<unknown[][]> {
  const response = await fetch(`${url}/v1/agl/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' },
    body: JSON.stringify({ query }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { rows: unknown[][] }).rows;
}
