/**
 * Validation of trace and span ids, shared by the protobuf and JSON decoders. Each function returns
 * why an id is unusable, quoting it, or `undefined` when it is fine.
 */
import { bytesToHex, isAllZero } from './hex.ts';

/** Bytes in an OTLP trace id. */
export const TRACE_ID_BYTES = 16;
/** Bytes in an OTLP span id. */
export const SPAN_ID_BYTES = 8;

/** Longest id text quoted in a reason, so that garbage input cannot bloat responses. */
const MAX_QUOTED_ID_CHARS = 40;

/** Checks a binary id (`traceId`, `spanId`...): `byteLength` bytes, not all zero. */
export function invalidIdBytesReason(field: string, bytes: Uint8Array, byteLength: number): string | undefined {
  if (bytes.length === byteLength) return isAllZero(bytes) ? `${field} ${bytesToHex(bytes)} is all zeros` : undefined;
  if (bytes.length === 0) return `${field} is missing`;
  return `${field} ${quote(bytesToHex(bytes))} has ${bytes.length} bytes, expected ${byteLength}`;
}

/** Checks a binary parent span id: empty (a root span) or 8 bytes. */
export function invalidParentIdBytesReason(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0 || bytes.length === SPAN_ID_BYTES) return undefined;
  return `parentSpanId ${quote(bytesToHex(bytes))} has ${bytes.length} bytes, expected ${SPAN_ID_BYTES} or none`;
}

/** Checks a hex id (OTLP/JSON): `2 * byteLength` hex digits in either case, not all zero. */
export function invalidIdHexReason(field: string, hex: string, byteLength: number): string | undefined {
  if (hex.length === 0) return `${field} is missing`;
  if (hex.length !== byteLength * 2 || !isHex(hex)) return notHexReason(field, hex, byteLength);
  return isAllZeroHex(hex) ? `${field} ${hex} is all zeros` : undefined;
}

/** Checks a hex parent span id: empty (a root span) or 16 hex digits. */
export function invalidParentIdHexReason(hex: string): string | undefined {
  if (hex.length === 0 || (hex.length === SPAN_ID_BYTES * 2 && isHex(hex))) return undefined;
  return notHexReason('parentSpanId', hex, SPAN_ID_BYTES);
}

/** `true` when `text` is only hex digits (either case). */
export function isHex(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const lower = code | 0x20;
    if (!(code >= 0x30 && code <= 0x39) && !(lower >= 0x61 && lower <= 0x66)) return false;
  }
  return true;
}

/** `true` when `hex` is only `0` digits. */
export function isAllZeroHex(hex: string): boolean {
  for (let index = 0; index < hex.length; index++) {
    if (hex.charCodeAt(index) !== 0x30) return false;
  }
  return true;
}

function notHexReason(field: string, hex: string, byteLength: number): string {
  // Generic proto3 JSON encoders write bytes as base64, a common mistake with OTLP/JSON ids.
  return `${field} ${quote(hex)} is not ${byteLength * 2} hex digits (OTLP/JSON ids are hex, not base64)`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_ID_CHARS ? `${text.slice(0, MAX_QUOTED_ID_CHARS)}…` : text);
}
