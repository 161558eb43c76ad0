/**
 * Shared builders for the OTLP tests.
 */
import { Buffer } from 'node:buffer';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { OtlpExportTraceServiceRequest, OtlpSpan } from '../../src/otlp/index.ts';

/** 1 700 000 000.123456789 s: well past 2^53 nanoseconds, with every digit significant. */
export const BASE_TIME_NANOS = 1_700_000_000_123_456_789n;

/** An id of `length` bytes from a hex pattern, e.g. `id('0a', 8)`. */
export function id(byteHex: string, length: number): Uint8Array {
  return new Uint8Array(Buffer.from(byteHex.repeat(length), 'hex'));
}

/** A valid span with the given overrides. */
export function span(overrides: OtlpSpan = {}): OtlpSpan {
  return {
    traceId: id('11', 16),
    spanId: id('22', 8),
    name: 'span',
    kind: 1,
    startTimeUnixNano: BASE_TIME_NANOS,
    endTimeUnixNano: BASE_TIME_NANOS + 1_000n,
    ...overrides,
  };
}

/** A request holding `spans` under one resource and one scope. */
export function request(spans: OtlpSpan[]): OtlpExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'tests' } }] },
        scopeSpans: [{ scope: { name: 'scope', version: '1' }, spans }],
      },
    ],
  };
}

/** A small deterministic pseudo-random generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** `message` encoded as binary protobuf, then decoded by `decodeTracesProtobuf`. */
export function decode(message: OtlpExportTraceServiceRequest) {
  return decodeTracesProtobuf(encodeTracesProtobuf(message));
}
