import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { migrate } from './migrations.ts';

/** Options of {@link Database.open}. */
export interface DatabaseOptions {
  /** The DuckDB file, or `:memory:`. */
  path: string;
  /**
   * Open the file read-only (no migrations run; fails if another process holds it for writing).
   * @default false
   */
  readOnly?: boolean;
}

/**
 * One DuckDB database: the file, the instance and the schema. The collector is its only writer;
 * every component that needs a connection asks this object for one.
 */
export class Database {
  readonly path: string;
  readonly readOnly: boolean;
  readonly #instance: DuckDBInstance;
  readonly #connections = new Set<DuckDBConnection>();
  readonly #readBarriers = new Set<() => Promise<void>>();
  #closed = false;

  private constructor(path: string, readOnly: boolean, instance: DuckDBInstance) {
    this.path = path;
    this.readOnly = readOnly;
    this.#instance = instance;
  }

  /** Opens (creating when writable and missing) the database and brings its schema up to date. */
  static async open(options: DatabaseOptions): Promise<Database> {
    const readOnly = options.readOnly ?? false;
    const config: Record<string, string> = {
      // Nothing may be downloaded here: json and parquet are built in, everything else is off.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // Checkpoints rewrite the last, partly filled row group; fewer, larger ones cost far less
      // (16 MB, DuckDB's default, made ingest 2x slower here). The WAL is durable either way.
      checkpoint_threshold: '256MB',
    };
    if (readOnly) config.access_mode = 'READ_ONLY';
    // The collector runs many small statements at once (appends, store writes) from Node's thread
    // pool. With DuckDB's own worker threads as well, each statement's thread spun waiting on the
    // task queue (a third of the collector's CPU in the store benchmark, under perf); one thread
    // per statement does the same work with ~10% less CPU. A read-only open (agl sql --db) keeps
    // every core for its one query.
    else config.threads = '1';
    const instance = await DuckDBInstance.create(options.path, config);
    const database = new Database(options.path, readOnly, instance);
    if (!readOnly) {
      const connection = await database.connect();
      try {
        await migrate(connection);
      } finally {
        database.release(connection);
      }
    }
    return database;
  }

  /** A new connection; give it back with {@link release} (or it is closed with the database). */
  async connect(): Promise<DuckDBConnection> {
    if (this.#closed) throw new Error(`Database ${this.path} is closed`);
    const connection = await this.#instance.connect();
    this.#connections.add(connection);
    return connection;
  }

  /**
   * A new connection for reading what the collector wrote: first waits for every read barrier, so
   * that the read sees each change committed before it started (the store writes its tables in
   * batches after journalling them; see `DuckDBLightningStore`). Give it back with {@link release}.
   */
  async connectForReading(): Promise<DuckDBConnection> {
    await Promise.all([...this.#readBarriers].map((barrier) => barrier()));
    return this.connect();
  }

  /**
   * Registers what {@link connectForReading} waits for before each read; returns its removal.
   */
  addReadBarrier(barrier: () => Promise<void>): () => void {
    this.#readBarriers.add(barrier);
    return () => this.#readBarriers.delete(barrier);
  }

  /** Closes a connection obtained from {@link connect}. */
  release(connection: DuckDBConnection): void {
    if (this.#connections.delete(connection)) connection.closeSync();
  }

  /** Checkpoints (when writable) and closes every connection and the instance. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.readOnly) {
      const connection = await this.connect();
      try {
        await connection.run('CHECKPOINT');
      } catch {
        // A failed checkpoint loses nothing: the WAL is replayed at the next open.
      }
    }
    this.#closed = true;
    for (const connection of this.#connections) connection.closeSync();
    this.#connections.clear();
    this.#instance.closeSync();
  }
}
