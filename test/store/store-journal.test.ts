import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { DuckDBLightningStore, StoreClient } from '../../src/store/index.ts';
import type { DuckDBLightningStoreOptions } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
/** Thresholds no test reaches: the tables are written only when something asks. */
const NEVER: DuckDBLightningStoreOptions = { watchdogIntervalMillis: 0, syncRows: 1_000_000, syncAfterMillis: 1_000_000 };

/** Counts on a plain connection: no read barrier, so what the tables hold right now. */
async function rawCounts(database: Database): Promise<{ rollouts: number; attempts: number; workers: number; resources: number; journal: number }> {
  const connection = await database.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM rollouts), (SELECT count(*) FROM attempts), (SELECT count(*) FROM workers),
              (SELECT count(*) FROM resources), (SELECT count(*) FROM store_journal)`,
    );
    const [rollouts, attempts, workers, resources, journal] = reader.getRows()[0].map(Number);
    return { rollouts, attempts, workers, resources, journal };
  } finally {
    database.release(connection);
  }
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMillis = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('store journal', () => {
  it('commits each change to the journal; a SQL read first writes the tables, then sees every committed change', async () => {
    const database = await Database.open({ path: join(tempDir(), 'journal.duckdb') });
    const store = await DuckDBLightningStore.open(database, NEVER);
    try {
      const queued = await store.enqueueRollouts([{ input: 'a' }, { input: 'b' }, { input: 'c' }]);
      const [taken] = await store.dequeueRollouts({ workerId: 'w-1' });
      await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'succeeded' });

      const before = await rawCounts(database);
      assert.deepEqual({ ...before, journal: before.journal > 0 }, { rollouts: 0, attempts: 0, workers: 0, resources: 0, journal: true });

      const result = await runReadOnlyQuery(database, 'SELECT rollout_id, status FROM rollouts ORDER BY created_order');
      assert.deepEqual(result.rows, [
        [queued[0].rollout_id, 'succeeded'],
        [queued[1].rollout_id, 'queuing'],
        [queued[2].rollout_id, 'queuing'],
      ]);
      assert.deepEqual(await rawCounts(database), { rollouts: 3, attempts: 1, workers: 1, resources: 0, journal: 0 });
      // Nothing waits: the next read starts at once and writes nothing.
      assert.equal((await runReadOnlyQuery(database, 'SELECT count(*) FROM store_journal')).rows[0][0], 0);
    } finally {
      await store.close();
      await database.close();
    }
  });

  it('writes the tables once syncRows changed rows wait, and syncAfterMillis after a change', async () => {
    const byRows = await Database.open({ path: join(tempDir(), 'rows.duckdb') });
    const rowsStore = await DuckDBLightningStore.open(byRows, { ...NEVER, syncRows: 5 });
    const byTime = await Database.open({ path: join(tempDir(), 'time.duckdb') });
    const timeStore = await DuckDBLightningStore.open(byTime, { ...NEVER, syncAfterMillis: 50 });
    try {
      await rowsStore.enqueueRollouts([{ input: 1 }, { input: 2 }]);
      assert.equal((await rawCounts(byRows)).rollouts, 0, 'two rows wait, fewer than five');
      await rowsStore.enqueueRollouts([{ input: 3 }, { input: 4 }, { input: 5 }]);
      await until(async () => (await rawCounts(byRows)).rollouts === 5, 'five rollouts in the table');
      assert.equal((await rawCounts(byRows)).journal, 0);

      await timeStore.enqueueRollouts([{ input: 'late' }]);
      await until(async () => (await rawCounts(byTime)).rollouts === 1, 'the rollout written after 50 ms');
      assert.equal((await rawCounts(byTime)).journal, 0);
    } finally {
      await rowsStore.close();
      await byRows.close();
      await timeStore.close();
      await byTime.close();
    }
  });

  it('writes the journal into the tables at close', async () => {
    const path = join(tempDir(), 'close.duckdb');
    const database = await Database.open({ path });
    const store = await DuckDBLightningStore.open(database, NEVER);
    await store.enqueueRollouts([{ input: 1 }]);
    await store.close();
    assert.deepEqual(await rawCounts(database), { rollouts: 1, attempts: 0, workers: 0, resources: 0, journal: 0 });
    await database.close();
  });

  it('a row the tables refuse is moved to store_journal_rejected; the other rows are written and reads keep working', async () => {
    // Issue 10 §3 changed this test: it asserted that one failing row kept every sync (and so every
    // SQL read) failing, with all rows left in the journal.
    const database = await Database.open({ path: join(tempDir(), 'failing.duckdb') });
    const errors: unknown[] = [];
    const rejected: { table: string; error: unknown }[] = [];
    const store = await DuckDBLightningStore.open(database, {
      ...NEVER,
      onSyncError: (error) => errors.push(error),
      onRowRejected: (row) => rejected.push(row),
    });
    try {
      const connection = await database.connect();
      await connection.run('DROP TABLE workers'); // every write of a worker row now fails
      database.release(connection);
      await store.enqueueRollouts([{ input: 1 }, { input: 2 }]);
      const [taken] = await store.dequeueRollouts({ workerId: 'w-1' });
      assert.deepEqual((await runReadOnlyQuery(database, 'SELECT count(*) FROM rollouts')).rows, [[2]]);
      assert.deepEqual(rejected.map((row) => row.table), ['worker']);
      assert.match(String((rejected[0].error as Error).message), /workers/);
      // The operations after it commit and sync as usual.
      const [next] = await store.dequeueRollouts({ workerId: 'w-2' });
      assert.notEqual(next.rollout_id, taken.rollout_id);
      assert.equal((await store.getWorker('w-2'))!.current_rollout_id, next.rollout_id);
      assert.deepEqual((await runReadOnlyQuery(database, 'SELECT count(*) FROM attempts')).rows, [[2]]);
      const aside = await runReadOnlyQuery(database, 'SELECT table_name, count(*) FROM store_journal_rejected GROUP BY ALL');
      assert.deepEqual(aside.rows, [['worker', 2]]);
      assert.deepEqual((await runReadOnlyQuery(database, 'SELECT count(*) FROM store_journal')).rows, [[0]]);
    } finally {
      await store.close();
      await database.close();
    }
    assert.deepEqual(errors, []);
  });

  it('a write that no row survives (the database, not a row, is at fault) fails alone and leaves every row journalled', async () => {
    const database = await Database.open({ path: join(tempDir(), 'broken.duckdb') });
    const errors: unknown[] = [];
    const store = await DuckDBLightningStore.open(database, { ...NEVER, onSyncError: (error) => errors.push(error) });
    try {
      await store.updateWorker('w-only');
      const connection = await database.connect();
      await connection.run('DROP TABLE workers');
      database.release(connection);
      await assert.rejects(runReadOnlyQuery(database, 'SELECT count(*) FROM rollouts'), /workers/);
      const raw = await database.connect();
      const journal = Number((await raw.runAndReadAll('SELECT count(*) FROM store_journal')).getRows()[0][0]);
      const aside = Number((await raw.runAndReadAll('SELECT count(*) FROM store_journal_rejected')).getRows()[0][0]);
      database.release(raw);
      assert.deepEqual({ journal, aside }, { journal: 1, aside: 0 });
    } finally {
      await store.close();
      await database.close();
    }
    assert.ok(errors.length >= 1 && errors.every((error) => /workers/.test(String(error))), String(errors));
  });

  it('replays what an unclean stop left in the journal (the last change of each row) at the next open', async () => {
    const path = join(tempDir(), 'unclean.duckdb');
    const database = await Database.open({ path });
    const store = await DuckDBLightningStore.open(database, NEVER);
    // Rows changed in several transactions, so the journal holds several versions of them.
    const queued = await store.enqueueRollouts([{ input: 'x', config: { max_attempts: 2, retry_condition: ['failed'] } }, { input: 'y' }]);
    const [first] = await store.dequeueRollouts({ workerId: 'w-a' });
    await store.updateAttempt(first.rollout_id, first.attempt.attempt_id, { status: 'running' });
    await store.updateAttempt(first.rollout_id, first.attempt.attempt_id, { status: 'failed' });
    const [second] = await store.dequeueRollouts({ workerId: 'w-b' });
    await store.addResources({ prompt: { resource_type: 'prompt_template', template: 'v1 {x}', engine: 'f-string' } });
    const named = await store.addResources({ prompt: { resource_type: 'prompt_template', template: 'v2 {x}', engine: 'f-string' } });
    await store.updateResources(named.resources_id, { prompt: { resource_type: 'prompt_template', template: 'v3 {x}', engine: 'f-string' } });
    const rollouts = (await store.queryRollouts()).items;
    const workers = (await store.queryWorkers()).items;
    const resources = (await store.queryResources()).items;
    assert.equal((await rawCounts(database)).rollouts, 0, 'nothing was written into the tables yet');
    // An unclean stop: the database goes away without the store's close (no final sync).
    await database.close();

    // Read-only, the file shows the tables as they were written, and says what the journal holds.
    const sql = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [AGL, 'sql', '--db', path, '--format', 'json', 'SELECT count(*) AS n FROM rollouts'], { timeout: 20_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
    assert.equal(sql.code, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), [{ n: 0 }]);
    assert.match(sql.stderr, /^warning: .* holds \d+ store change\(s\) in store_journal .*agl serve --db/);

    const reopened = await Database.open({ path });
    const again = await DuckDBLightningStore.open(reopened, NEVER);
    try {
      assert.deepEqual(await rawCounts(reopened), { rollouts: 2, attempts: 2, workers: 2, resources: 3, journal: 0 });
      assert.deepEqual((await again.queryRollouts()).items, rollouts);
      assert.deepEqual((await again.queryWorkers()).items, workers);
      assert.deepEqual((await again.queryResources()).items, resources);
      assert.equal(second.rollout_id, queued[1].rollout_id);
      assert.equal((await again.getRollout(queued[0].rollout_id))!.status, 'requeuing');
      // The store goes on from there: the queue and the counters were restored.
      const [next] = await again.dequeueRollouts({ workerId: 'w-c' });
      assert.equal(next.rollout_id, queued[0].rollout_id);
      assert.equal(next.attempt.sequence_id, 2);
    } finally {
      await again.close();
      await reopened.close();
    }
  });

  it('keeps every acknowledged store change when agl serve is killed with SIGKILL', async () => {
    const dir = tempDir('agl-journal-kill-');
    const dbPath = join(dir, 'kill.duckdb');
    const env = { ...process.env };
    for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB', 'AGL_FORWARD_URL']) delete env[name];
    const serve = async (): Promise<{ url: string; kill: (signal: NodeJS.Signals) => Promise<NodeJS.Signals | number | null> }> => {
      const child = spawn(process.execPath, [AGL, 'serve', '--db', dbPath, '--port', '0', '--log-level', 'warn'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('agl serve printed no start-up line')), 15_000);
        child.once('exit', (code) => reject(new Error(`agl serve exited with ${code}`)));
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const match = /agl collector listening on (\S+) \(database /.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      return {
        url,
        kill: (signal) => {
          child.kill(signal);
          return exited;
        },
      };
    };

    const first = await serve();
    const client = new StoreClient({ baseUrl: first.url });
    const queued = await client.enqueueRollouts(Array.from({ length: 5 }, (_, index) => ({ input: index })));
    const taken = await client.dequeueRollouts({ limit: 2, workerId: 'w-kill' });
    await client.updateAttempt(taken[0].rollout_id, taken[0].attempt.attempt_id, { status: 'succeeded' });
    await client.updateAttempt(taken[1].rollout_id, taken[1].attempt.attempt_id, { status: 'running' });
    assert.equal(await first.kill('SIGKILL'), 'SIGKILL');

    const second = await serve();
    try {
      const again = new StoreClient({ baseUrl: second.url });
      const statuses = await Promise.all(queued.map(async (rollout) => (await again.getRollout(rollout.rollout_id))!.status));
      assert.deepEqual(statuses, ['succeeded', 'running', 'queuing', 'queuing', 'queuing']);
      assert.equal((await again.getWorker('w-kill'))!.current_rollout_id, taken[1].rollout_id);
      const sql = await fetch(new URL('/v1/agl/sql', second.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: "SELECT count(*) FILTER (WHERE status = 'queuing'), count(*) FROM rollouts" }),
      });
      assert.deepEqual(((await sql.json()) as { rows: unknown[][] }).rows, [[3, 5]]);
    } finally {
      assert.equal(await second.kill('SIGTERM'), 0);
    }
  });

  it('moves a row a sync cannot write into the tables to store_journal_rejected, writes every other row and keeps serving reads', async () => {
    const database = await Database.open({ path: join(tempDir(), 'rejected.duckdb') });
    const rejected: { table: string; error: unknown }[] = [];
    const store = await DuckDBLightningStore.open(database, { ...NEVER, onRowRejected: (row) => rejected.push(row) });
    try {
      const [poisoned, kept] = await store.enqueueRollouts([{ input: 'poisoned' }, { input: 'kept' }]);
      const [taken] = await store.dequeueRollouts({ workerId: 'w-1' });
      // A span sequence id beyond BIGINT can only come from a bug (spans carry safe integers); it stands
      // for any row the tables refuse.
      store.recordSpanActivity([{ rolloutId: poisoned.rollout_id, attemptId: taken.attempt.attempt_id, lastEndTimeUnixNano: 1n, maxSequenceId: 2 ** 70 }]);
      await store.flushSpanActivity();
      const result = await runReadOnlyQuery(database, 'SELECT rollout_id, status FROM rollouts ORDER BY created_order');
      assert.deepEqual(result.rows, [
        [poisoned.rollout_id, 'running'],
        [kept.rollout_id, 'queuing'],
      ]);
      assert.deepEqual(rejected.map((row) => row.table), ['sequence']);
      const aside = await runReadOnlyQuery(database, 'SELECT table_name, row_json, error FROM store_journal_rejected');
      assert.equal(aside.rows.length, 1);
      assert.equal(aside.rows[0][0], 'sequence');
      assert.match(String(aside.rows[0][1]), new RegExp(poisoned.rollout_id));
      assert.deepEqual((await rawCounts(database)).journal, 0);
      // Later changes sync as usual.
      await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'succeeded' });
      assert.deepEqual((await runReadOnlyQuery(database, `SELECT status FROM rollouts WHERE rollout_id = '${poisoned.rollout_id}'`)).rows, [['succeeded']]);
    } finally {
      await store.close();
      await database.close();
    }
  });
});
