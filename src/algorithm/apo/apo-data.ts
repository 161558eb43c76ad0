import type { Json } from '@duckdb/node-api';
import { runReadOnlyQuery } from '../../storage/index.ts';
import type { Database, QueryResult } from '../../storage/index.ts';
import type { AlgorithmStore } from '../algorithm.ts';
import type { ApoRoundRecord } from './apo-round-record.ts';
import { ApoRoundsTable } from './apo-rounds-table.ts';

/**
 * What APO needs besides the store API: read-only SQL over the collector's tables and a writer of
 * `apo_rounds`. In the collector's process that is the `Database` itself; elsewhere the
 * collector's `POST /v1/agl/sql` and `POST /v1/agl/apo/rounds`.
 */
export interface ApoData {
  /** Rows of one read-only statement as objects keyed by column name. */
  query(sql: string): Promise<Record<string, Json>[]>;
  recordRound(round: ApoRoundRecord): Promise<void>;
}

const databases = new WeakMap<object, Database>();

/**
 * Tells APO which database a store object (the collector's `DuckDBLightningStore`) lives on, so
 * that an APO given that store reads and writes the database directly. The collector does this
 * when it registers the `apo_rounds` route.
 */
export function attachApoDatabase(store: object, database: Database): void {
  databases.set(store, database);
}

/** The database attached to `store` with {@link attachApoDatabase}, if any. */
export function attachedApoDatabase(store: object): Database | undefined {
  return databases.get(store);
}

/** {@link ApoData} on a database of this process. */
export class LocalApoData implements ApoData {
  readonly #database: Database;
  readonly #rounds: ApoRoundsTable;

  constructor(database: Database) {
    this.#database = database;
    this.#rounds = new ApoRoundsTable(database);
  }

  async query(sql: string): Promise<Record<string, Json>[]> {
    // The trainer's own queries: larger answers, and no watch on the process's memory (a training
    // in the collector's process grows it for its own reasons).
    return rowsOf(await runReadOnlyQuery(this.#database, sql, { maxRows: 1_000_000, maxBytes: 256 * 1024 * 1024, maxMemoryGrowthBytes: null }));
  }

  recordRound(round: ApoRoundRecord): Promise<void> {
    return this.#rounds.record(round);
  }
}

/** Options of {@link RemoteApoData}. */
export interface RemoteApoDataOptions {
  /** The collector, e.g. `http://127.0.0.1:4318`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. @default `AGL_TOKEN` when set */
  token?: string;
  /** Each call's time limit. @default 60000 */
  timeoutMillis?: number;
}

/** {@link ApoData} over a collector's HTTP API. */
export class RemoteApoData implements ApoData {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #timeoutMillis: number;

  constructor(options: RemoteApoDataOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token ?? process.env.AGL_TOKEN;
    this.#timeoutMillis = options.timeoutMillis ?? 60_000;
  }

  async query(sql: string): Promise<Record<string, Json>[]> {
    return rowsOf((await this.#post('/v1/agl/sql', { query: sql, max_rows: 1_000_000, max_bytes: 64 * 1024 * 1024 })) as QueryResult);
  }

  async recordRound(round: ApoRoundRecord): Promise<void> {
    await this.#post('/v1/agl/apo/rounds', round);
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const response = await fetch(this.#baseUrl + path, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.#timeoutMillis),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return text === '' ? null : JSON.parse(text);
  }
}

/**
 * The {@link ApoData} for a store: the attached database of an in-process collector's store, else
 * the HTTP API of a `StoreClient`'s collector (`baseUrl`, with the client's token unless `token`
 * is given).
 */
export function apoDataForStore(store: AlgorithmStore, token?: string): ApoData {
  const database = attachedApoDatabase(store);
  if (database) return new LocalApoData(database);
  const { baseUrl, token: clientToken } = store as { baseUrl?: unknown; token?: unknown };
  if (typeof baseUrl === 'string') {
    return new RemoteApoData({ baseUrl, token: token ?? (typeof clientToken === 'string' ? clientToken : undefined) });
  }
  throw new TypeError(
    'APO needs SQL access to the store: give it a collector\'s store (in process), a StoreClient, or the `data` option (a LocalApoData or RemoteApoData)',
  );
}

/** SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function rowsOf(result: QueryResult): Record<string, Json>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
}
