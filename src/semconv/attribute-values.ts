/**
 * Lenient readers of attribute values. Spans come from many SDKs in many languages: a number may
 * arrive as an int, a double, a bigint or a string, and a structure as a JSON string or as an OTLP
 * kvlist. None of these readers throws; each returns `null`/`undefined` for what it cannot read.
 */
import type { JsonValue } from './chat-message.ts';

/** A plain object (an OTLP kvlist or a parsed JSON object), not an array or bytes. */
export type LooseRecord = { [key: string]: unknown };

/** Whether `value` is a plain object (not `null`, an array or a `Uint8Array`). */
export function isRecord(value: unknown): value is LooseRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A non-empty string, or a number/bigint written as one; otherwise `null`. */
export function readString(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'bigint') return value.toString();
  return null;
}

/** A non-empty string; `null` for anything else (numbers included: for roles and names). */
export function readName(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A string as is (even empty); `null` for anything else. */
export function readText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A finite number from a number, a bigint or a numeric string (JSON number text); otherwise `null`. */
export function readNumber(value: unknown): number | null {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return Number(value);
    case 'string': {
      if (value.trim() === '') return null;
      const parsed = Number(value);
      return Number.isFinite(parsed) ? parsed : null;
    }
    default:
      return null;
  }
}

/** An integer from an int, a bigint or a string of an integer; otherwise `null`. */
export function readInteger(value: unknown): number | null {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? value : null;
    case 'bigint':
      return Number(value);
    case 'string':
      return /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : null;
    default:
      return null;
  }
}

/** A token count: a non-negative integer; otherwise `null`. */
export function readCount(value: unknown): number | null {
  const count = readNumber(value);
  return count !== null && count >= 0 ? Math.trunc(count) : null;
}

/** A total token count: the one recorded (`raw`), else input + output when both are known. */
export function readTotalTokens(raw: unknown, inputTokens: number | null, outputTokens: number | null): number | null {
  return readCount(raw) ?? (inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null);
}

/**
 * A structured value: a string is parsed as JSON (returning `undefined` when it is not JSON), any
 * other value is returned as is (OTLP arrays and kvlists arrive already structured).
 */
export function parseStructured(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** {@link parseStructured}, kept only when the result is an array. */
export function parseArray(value: unknown): unknown[] | null {
  const parsed = parseStructured(value);
  return Array.isArray(parsed) ? parsed : null;
}

/** {@link parseStructured}, kept only when the result is a plain object. */
export function parseRecord(value: unknown): LooseRecord | null {
  const parsed = parseStructured(value);
  return isRecord(parsed) ? parsed : null;
}

/** A list of strings from a string array, a JSON string of one, or a single string. */
export function readStringList(value: unknown): string[] {
  if (typeof value === 'string') {
    const trimmed = value.trimStart();
    if (trimmed.startsWith('[')) {
      const parsed = parseArray(trimmed);
      if (parsed) return parsed.filter((item): item is string => typeof item === 'string');
    }
    return value === '' ? [] : [value];
  }
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** Converts any attribute or parsed value to JSON: bigints become numbers, bytes base64 strings. */
export function toJsonValue(value: unknown): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (Array.isArray(value)) return value.map(toJsonValue);
      const result: { [key: string]: JsonValue } = {};
      for (const key of Object.keys(value)) {
        const item = (value as LooseRecord)[key];
        if (item !== undefined) result[key] = toJsonValue(item);
      }
      return result;
    }
    default:
      return null;
  }
}

/** A string as is; anything else serialised as JSON (`''` for `undefined`/`null`). */
export function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  return JSON.stringify(toJsonValue(value));
}

const DIGITS = /^\d{1,6}$/;

/**
 * Groups flattened, indexed keys: for `prefix` `gen_ai.prompt.`, the keys `gen_ai.prompt.0.role`
 * and `gen_ai.prompt.0.tool_calls.1.name` land in group 0 as `role` and `tool_calls.1.name` (a key
 * that ends at the index lands as `''`). Groups come back in index order, as `[index, fields]`; keys
 * whose segment after the prefix is not an integer of at most 6 digits are skipped.
 */
export function indexedGroups(source: LooseRecord, prefix: string): Array<[number, LooseRecord]> {
  let groups: Map<number, LooseRecord> | null = null;
  for (const key in source) {
    if (!key.startsWith(prefix)) continue;
    const dot = key.indexOf('.', prefix.length);
    const indexText = dot === -1 ? key.slice(prefix.length) : key.slice(prefix.length, dot);
    if (!DIGITS.test(indexText)) continue;
    const index = Number(indexText);
    groups ??= new Map();
    let group = groups.get(index);
    if (group === undefined) {
      group = {};
      groups.set(index, group);
    }
    group[dot === -1 ? '' : key.slice(dot + 1)] = source[key];
  }
  if (groups === null) return [];
  return [...groups.entries()].sort((left, right) => left[0] - right[0]);
}

/** The groups of {@link indexedGroups}, without their indices. */
export function groupIndexed(source: LooseRecord, prefix: string): LooseRecord[] {
  return indexedGroups(source, prefix).map((entry) => entry[1]);
}

/** How a request parameter's value is read. */
export type ParameterKind = 'number' | 'integer' | 'strings';

/** A request parameter (temperature, max_tokens, stop…) read as `kind`, or `null` when unreadable. */
export function readParameter(raw: unknown, kind: ParameterKind): number | string[] | null {
  if (kind === 'strings') {
    const list = readStringList(raw);
    return list.length > 0 ? list : null;
  }
  return kind === 'integer' ? readInteger(raw) : readNumber(raw);
}
