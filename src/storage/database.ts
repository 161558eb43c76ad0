import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { migrate } from './migrate.ts';
import { migrateOwnedTables } from './owned-tables.ts';

/** Options of {@link Database.open}. */
export interface DatabaseOptions {
  /** The DuckDB file, or `:memory:`. */
  path: string;
  /**
   * Open the file read-only (no migrations run; fails if another process holds it for writing).
   * @default false
   */
  readOnly?: boolean;
  /**
   * A directory whose files SQL on this database may read (`read_csv`, `read_parquet`, `glob`…,
   * see `runReadOnlyQuery`); `null`: no file outside the database can be read. Statements still
   * can't write there: user SQL is read-only whatever this says.
   * @default null
   */
  sqlAllowFiles?: string | null;
  /**
   * DuckDB's `memory_limit`: beyond it DuckDB writes what it can to a temporary directory next to
   * the file (`<file>.tmp`, removed on close): data appended but not yet checkpointed, and the
   * working memory of queries that can spill. `null`: DuckDB's default (80 % of the machine's RAM).
   * @default null
   */
  memoryLimitBytes?: number | null;
}

/**
 * One DuckDB database: the file, the instance and the schema. The collector is its only writer;
 * every component that needs a connection asks this object for one.
 *
 * Once open (and migrated), the instance is locked down for every connection, whatever SQL runs
 * on it: `enable_external_access = false` (no file outside the database's own file, WAL and
 * temporary spill files, no ATTACH of a file, no extension install or load), with
 * `allowed_directories` only {@link sqlAllowFiles} and {@link scratchDirectory}; then
 * `lock_configuration = true`, so that no statement can change a setting again.
 */
export class Database {
  readonly path: string;
  readonly readOnly: boolean;
  /** The directory whose files SQL may read (absolute), or `null`. */
  readonly sqlAllowFiles: string | null;
  /**
   * The one directory (created on first use, removed at {@link close}) where the database may
   * write files: exports COPY into it before the file is moved to where it is wanted.
   */
  readonly scratchDirectory: string;
  readonly #instance: DuckDBInstance;
  readonly #connections = new Set<DuckDBConnection>();
  readonly #readBarriers = new Set<() => Promise<void>>();
  #closed = false;

  private constructor(path: string, readOnly: boolean, instance: DuckDBInstance, sqlAllowFiles: string | null) {
    this.path = path;
    this.readOnly = readOnly;
    this.#instance = instance;
    this.sqlAllowFiles = sqlAllowFiles;
    this.scratchDirectory = join(tmpdir(), `agl-duckdb-${randomUUID()}`);
  }

  /** Opens (creating when writable and missing) the database and brings its schema up to date. */
  static async open(options: DatabaseOptions): Promise<Database> {
    const readOnly = options.readOnly ?? false;
    const sqlAllowFiles = options.sqlAllowFiles ? resolve(options.sqlAllowFiles) : null;
    const memoryLimitBytes = options.memoryLimitBytes ?? null;
    if (memoryLimitBytes !== null && !(Number.isFinite(memoryLimitBytes) && memoryLimitBytes >= 1024 * 1024)) {
      throw new RangeError(`Expected \`memoryLimitBytes\` to be a number ≥ 1 MiB or null, got \`${options.memoryLimitBytes}\``);
    }
    if (sqlAllowFiles !== null && !isDirectory(sqlAllowFiles)) {
      throw new RangeError(`Expected \`sqlAllowFiles\` to be an existing directory, got \`${options.sqlAllowFiles}\``);
    }
    const config: Record<string, string> = {
      // Nothing may be downloaded here: json and parquet are built in, everything else is off.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // Checkpoints rewrite the last, partly filled row group; fewer, larger ones cost far less
      // (16 MB, DuckDB's default, made ingest 2x slower here). The WAL is durable either way.
      checkpoint_threshold: '256MB',
      // DuckDB's allocator keeps freed memory in caches that only its own threads purge; with one
      // thread per statement (below) nothing purged them, and a collector that had ingested at
      // full speed kept hundreds of MiB it no longer used. A background thread returns them.
      allocator_background_threads: 'true',
    };
    if (memoryLimitBytes !== null) config.memory_limit = `${Math.floor(memoryLimitBytes / 1024)}KiB`;
    if (readOnly) config.access_mode = 'READ_ONLY';
    // The collector runs many small statements at once (appends, store writes) from Node's thread
    // pool. With DuckDB's own worker threads as well, each statement's thread spun waiting on the
    // task queue (a third of the collector's CPU in the store benchmark, under perf); one thread
    // per statement does the same work with ~10% less CPU. A read-only open (agl sql --db) keeps
    // every core for its one query.
    else config.threads = '1';
    const instance = await DuckDBInstance.create(options.path, config);
    const database = new Database(options.path, readOnly, instance, sqlAllowFiles);
    const connection = await database.connect();
    try {
      // A new schema goes into the file at once rather than waiting in the WAL for a replay.
      if (!readOnly) {
        const applied = [...(await migrate(connection)), ...(await migrateOwnedTables(connection))];
        if (applied.length > 0) await connection.run('CHECKPOINT');
      }
      // Global settings, set once on the instance before anything else runs. (allowed_directories
      // can't be given in the instance's config through the C API, hence SET GLOBAL.)
      const directories = [database.scratchDirectory, ...(sqlAllowFiles === null ? [] : [sqlAllowFiles])];
      const list = directories.map((directory) => `'${withTrailingSeparator(directory).replaceAll("'", "''")}'`).join(', ');
      await connection.run(`SET GLOBAL allowed_directories = [${list}]`);
      // The expression rewriter folds constant expressions while planning, outside every limit and
      // beyond interrupt's reach: `SELECT range(50000000)` took 43 s and 4.5 GB before the first
      // row could be refused (range(10000000): 9.6 s, 1.2 GB; without it 0.2 s, 0.3 GB). Off, it
      // left the dashboard's queries as fast as before (bench:dashboard, 1,000,000 spans).
      await connection.run("SET GLOBAL disabled_optimizers = 'expression_rewriter'");
      await connection.run('SET GLOBAL enable_external_access = false');
      await connection.run('SET GLOBAL lock_configuration = true');
    } catch (error) {
      database.release(connection);
      instance.closeSync();
      throw error;
    }
    database.release(connection);
    return database;
  }

  /** Creates {@link scratchDirectory} if needed and returns it. */
  async ensureScratchDirectory(): Promise<string> {
    await mkdir(this.scratchDirectory, { recursive: true, mode: 0o700 });
    return this.scratchDirectory;
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
    await rm(this.scratchDirectory, { recursive: true, force: true });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function withTrailingSeparator(directory: string): string {
  return directory.endsWith(sep) ? directory : directory + sep;
}
