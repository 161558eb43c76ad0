import type { DuckDBConnection } from '@duckdb/node-api';
import { ForbiddenError, InvalidRequestError } from '../errors/index.ts';

/** Options of {@link checkReadOnlySql}. */
export interface SqlGuardOptions {
  /**
   * Whether the file-reading table functions (`read_csv`, `read_parquet`, `read_json`, `read_text`,
   * `glob`…) may appear. DuckDB itself still limits them to its `allowed_directories` (see
   * `DatabaseOptions.sqlAllowFiles`).
   * @default false
   */
  allowFiles?: boolean;
}

/**
 * The table functions user SQL may call: generators, JSON walkers and the catalog's read-only
 * views. Everything else — `query()`, `query_table()`, `checkpoint()`, `force_checkpoint()`,
 * `enable_profiling()`, `read_*` without {@link SqlGuardOptions.allowFiles}… — is refused.
 */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range',
  'generate_series',
  'unnest',
  'repeat',
  'repeat_row',
  'json_each',
  'json_tree',
  'duckdb_columns',
  'duckdb_constraints',
  'duckdb_databases',
  'duckdb_dependencies',
  'duckdb_functions',
  'duckdb_indexes',
  'duckdb_keywords',
  'duckdb_schemas',
  'duckdb_sequences',
  'duckdb_settings',
  'duckdb_tables',
  'duckdb_types',
  'duckdb_views',
  'duckdb_memory',
  'duckdb_temporary_files',
  'duckdb_optimizers',
  'pragma_table_info',
  'pragma_show',
  'pragma_database_size',
  'pragma_storage_info',
  'pragma_metadata_info',
  'pragma_version',
  'pragma_platform',
  'pragma_collations',
  'pragma_user_agent',
  'pg_timezone_names',
  'icu_calendar_names',
  'test_all_types',
]);

/** The table functions that read files: allowed only with {@link SqlGuardOptions.allowFiles}. */
export const FILE_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'read_csv',
  'read_csv_auto',
  'sniff_csv',
  'read_json',
  'read_json_auto',
  'read_json_objects',
  'read_json_objects_auto',
  'read_ndjson',
  'read_ndjson_auto',
  'read_ndjson_objects',
  'read_parquet',
  'parquet_scan',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'parquet_kv_metadata',
  'read_text',
  'read_blob',
  'glob',
]);

/**
 * Scalar functions with an effect beyond their result: sequences, the session's random seed, the
 * log, and planning another statement.
 */
const REFUSED_FUNCTIONS: ReadonlySet<string> = new Set([
  'nextval',
  'currval',
  'setseed',
  'write_log',
  'json_serialize_plan',
  'json_execute_serialized_sql',
]);

/** The PRAGMAs that are plain reads, run as `SELECT * FROM pragma_<name>(…)`. */
const READ_PRAGMAS: ReadonlySet<string> = new Set(
  [...ALLOWED_TABLE_FUNCTIONS].filter((name) => name.startsWith('pragma_')).map((name) => name.slice('pragma_'.length)),
);

/**
 * Checks that `sql` is one statement that can only read, and returns the text to run (the same
 * statement, or a `PRAGMA` spelled as the `SELECT` it stands for).
 *
 * Nothing of `sql` is prepared or planned before it passes, because preparing can already act
 * (`EXPORT DATABASE` creates its directory while binding). The check is DuckDB's own parser:
 * `json_serialize_sql()` serialises SELECT statements only (WITH, SHOW, DESCRIBE and SUMMARIZE
 * among them), and its tree names every table function and function call, at any depth (CTEs,
 * subqueries, lateral joins). Allowed: such a SELECT whose table functions are all on
 * {@link ALLOWED_TABLE_FUNCTIONS} (and {@link FILE_TABLE_FUNCTIONS} with `allowFiles`) and which
 * calls none of the functions that have effects; `EXPLAIN [ANALYZE]` of an allowed SELECT; and
 * `PRAGMA name[(args)]` for the read-only pragmas. Everything else is a {@link ForbiddenError}.
 *
 * @param connection a connection used only to parse (nothing of `sql` runs on it)
 */
