import type { Json } from '@duckdb/node-api';
import { runReadOnlyQuery } from '../../storage/index.ts';
import type { Database, QueryResult } from '../../storage/index.ts';
import { DuckDBLightningStore, StoreClient } from '../../store/index.ts';
import type { AlgorithmData, AlgorithmStore } from '../algorithm.ts';
import type { ApoRoundRecord } from './apo-round-record.ts';
import { ApoRoundsTable } from './apo-rounds-table.ts';

/** What APO needs besides the store API: see {@link AlgorithmData}. */
export type ApoData = AlgorithmData;

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
  /** The client of the collector. @default one for `baseUrl` and `token` */
  client?: StoreClient;
  /** The collector, e.g. `http://127.0.0.1:4318` (when no `client` is given). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>` (when no `client` is given). @default `AGL_TOKEN` when set */
  token?: string;
  /** Each call's time limit. @default 60000 */
  timeoutMillis?: number;
}

/** {@link ApoData} over a collector's HTTP API: `StoreClient.sql` and `StoreClient.recordApoRound`. */
export class RemoteApoData implements ApoData {
  readonly #client: StoreClient;
  readonly #timeoutMillis: number;

  constructor(options: RemoteApoDataOptions) {
    if (options.client === undefined && typeof options.baseUrl !== 'string') {
      throw new TypeError('Expected `client` (a StoreClient) or `baseUrl` (the collector\'s URL)');
    }
    this.#client = options.client ?? new StoreClient({ baseUrl: options.baseUrl, token: options.token });
    this.#timeoutMillis = options.timeoutMillis ?? 60_000;
  }

  async query(sql: string): Promise<Record<string, Json>[]> {
    const rows = await this.#client.sqlRows(sql, { maxRows: 1_000_000, maxBytes: 64 * 1024 * 1024, waitWhileBusy: true }, { timeoutMillis: this.#timeoutMillis });
    return rows as Record<string, Json>[];
  }

  recordRound(round: ApoRoundRecord): Promise<void> {
    return this.#client.recordApoRound(round, { timeoutMillis: this.#timeoutMillis });
  }
}

/**
 * The {@link ApoData} of a store: the database of a collector's store in this process, else the
 * HTTP API of a `StoreClient`'s collector (with the client's token unless `token` is given).
 */
export function apoDataForStore(store: AlgorithmStore, token?: string): ApoData {
  if (store instanceof DuckDBLightningStore) return new LocalApoData(store.database);
  if (store instanceof StoreClient) {
    return new RemoteApoData(token === undefined ? { client: store } : { baseUrl: store.baseUrl, token });
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
