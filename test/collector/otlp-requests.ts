/**
 * Hand-built OTLP/HTTP requests for the collector tests: the same spans as binary protobuf or as
 * OTLP/JSON text, and small HTTP clients that report status, headers and raw body.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Collector } from '../../collector/index.ts';
import { encodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { OtlpAnyValue, OtlpKeyValue, OtlpSpan } from '../../src/otlp/index.ts';
import { queryRows } from '../helpers/collector.ts';

/** A span to send, with ids as hex (any length, so that invalid ids can be sent too). */
export interface SpanSpec {
  traceId: string;
  spanId: string;
  name: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, string | number | boolean>;
}

/** What a batch from {@link mixedSpans} adds to each table. */
export interface RowCounts {
  spans: number;
  span_rewards: number;
  span_llm_calls: number;
}

let sequence = 0;

/** A valid span with random ids; `overrides` replace any field. */
export function spanSpec(overrides: Partial<SpanSpec> = {}): SpanSpec {
  sequence++;
  const start = 1_700_000_000_123_456_789n + BigInt(sequence) * 1_000n;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: `span-${sequence}`,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 500n,
    attributes: { 'test.sequence': sequence, 'agentlightning.rollout_id': 'ro-test' },
    ...overrides,
  };
}

/**
 * Three valid spans, one plain, one with a reward and one LLM call, so that a half-written request
 * would show in every table.
 */
export function mixedSpans(rolloutId = 'ro-test'): SpanSpec[] {
  return [
    spanSpec({ attributes: { 'agentlightning.rollout_id': rolloutId, 'test.kind': 'plain' } }),
    spanSpec({
      name: 'agentlightning.annotation',
      attributes: {
        'agentlightning.rollout_id': rolloutId,
        'agentlightning.reward.0.name': 'accuracy',
        'agentlightning.reward.0.value': 0.75,
      },
    }),
    spanSpec({
      name: 'chat m1',
      attributes: {
        'agentlightning.rollout_id': rolloutId,
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'm1',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 3,
      },
    }),
  ];
}

/** The rows {@link mixedSpans} adds. */
export const MIXED_ROWS: RowCounts = { spans: 3, span_rewards: 1, span_llm_calls: 1 };

function anyValue(value: string | number | boolean): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
}

function keyValues(attributes: Record<string, string | number | boolean>): OtlpKeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** The spans as one binary `ExportTraceServiceRequest`. */
export function protobufBody(spans: SpanSpec[]): Uint8Array {
  const otlpSpans: OtlpSpan[] = spans.map((span) => ({
    traceId: new Uint8Array(Buffer.from(span.traceId, 'hex')),
    spanId: new Uint8Array(Buffer.from(span.spanId, 'hex')),
    name: span.name,
    kind: 1,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    attributes: keyValues(span.attributes),
  }));
  return encodeTracesProtobuf({
    resourceSpans: [
      {
        resource: { attributes: keyValues({ 'service.name': 'bad-requests' }) },
        scopeSpans: [{ scope: { name: 'hand-built', version: '1' }, spans: otlpSpans }],
      },
    ],
  });
}

function jsonAnyValue(value: string | number | boolean): unknown {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

/** The spans as an OTLP/JSON `ExportTraceServiceRequest` object (64-bit integers as strings). */
export function jsonRequest(spans: SpanSpec[]): { resourceSpans: unknown[] } {
  const attributes = (values: Record<string, string | number | boolean>) =>
    Object.entries(values).map(([key, value]) => ({ key, value: jsonAnyValue(value) }));
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes({ 'service.name': 'bad-requests' }) },
        scopeSpans: [
          {
            scope: { name: 'hand-built', version: '1' },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              name: span.name,
              kind: 1,
              startTimeUnixNano: String(span.startTimeUnixNano),
              endTimeUnixNano: String(span.endTimeUnixNano),
              attributes: attributes(span.attributes),
            })),
          },
        ],
      },
    ],
  };
}

/** The spans as OTLP/JSON text. */
export function jsonBody(spans: SpanSpec[]): string {
  return JSON.stringify(jsonRequest(spans));
}

/** An HTTP answer with its raw body. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A request through `node:http`, which (unlike `fetch`) lets a test stream a body chunk by chunk,
 * send no `Content-Type`, and still read the answer of a server that stops reading the upload.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string | Iterable<Uint8Array> },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers, agent: false }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    // Once the answer is in, a server that closed the connection early may make the upload fail
    // (EPIPE, ECONNRESET): that is expected and not an error of the test.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const body = options.body;
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
      request.end(body);
      return;
    }
    const chunks = body[Symbol.iterator]();
    const writeNext = (): void => {
      if (answered || request.destroyed) return;
      const next = chunks.next();
      if (next.done) request.end();
      else if (request.write(next.value)) setImmediate(writeNext);
      else request.once('drain', writeNext);
    };
    writeNext();
  });
}

/** A request through `fetch`, answered as a {@link RawResponse}. */
export async function fetchRaw(url: string, init: RequestInit): Promise<RawResponse> {
  const response = await fetch(url, init);
  const headers: IncomingHttpHeaders = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** Rows in the tables one OTLP request writes to. */
export async function countRows(collector: Collector): Promise<RowCounts> {
  const [row] = await queryRows(
    collector,
    `SELECT (SELECT count(*) FROM spans) AS spans,
            (SELECT count(*) FROM span_rewards) AS span_rewards,
            (SELECT count(*) FROM span_llm_calls) AS span_llm_calls`,
  );
  return { spans: Number(row.spans), span_rewards: Number(row.span_rewards), span_llm_calls: Number(row.span_llm_calls) };
}

/** `counts` plus `delta`, table by table. */
export function addCounts(counts: RowCounts, delta: RowCounts): RowCounts {
  return {
    spans: counts.spans + delta.spans,
    span_rewards: counts.span_rewards + delta.span_rewards,
    span_llm_calls: counts.span_llm_calls + delta.span_llm_calls,
  };
}
