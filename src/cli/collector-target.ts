import { Database } from '../storage/index.ts';
import { StoreClient } from '../store/index.ts';

/** The collector `agl sql` and `agl export` ask when neither `--server` nor `--db` is given. */
export const DEFAULT_SERVER = 'http://127.0.0.1:4318';

/** Whether a collector answers its health check at `server` within half a second. */
export async function serverAnswers(server: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/v1/agl/health', server), { signal: AbortSignal.timeout(500) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The client `agl sql` and `agl export` ask a collector with. No time limit of its own: the
 * collector bounds each query (`agl serve --sql-timeout`), and an export takes as long as it takes.
 */
export function collectorClient(server: string, token: string | undefined): StoreClient {
  return new StoreClient({ baseUrl: new URL(server).origin, token, timeoutMillis: 2 ** 31 - 1 });
}

/**
 * Opens a DuckDB file read-only for a command that could also go through a server; `instead`
 * says what to do when a running collector holds the file (e.g. `query it with --server URL`).
 * `sqlAllowFiles`: see `DatabaseOptions.sqlAllowFiles`.
 */
export async function openReadOnly(path: string, instead: string, sqlAllowFiles: string | null = null): Promise<Database> {
  let database: Database;
  try {
    database = await Database.open({ path, readOnly: true, sqlAllowFiles });
  } catch (error) {
    const message = (error as Error).message;
    // DuckDB gives no code for a file locked by another process; its message names the lock.
    if (/lock/i.test(message)) throw new Error(`${path} is held by a running collector: ${instead}`);
    throw new Error(`Cannot open ${path} read-only: ${message}`);
  }
  const journalled = await journalledChanges(database);
  if (journalled > 0) {
    process.stderr.write(
      `warning: ${path} holds ${journalled} store change(s) in store_journal that are not yet in the store's tables ` +
        `(rollouts, attempts, workers, resources): the collector that wrote it stopped uncleanly. ` +
        `\`agl serve --db ${path}\` writes them in when it starts.\n`,
    );
  }
  return database;
}

/** Rows left in `store_journal` (0 for a file from before the journal). */
async function journalledChanges(database: Database): Promise<number> {
  const connection = await database.connect();
  try {
    const exists = await connection.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'store_journal'");
    if (Number(exists.getRows()[0][0]) === 0) return 0;
    return Number((await connection.runAndReadAll('SELECT count(*) FROM store_journal')).getRows()[0][0]);
  } finally {
    database.release(connection);
  }
}
