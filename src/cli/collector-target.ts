import { Database } from '../storage/index.ts';

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
 * Opens a DuckDB file read-only for a command that could also go through a server; `instead`
 * says what to do when a running collector holds the file (e.g. `query it with --server URL`).
 */
export async function openReadOnly(path: string, instead: string): Promise<Database> {
  try {
    return await Database.open({ path, readOnly: true });
  } catch (error) {
    const message = (error as Error).message;
    // DuckDB gives no code for a file locked by another process; its message names the lock.
    if (/lock/i.test(message)) throw new Error(`${path} is held by a running collector: ${instead}`);
    throw new Error(`Cannot open ${path} read-only: ${message}`);
  }
}
