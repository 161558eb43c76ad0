import type { DuckDBValue, Json } from '@duckdb/node-api';
import { InvalidRequestError } from '../../src/errors/index.ts';
import type { Database } from '../../src/storage/index.ts';

/**
 * What the dashboard's read routes share: running a parameterised query on a connection of its
 * own, and reading bounded, keyset-paginated query strings. User input only ever reaches SQL as a
 * bound parameter (`$1`, `$2`…), never in the statement text.
 */

/** A row as a JSON object; the columns named in `jsonColumns` are parsed. */
export type Row = Record<string, Json>;

/** A query is interrupted after this long: every dashboard query is meant to take milliseconds. */
const QUERY_TIMEOUT_MILLIS = 10_000;

/** Runs one parameterised read and returns its rows as JSON objects. */
export async function queryObjects(
  database: Database,
  sql: string,
  values: DuckDBValue[] = [],
  jsonColumns: readonly string[] = [],
): Promise<Row[]> {
  const connection = await database.connectForReading();
  const timer = setTimeout(() => connection.interrupt(), QUERY_TIMEOUT_MILLIS);
  try {
    const reader = await connection.runAndReadAll(sql, values);
    const rows = reader.getRowObjectsJson();
    for (const row of rows) {
      for (const column of jsonColumns) {
        const text = row[column];
        if (typeof text === 'string') row[column] = JSON.parse(text) as Json;
      }
    }
    return rows;
  } finally {
    clearTimeout(timer);
    database.release(connection);
  }
}

/** A page of a keyset-paginated list: pass `next_cursor` back as `cursor` for the next one (null: no more). */
export interface KeysetPage<T> {
  items: T[];
  limit: number;
  next_cursor: string | null;
}

/**
 * The query string of a list route, checked: unknown parameters, repeated ones and bad values are
 * 400s that name the parameter.
 */
export class QueryParams {
  readonly #params: URLSearchParams;

  constructor(url: URL, allowed: readonly string[]) {
    this.#params = url.searchParams;
    for (const name of new Set(this.#params.keys())) {
      if (!allowed.includes(name)) {
        throw new InvalidRequestError(`Unknown query parameter \`${name}\`; expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`);
      }
      if (this.#params.getAll(name).length > 1) throw new InvalidRequestError(`Query parameter \`${name}\` given more than once`);
    }
  }

  /** A string (trimmed; empty counts as absent), at most 200 characters. */
  string(name: string): string | null {
    const value = this.#params.get(name)?.trim() ?? '';
    if (value === '') return null;
    if (value.length > 200) throw new InvalidRequestError(`Expected \`${name}\` of at most 200 characters`);
    return value;
  }

  /** One of `choices`, or null when absent. */
  choice<T extends string>(name: string, choices: readonly T[]): T | null {
    const value = this.string(name);
    if (value === null) return null;
    if (!choices.includes(value as T)) {
      throw new InvalidRequestError(`Expected \`${name}\` to be one of ${choices.join(', ')}; got \`${value}\``);
    }
    return value as T;
  }

  /** `limit`: an integer from 1 to `max`, `fallback` when absent. */
  limit(fallback: number, max: number): number {
    const text = this.string('limit');
    if (text === null) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < 1 || value > max) {
      throw new InvalidRequestError(`Expected \`limit\` to be an integer from 1 to ${max}, got \`${text}\``);
    }
    return value;
  }

  /** A time as epoch seconds (a number) or ISO 8601; returned as epoch nanoseconds. */
  timeNanos(name: string): bigint | null {
    const text = this.string(name);
    if (text === null) return null;
    const millis = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
    if (!Number.isFinite(millis)) throw new InvalidRequestError(`Expected \`${name}\` as epoch seconds or ISO 8601, got \`${text}\``);
    return BigInt(Math.round(millis)) * 1_000_000n;
  }

  /** The decoded `cursor`: a JSON array whose items have the types of `shape` (`s` string, `n` number). */
  cursor(shape: string): (string | number)[] | null {
    const text = this.string('cursor');
    if (text === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      value = null;
    }
    const valid =
      Array.isArray(value) &&
      value.length === shape.length &&
      value.every((item, index) => (shape[index] === 's' ? typeof item === 'string' : Number.isFinite(item)));
    if (!valid) throw new InvalidRequestError('Invalid `cursor`: pass back a `next_cursor` from a previous page');
    return value as (string | number)[];
  }
}

/** The opaque cursor for the keys of the last item of a page. */
export function encodeCursor(keys: (string | number)[]): string {
  return Buffer.from(JSON.stringify(keys)).toString('base64url');
}

/**
 * Cuts a page from `rows` fetched with `LIMIT limit + 1`: the extra row says whether there is a
 * next page, whose cursor is built from the last item kept.
 */
export function keysetPage<T>(rows: T[], limit: number, keys: (row: T) => (string | number)[]): KeysetPage<T> {
  const items = rows.slice(0, limit);
  const next = rows.length > limit && items.length > 0 ? encodeCursor(keys(items[items.length - 1])) : null;
  return { items, limit, next_cursor: next };
}
