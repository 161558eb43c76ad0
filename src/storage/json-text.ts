import { randomBytes } from 'node:crypto';
import type { Attributes } from '../spans/index.ts';

/**
 * Serialises attribute values to JSON text for the DuckDB JSON columns.
 *
 * `JSON.stringify` alone would throw on a `bigint` and turn a `Uint8Array` into an object of
 * indices; so values are scanned first (a typeof per value) and only the rare ones holding such
 * values take the slower path. A `bigint` is written as a bare JSON number with every digit kept
 * (DuckDB reads it exactly); bytes are written as base64, as OTLP/JSON does; a non-finite double
 * (which `JSON.stringify` would turn into `null`) is written as the string `"NaN"`, `"Infinity"`
 * or `"-Infinity"`, as the protobuf JSON mapping writes doubles, so it stays distinguishable (in
 * SQL: `attributes->>'$.x' = 'NaN'`, or `CAST(attributes->>'$.x' AS DOUBLE)` gives the double back).
 */
export function attributesToJson(attributes: Attributes): string {
  return valueToJson(attributes);
}

/** Like {@link attributesToJson}, for any value (events, links, messages). */
export function valueToJson(value: unknown): string {
  if (!needsConversion(value)) return JSON.stringify(value);
  const text = JSON.stringify(value, replaceSpecial);
  return text.replace(BIGINT_PATTERN, '$1');
}

function needsConversion(value: unknown): boolean {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' || (typeof value === 'number' && !Number.isFinite(value));
  }
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (needsConversion(item)) return true;
    return false;
  }
  for (const key in value) if (needsConversion((value as Record<string, unknown>)[key])) return true;
  return false;
}

// A bigint is first written as a marked string, then unquoted. The mark starts with a NUL and
// holds a per-process random token, so no string a user sends can be mistaken for it.
const MARK = `\u0000agl-bigint-${randomBytes(6).toString('hex')}:`;
const BIGINT_PATTERN = new RegExp(`"\\\\u0000agl-bigint-${MARK.slice(12, 24)}:(-?\\d+)"`, 'g');

function replaceSpecial(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return MARK + value.toString();
  // String(NaN) is 'NaN', String(Infinity) 'Infinity': the protobuf JSON mapping's names.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value instanceof Uint8Array) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  return value;
}
