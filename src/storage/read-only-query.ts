import { DuckDBTypeId, JsonDuckDBValueConverter, StatementType } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBVector, Json } from '@duckdb/node-api';
import { AglError, ForbiddenError, InvalidRequestError, PayloadTooLargeError, QueryTimeoutError } from '../errors/index.ts';
import type { Database } from './database.ts';
import type { QueryGate } from './query-gate.ts';
import { ChunkSizer } from './result-size.ts';
import { checkReadOnlySql } from './sql-guard.ts';

/** The default of {@link ReadOnlyQueryOptions.maxBytes}: 16 MiB. */
export const DEFAULT_SQL_MAX_BYTES = 16 * 1024 * 1024;
/** The default of {@link ReadOnlyQueryOptions.maxMemoryGrowthBytes}: 512 MiB. */
export const DEFAULT_SQL_MAX_MEMORY_GROWTH_BYTES = 512 * 1024 * 1024;
/** The default of {@link ReadOnlyQueryOptions.timeoutMillis}: 30 s. */
export const DEFAULT_SQL_TIMEOUT_MILLIS = 30_000;

/** Options of {@link runReadOnlyQuery}. */
export interface ReadOnlyQueryOptions {
  /**
   * At most this many rows are returned; `truncated` says whether there were more.
   * @default 10000
   */
  maxRows?: number;
  /**
   * At most about this many bytes of JSON are returned: rows are measured in DuckDB's vectors
   * before they are converted, and the answer stops (`truncated`) before the row that would pass
   * the bound. A first row that alone passes it is a {@link PayloadTooLargeError} (413).
   * @default 16 MiB
   */
  maxBytes?: number;
  /**
   * The query (with its wait for a turn at `gate`) is cancelled after this long, with a
   * {@link QueryTimeoutError} (408).
   * @default 30000
   */
  timeoutMillis?: number;
  /**
   * The query is cancelled (413) when the process's resident memory grows by more than this while
   * it runs. DuckDB builds some values outside its buffer manager and `memory_limit` (a
   * `range(50000000)` list takes ~120 bytes an element), so only the process's own size catches
   * them; `null` turns the watch off (for the collector's own queries).
   * @default 512 MiB
   */
  maxMemoryGrowthBytes?: number | null;
  /** Where the query waits for its turn; none: it runs at once. */
  gate?: QueryGate;
  /**
   * Names the time limit in the timeout's message, e.g. `--sql-timeout`.
   * @default 'the SQL time limit'
   */
  timeoutName?: string;
}

/** A column of a {@link QueryResult}. */
export interface QueryColumn {
  name: string;
  /** DuckDB's name of the type, e.g. `VARCHAR`, `BIGINT`, `JSON`. */
  type: string;
}

/** The rows of a read-only query, as JSON values. */
export interface QueryResult {
  columns: QueryColumn[];
  /**
   * One array per row. JSON columns hold parsed JSON; integers within JavaScript's safe range
   * are numbers, larger ones strings; timestamps are strings as DuckDB writes them.
   */
  rows: Json[][];
  /** Whether rows were left out because of `maxRows` or `maxBytes`. */
  truncated: boolean;
}

// What a checked statement prepares as; anything else means the check missed something.
const ALLOWED = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);
const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/**
 * Runs one SQL statement that cannot change anything, bounded in time, rows and bytes.
 *
 * Three lines of defence: the statement must pass {@link checkReadOnlySql} (DuckDB's parser says
 * it is one SELECT, EXPLAIN of one, or a read-only PRAGMA, calling only allowed table functions)
 * before anything of it is prepared; it runs inside a `READ ONLY` transaction that is rolled back,
 * on a connection of its own; and the instance itself has external access off and its
 * configuration locked (see `Database`). Refusals are {@link ForbiddenError}s (403).
 */
export async function runReadOnlyQuery(database: Database, sql: string, options: ReadOnlyQueryOptions = {}): Promise<QueryResult> {
  const maxRows = options.maxRows ?? 10_000;
  const maxBytes = options.maxBytes ?? DEFAULT_SQL_MAX_BYTES;
  const timeoutMillis = options.timeoutMillis ?? DEFAULT_SQL_TIMEOUT_MILLIS;
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new InvalidRequestError(`Expected \`max_rows\` to be an integer ≥ 1, got \`${maxRows}\``);
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new InvalidRequestError(`Expected \`max_bytes\` to be an integer ≥ 1, got \`${maxBytes}\``);
  }
  if (!(timeoutMillis > 0)) throw new RangeError(`Expected \`timeoutMillis\` to be > 0, got \`${timeoutMillis}\``);
  if (sql.trim() === '') throw new InvalidRequestError('The query is empty');
  const timeoutName = options.timeoutName ?? 'the SQL time limit';
  const timedOut = () =>
    new QueryTimeoutError(`The query was cancelled after ${formatSeconds(timeoutMillis)} (${timeoutName})`, timeoutMillis);
  const maxGrowth = options.maxMemoryGrowthBytes === undefined ? DEFAULT_SQL_MAX_MEMORY_GROWTH_BYTES : options.maxMemoryGrowthBytes;
  const limits: Limits = { maxRows, maxBytes, maxGrowth, deadline: Date.now() + timeoutMillis, timedOut };
  if (!options.gate) return execute(database, sql, limits);
  const signal = AbortSignal.timeout(timeoutMillis);
  try {
    return await options.gate.run(() => execute(database, sql, limits), signal);
  } catch (error) {
    if (signal.aborted && error === signal.reason) throw timedOut();
    throw error;
  }
}

