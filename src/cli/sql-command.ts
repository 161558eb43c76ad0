import { DEFAULT_SERVER, collectorClient, openReadOnly, serverAnswers } from './collector-target.ts';
import { parseArgs } from 'node:util';
import { runReadOnlyQuery } from '../storage/index.ts';
import type { QueryResult } from '../storage/index.ts';
import { formatQueryResult } from './format-table.ts';
import type { OutputFormat } from './format-table.ts';


export const SQL_USAGE = `Usage: agl sql "<query>" [--db PATH | --server URL] [--format table|json|csv] [--max-rows N]

Runs one read-only SQL statement over the span tables (spans, rewards, llm_calls, ...).
  --server URL   ask a running collector (default: ${DEFAULT_SERVER} when it answers; env AGL_SERVER)
  --db PATH      open the DuckDB file read-only instead (it must not be held by a running collector)
  --token T      bearer token for a collector started with --token (env AGL_TOKEN)
  --format F     table (default), json or csv
  --max-rows N   at most N rows (default 10000)
  --sql-timeout S        with --db: cancel the query after S seconds (default 30)
  --sql-allow-files DIR  with --db: let the query read files in DIR (read_csv, read_parquet, glob...);
                 by default it reads no file outside the database (a collector has its own flag)`;

/** `agl sql`: returns the exit code. */
export async function sqlCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      format: { type: 'string', default: 'table' },
      'max-rows': { type: 'string', default: '10000' },
      'sql-timeout': { type: 'string', default: '30' },
      'sql-allow-files': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SQL_USAGE}\n`);
    return 0;
  }
  const query = positionals.join(' ').trim();
  if (!query) throw new UsageError('agl sql needs a query');
  const format = values.format as OutputFormat;
  if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv, got \`${format}\``);
  const maxRows = Number(values['max-rows']);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError(`--max-rows must be an integer ≥ 1, got \`${values['max-rows']}\``);
  if (values.db && values.server) throw new UsageError('Give either --db or --server, not both');
  const timeoutSeconds = Number(values['sql-timeout']);
  if (!(timeoutSeconds > 0 && Number.isFinite(timeoutSeconds))) {
    throw new UsageError(`--sql-timeout must be a positive number of seconds, got \`${values['sql-timeout']}\``);
  }
  const local: LocalQueryOptions = { maxRows, timeoutMillis: Math.round(timeoutSeconds * 1000), sqlAllowFiles: values['sql-allow-files'] ?? null };

  const token = values.token ?? process.env.AGL_TOKEN;
  let result: QueryResult;
  // An explicit --db beats AGL_SERVER from the environment.
  const server = values.server ?? (values.db ? undefined : process.env.AGL_SERVER);
  if (server) {
    result = await queryServer(server, query, maxRows, token);
  } else if (values.db) {
    result = await queryFile(values.db, query, local);
  } else if (await serverAnswers(DEFAULT_SERVER)) {
    result = await queryServer(DEFAULT_SERVER, query, maxRows, token);
  } else {
    result = await queryFile('./agl.duckdb', query, local);
  }
  process.stdout.write(formatQueryResult(result, format));
  return 0;
}

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

function queryServer(server: string, query: string, maxRows: number, token: string | undefined): Promise<QueryResult> {
  return collectorClient(server, token).sql(query, { maxRows });
}

interface LocalQueryOptions {
  maxRows: number;
  timeoutMillis: number;
  sqlAllowFiles: string | null;
}

async function queryFile(path: string, query: string, options: LocalQueryOptions): Promise<QueryResult> {
  const database = await openReadOnly(path, 'query it with --server URL instead', options.sqlAllowFiles);
  try {
    return await runReadOnlyQuery(database, query, {
      maxRows: options.maxRows,
      timeoutMillis: options.timeoutMillis,
      timeoutName: 'agl sql --sql-timeout',
      // The process is the query's own: its memory is bounded by the answer's bytes and the time.
      maxMemoryGrowthBytes: null,
    });
  } finally {
    await database.close();
  }
}