export async function checkReadOnlySql(connection: DuckDBConnection, sql: string, options: SqlGuardOptions = {}): Promise<string> {
  let count: number;
  try {
    count = (await connection.extractStatements(sql)).count;
  } catch (error) {
    throw new InvalidRequestError(`The query does not parse: ${(error as Error).message}`, { cause: error });
  }
  if (count !== 1) throw new InvalidRequestError(`Expected exactly one SQL statement, got ${count}`);

  const start = skipSpaceAndComments(sql, 0);
  const first = /^[A-Za-z_]+/.exec(sql.slice(start))?.[0].toUpperCase() ?? '';
  if (first === 'EXPLAIN') {
    let rest = skipSpaceAndComments(sql, start + first.length);
    const second = /^[A-Za-z_]+/.exec(sql.slice(rest))?.[0].toUpperCase() ?? '';
    const analyze = second === 'ANALYZE' || second === 'ANALYSE';
    if (analyze) rest = skipSpaceAndComments(sql, rest + second.length);
    const inner = sql.slice(rest);
    await checkSelect(connection, inner, options, `EXPLAIN${analyze ? ' ANALYZE' : ''}`);
    // Run exactly the EXPLAIN of the statement that was checked.
    return `EXPLAIN ${analyze ? 'ANALYZE ' : ''}${inner}`;
  }
  if (first === 'PRAGMA') {
    const match = /^PRAGMA\s+([A-Za-z_]+)\s*(\(([\s\S]*)\))?\s*;?\s*$/i.exec(sql.slice(start));
    const name = match?.[1].toLowerCase();
    if (!match || !name || !READ_PRAGMAS.has(name)) {
      throw new ForbiddenError(
        `Only the read-only PRAGMAs (${[...READ_PRAGMAS].join(', ')}) are allowed; use SHOW TABLES or DESCRIBE for the others`,
      );
    }
    const select = `SELECT * FROM pragma_${name}(${match[3] ?? ''})`;
    await checkSelect(connection, select, options, 'PRAGMA');
    return select;
  }
  await checkSelect(connection, sql, options, first || 'this statement');
  return sql;
}

/** Throws unless `sql` serialises as one SELECT that calls only allowed functions. */
async function checkSelect(connection: DuckDBConnection, sql: string, options: SqlGuardOptions, shown: string): Promise<void> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const tree = JSON.parse(String(reader.getRows()[0][0])) as { error: boolean; error_message?: string; statements?: unknown[] };
  if (tree.error) {
    throw new ForbiddenError(
      `Only read-only statements (SELECT, WITH, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN [ANALYZE] of a SELECT, PRAGMA ${[...READ_PRAGMAS].join('/')}) are allowed; got ${shown}`,
    );
  }
  if (tree.statements?.length !== 1) throw new InvalidRequestError(`Expected exactly one SQL statement, got ${tree.statements?.length ?? 0}`);
  const refused = new Set<string>();
  walk(tree.statements[0], (node) => {
    if (node.type === 'TABLE_FUNCTION' && isObject(node.function)) {
      const name = functionName(node.function);
      if (!ALLOWED_TABLE_FUNCTIONS.has(name) && !(options.allowFiles && FILE_TABLE_FUNCTIONS.has(name))) {
        refused.add(FILE_TABLE_FUNCTIONS.has(name) ? `${name}() (reading files is off; see --sql-allow-files)` : `${name}()`);
      }
    } else if (typeof node.function_name === 'string' && REFUSED_FUNCTIONS.has(functionName(node))) {
      refused.add(`${functionName(node)}()`);
    }
  });
  if (refused.size > 0) throw new ForbiddenError(`The query calls functions that are not allowed here: ${[...refused].join(', ')}`);
}

type JsonNode = Record<string, unknown>;

function isObject(value: unknown): value is JsonNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function functionName(node: JsonNode): string {
  return String(node.function_name ?? '').toLowerCase();
}

/** Calls `visit` on every object of the tree, depth first (iteratively: a query can nest deeply). */
function walk(root: unknown, visit: (node: JsonNode) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (isObject(value)) {
      visit(value);
      for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}

/** The index of the first character at or after `index` that is neither white space nor in a comment. */
function skipSpaceAndComments(sql: string, index: number): number {
  let at = index;
  for (;;) {
    while (at < sql.length && /\s/.test(sql[at])) at++;
    if (sql.startsWith('--', at)) {
      const end = sql.indexOf('\n', at);
      at = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', at)) {
      const end = sql.indexOf('*/', at + 2);
      at = end === -1 ? sql.length : end + 2;
    } else {
      return at;
    }
  }
}