interface Limits {
  maxRows: number;
  maxBytes: number;
  maxGrowth: number | null;
  deadline: number;
  timedOut: () => QueryTimeoutError;
}

/** How often the process's memory is looked at while a query runs. */
const MEMORY_WATCH_MILLIS = 50;

async function execute(database: Database, sql: string, limits: Limits): Promise<QueryResult> {
  const { maxRows, maxBytes, maxGrowth } = limits;
  const connection = await database.connectForReading();
  let interrupted = false;
  let tooBig = false;
  // An interrupt reaches only the statement running at that moment: one that falls between two
  // statements (the check, BEGIN, the query) is lost, so it is repeated until the query ends.
  let repeat: ReturnType<typeof setInterval> | undefined;
  const timer = setTimeout(() => {
    interrupted = true;
    connection.interrupt();
    repeat = setInterval(() => connection.interrupt(), MEMORY_WATCH_MILLIS);
  }, Math.max(0, limits.deadline - Date.now()));
  const baseline = process.memoryUsage.rss();
  const watch =
    maxGrowth === null
      ? null
      : setInterval(() => {
          if (tooBig || process.memoryUsage.rss() - baseline > maxGrowth) {
            tooBig = true;
            connection.interrupt();
          }
        }, MEMORY_WATCH_MILLIS);
  let inTransaction = false;
  try {
    const text = await checkReadOnlySql(connection, sql, { allowFiles: database.sqlAllowFiles !== null });
    if (!database.readOnly) {
      await connection.run('BEGIN TRANSACTION READ ONLY');
      inTransaction = true;
    }
    if (interrupted || tooBig) throw new Error('Interrupted before the query started');
    return await readBounded(connection, text, maxRows, maxBytes);
  } catch (error) {
    if (interrupted) throw limits.timedOut();
    if (tooBig) {
      throw new PayloadTooLargeError(
        `The query was cancelled: it grew the collector's memory by more than ${Math.round((maxGrowth ?? 0) / 1048576)} MiB (a huge list or string?); select less`,
        { cause: error },
      );
    }
    if (error instanceof AglError) throw error;
    const message = (error as Error).message;
    // DuckDB's error types come only as the message's prefix.
    if (/^Permission Error/.test(message)) throw new ForbiddenError(`The query was refused: ${message}`, { cause: error });
    // DuckDB's advice that follows (SET memory_limit…) can't be taken here: settings are locked.
    const outOfMemory = /^Out of Memory Error: ([^\n]*)/.exec(message);
    if (outOfMemory) {
      throw new PayloadTooLargeError(
        `The query needs more memory than the database may use (${outOfMemory[1]}; agl serve --max-memory-mib gives DuckDB a third of it): select less`,
        { cause: error },
      );
    }
    throw new InvalidRequestError(`The query failed: ${message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    clearInterval(repeat);
    if (watch) clearInterval(watch);
    if (inTransaction) await connection.run('ROLLBACK').catch(() => undefined);
    database.release(connection);
  }
}

/** Runs a checked statement and converts its rows, chunk by chunk, until a bound is reached. */
async function readBounded(connection: DuckDBConnection, text: string, maxRows: number, maxBytes: number): Promise<QueryResult> {
  const prepared = await connection.prepare(text);
  if (!ALLOWED.has(prepared.statementType)) {
    throw new ForbiddenError(`Only read-only statements are allowed; got ${StatementType[prepared.statementType]}`);
  }
  const result = await prepared.stream();
  const types = result.columnTypes();
  const columns = result.columnNames().map((name, index) => ({ name, type: types[index].alias ?? types[index].toString() }));
  const rows: Json[][] = [];
  let bytes = 2;
  let truncated = false;
  reading: for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const sizer = new ChunkSizer(chunk);
    const vectors: DuckDBVector[] = [];
    for (let row = 0; row < chunk.rowCount; row++) {
      if (rows.length >= maxRows) {
        truncated = true;
        break reading;
      }
      const size = sizer.rowBytes(row, maxBytes - bytes);
      if (bytes + size > maxBytes) {
        if (rows.length === 0) {
          throw new PayloadTooLargeError(
            `The first row of the answer alone is larger than max_bytes (${maxBytes} bytes); select less of it (e.g. substr(), list_slice(), a LIMIT) or raise max_bytes`,
          );
        }
        truncated = true;
        break reading;
      }
      bytes += size + 1;
      if (vectors.length === 0) for (let index = 0; index < chunk.columnCount; index++) vectors.push(chunk.getColumnVector(index));
      rows.push(
        vectors.map((vector, index) => {
          const value = vector.getItem(row);
          return value === null ? null : JsonDuckDBValueConverter(value, types[index], JsonDuckDBValueConverter);
        }),
      );
    }
  }
  types.forEach((type, index) => {
    if (type.alias === 'JSON') {
      for (const row of rows) {
        const value = row[index];
        if (typeof value === 'string') row[index] = parseJsonOrKeep(value);
      }
    } else if (INTEGER_TYPES.has(type.typeId)) {
      for (const row of rows) {
        const value = row[index];
        if (typeof value === 'string' && Number.isSafeInteger(Number(value))) row[index] = Number(value);
      }
    }
  });
  return { columns, rows, truncated };
}

function formatSeconds(millis: number): string {
  return millis % 1000 === 0 ? `${millis / 1000} s` : `${(millis / 1000).toFixed(3).replace(/0+$/, '')} s`;
}

function parseJsonOrKeep(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
