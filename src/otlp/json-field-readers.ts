/**
 * The typed field readers of the OTLP/JSON decoder (`decode-json.ts`): each reads one field of a
 * parsed JSON object as the protobuf JSON mapping allows (absent or `null` → the default, 64-bit
 * integers as numbers or decimal strings, enums by number or name) and throws a
 * {@link JsonShapeError} naming the field for anything else.
 */

/** A JSON object of the request, read field by field. */
export type JsonObject = Record<string, unknown>;

const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);
const DECIMAL_INTEGER = /^-?\d+$/;
const MAX_UINT32 = 0xffffffff;
const MAX_UINT64 = 0xffffffffffffffffn;
const MAX_QUOTED_VALUE_CHARS = 40;

/** A type error inside the request; the enclosing levels prepend where it happened. */
export class JsonShapeError extends Error {
  path: string;

  constructor(path: string, problem: string) {
    super(problem);
    this.path = path;
  }

  /** Returns this error with `component` in front of its path. */
  within(component: string): JsonShapeError {
    this.path = this.path === '' || this.path.startsWith('[') ? component + this.path : `${component}.${this.path}`;
    return this;
  }
}

/** `value` as an object; throws for anything else, `null` included (an element of a list). */
export function asElement(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(path, 'an object', value);
  return value as JsonObject;
}

/** `value` as an object, `undefined` for an absent field; throws for any other type. */
export function asObject(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(path, 'an object', value);
  return value as JsonObject;
}

export function asArray(value: unknown, path: string): readonly unknown[] {
  if (value === undefined || value === null) return EMPTY_ARRAY;
  if (!Array.isArray(value)) throw typeError(path, 'an array', value);
  return value;
}

export function asString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw typeError(path, 'a string', value);
}

export function asIdString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw typeError(path, 'a hex string', value);
}

export function asUint32(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  const number = typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > MAX_UINT32) {
    throw typeError(path, 'an unsigned 32-bit integer', value);
  }
  return number;
}

export function asUint64(value: unknown, path: string): bigint {
  if (typeof value === 'string') {
    if (DECIMAL_INTEGER.test(value)) {
      const integer = BigInt(value);
      if (integer >= 0n && integer <= MAX_UINT64) return integer;
    }
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return BigInt(value);
  } else if (value === undefined || value === null) {
    return 0n;
  }
  throw typeError(path, 'an unsigned 64-bit integer (a number or a decimal string)', value);
}

export function asInt64(value: unknown, path: string): number | bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
  } else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) {
    // Up to 15 digits always fit a double exactly.
    if (value.length <= 15) return Number(value);
    const integer = BigInt(value);
    if (integer >= -0x8000000000000000n && integer <= 0x7fffffffffffffffn) {
      return integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer;
    }
  }
  throw typeError(path, 'a signed 64-bit integer (a number or a decimal string)', value);
}

export function asDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    // The protobuf JSON mapping writes non-finite doubles as these strings; numbers may be quoted.
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const number = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isNaN(number)) return number;
  }
  throw typeError(path, 'a number', value);
}

export function asEnum(value: unknown, byName: Readonly<Record<string, number>>, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) return value;
  if (typeof value === 'string' && Object.hasOwn(byName, value)) return byName[value];
  throw typeError(path, `an integer or one of ${Object.keys(byName).join(', ')}`, value);
}

export function typeError(path: string, expected: string, actual: unknown): JsonShapeError {
  return new JsonShapeError(path, `expected ${expected}, got ${describe(actual)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_QUOTED_VALUE_CHARS ? `${text.slice(0, MAX_QUOTED_VALUE_CHARS)}…` : text;
}
