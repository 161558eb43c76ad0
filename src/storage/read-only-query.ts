import { DuckDBTypeId, StatementType } from '@duckdb/node-api';
import type { Json } from '@duckdb/node-api';
import { ForbiddenError, InvalidRequestError } from '../errors/index.ts';
import type { Database } from './database.ts';

/** Options of {@link runReadOnlyQuery}. */
export interface ReadOnlyQueryOptions {
  /**
   * At most this many rows are returned; `truncated` says whether there were more.
   * @default 10000
   */
  maxRows?: number;
  /**
   * The query is interrupted after this long.
   * @default 30000
   */
  timeoutMillis?: number;
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
  /** Whether rows were left out because of `maxRows`. */
  truncated: boolean;
}

// SELECT covers PRAGMA, SHOW, DESCRIBE and SUMMARIZE, which DuckDB plans as selects.
const ALLOWED = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);
const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/**
 * Runs one SQL statement that cannot change anything: only SELECT-like statements are taken, and
 * they run inside a `READ ONLY` transaction that is rolled back, on a connection of their own.
 * Writes, ATTACH, LOAD, COPY, SET and CALL are refused with a {@link ForbiddenError}.
 */
export async function runReadOnlyQuery(
  database: Database,
  sql: string,
  options: ReadOnlyQueryOptions = {},
): Promise<QueryResult> {
  const maxRows = options.maxRows ?? 10_000;
  const timeoutMillis = options.timeoutMillis ?? 30_000;
  if (!Number.isInteger(maxRows) || maxRows < 1) {
    throw new InvalidRequestError(`Expected \`max_rows\` to be an integer ≥ 1, got \`${maxRows}\``);
  }
  if (sql.trim() === '') throw new InvalidRequestError('The query is empty');
  const connection = await database.connectForReading();
  const timer = setTimeout(() => connection.interrupt(), timeoutMillis);
  try {
    let statements;
    try {
      statements = await connection.extractStatements(sql);
    } catch (error) {
      throw new InvalidRequestError(`The query does not parse: ${(error as Error).message}`, { cause: error });
    }
    if (statements.count !== 1) {
      throw new InvalidRequestError(`Expected exactly one SQL statement, got ${statements.count}`);
    }
    if (!database.readOnly) await connection.run('BEGIN TRANSACTION READ ONLY');
    let prepared;
    try {
      prepared = await statements.prepare(0);
    } catch (error) {
      throw new InvalidRequestError(`The query is invalid: ${(error as Error).message}`, { cause: error });
    }
    if (!ALLOWED.has(prepared.statementType)) {
      throw new ForbiddenError(
        `Only read-only statements (SELECT, WITH, PRAGMA, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN) are allowed; got ${StatementType[prepared.statementType]}`,
      );
    }
    let reader;
    try {
      reader = await prepared.streamAndReadUntil(maxRows + 1);
    } catch (error) {
      throw new InvalidRequestError(`The query failed: ${(error as Error).message}`, { cause: error });
    }
    const types = reader.columnTypes();
    const columns = reader.columnNames().map((name, index) => ({
      name,
      type: types[index].alias ?? types[index].toString(),
    }));
    const all = reader.getRowsJson();
    const truncated = all.length > maxRows;
    const rows = truncated ? all.slice(0, maxRows) : all;
    types.forEach((type, index) => {
      if (type.alias === 'JSON') {
        for (const row of rows) if (typeof row[index] === 'string') row[index] = parseJsonOrKeep(row[index]);
      } else if (INTEGER_TYPES.has(type.typeId)) {
        for (const row of rows) {
          const value = row[index];
          if (typeof value === 'string' && Number.isSafeInteger(Number(value))) row[index] = Number(value);
        }
      }
    });
    return { columns, rows, truncated };
  } finally {
    clearTimeout(timer);
    if (!database.readOnly) await connection.run('ROLLBACK').catch(() => undefined);
    database.release(connection);
  }
}

function parseJsonOrKeep(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
