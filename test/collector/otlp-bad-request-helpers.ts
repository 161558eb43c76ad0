import assert from 'node:assert/strict';
import { createGzip } from 'node:zlib';
import type { Collector } from '../../collector/index.ts';
import { decodeRpcStatus } from '../../src/otlp/index.ts';
import type { OtlpFormat, RpcStatus } from '../../src/otlp/index.ts';
import { MIXED_ROWS, addCounts, countRows, mixedSpans, protobufBody, rawRequest } from './otlp-requests.ts';
import type { RawResponse } from './otlp-requests.ts';

/**
 * Helpers of the bad-request tests (`otlp-*.test.ts`): posting a raw body, checking a
 * `google.rpc.Status` or `{detail, code}` answer, checking that a refused request stores nothing,
 * and building oversized or gzip-bomb bodies.
 */

export const PROTOBUF = 'application/x-protobuf';
export const JSON_TYPE = 'application/json';

// google.rpc.Code values.
export const INVALID_ARGUMENT = 3;
export const RESOURCE_EXHAUSTED = 8;
export const UNAVAILABLE = 14;
export const UNAUTHENTICATED = 16;

export function post(collector: Collector, body: Uint8Array | string, headers: Record<string, string>): Promise<RawResponse> {
  return rawRequest(`${collector.url}/v1/traces`, { headers, body });
}

/** Checks the answer is `status` with a `google.rpc.Status` body in `format`; returns the Status. */
export function assertStatus(response: RawResponse, status: number, format: OtlpFormat): RpcStatus {
  assert.equal(response.status, status, response.body.toString('latin1'));
  assert.equal(response.headers['content-type'], format === 'protobuf' ? PROTOBUF : JSON_TYPE);
  const rpcStatus = decodeRpcStatus(new Uint8Array(response.body), format);
  assert.ok(rpcStatus.message.length > 0, 'the Status carries a message');
  return rpcStatus;
}

/** A JSON `{detail, code}` error body. */
export function assertDetail(response: RawResponse, status: number, code: string): string {
  assert.equal(response.status, status, response.body.toString('latin1'));
  assert.equal(response.headers['content-type'], JSON_TYPE);
  const body = JSON.parse(response.body.toString('utf8')) as { detail: unknown; code: unknown };
  assert.equal(body.code, code);
  assert.equal(typeof body.detail, 'string');
  return body.detail as string;
}

/**
 * Runs a refused request: the table counts must not move, and a valid request right after must be
 * answered 200 and stored in full.
 */
export async function refusedThenServes(
  collector: Collector,
  send: () => Promise<RawResponse>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const before = await countRows(collector);
  const response = await send();
  assert.deepEqual(await countRows(collector), before, 'a refused request stores nothing');
  const valid = await post(collector, protobufBody(mixedSpans()), { 'content-type': PROTOBUF, ...headers });
  assert.equal(valid.status, 200);
  assert.deepEqual(await countRows(collector), addCounts(before, MIXED_ROWS), 'the next valid request is stored');
  return response;
}

/** A protobuf `body` padded with an unknown length-delimited field (15) to exactly `total` bytes. */
export function padProtobuf(body: Uint8Array, total: number): Buffer {
  const varint = (value: number) => {
    const bytes: number[] = [];
    while (value > 127) {
      bytes.push((value & 127) | 128);
      value >>>= 7;
    }
    bytes.push(value);
    return Buffer.from(bytes);
  };
  for (let filler = total - body.length - 2; filler > 0; filler--) {
    const padded = Buffer.concat([body, Buffer.from([(15 << 3) | 2]), varint(filler), Buffer.alloc(filler)]);
    if (padded.length === total) return padded;
  }
  throw new Error(`Cannot pad ${body.length} bytes to ${total}`);
}

/** `mib` MiB of zeros, gzipped through a zlib stream (never held inflated in memory). */
export async function gzipBomb(mib: number): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve, reject) => gzip.on('end', resolve).on('error', reject));
  for (let index = 0; index < mib; index++) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await ended;
  return Buffer.concat(chunks);
}
