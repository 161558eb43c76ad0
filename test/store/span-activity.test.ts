import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from '../../src/storage/index.ts';
import { DuckDBLightningStore } from '../../src/store/index.ts';
import type { AttemptedRollout } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

let database: Database;
let store: DuckDBLightningStore;

before(async () => {
  database = await Database.open({ path: join(tempDir(), 'activity.duckdb') });
  store = await DuckDBLightningStore.open(database, { watchdogIntervalMillis: 0 });
});
after(async () => {
  await store.close();
  await database.close();
});

/** A span's activity for `taken`, as the span sink reports it once the span committed. */
function spanOf(taken: AttemptedRollout, maxSequenceId: number | null = null): void {
  store.recordSpanActivity([{ rolloutId: taken.rollout_id, attemptId: taken.attempt.attempt_id, lastEndTimeUnixNano: 0n, maxSequenceId }]);
}

async function running(): Promise<AttemptedRollout> {
  const taken = await store.startRollout({ input: 'activity', config: { unresponsive_seconds: 60 } });
  spanOf(taken);
  await store.flushSpanActivity();
  assert.equal((await store.getLatestAttempt(taken.rollout_id))!.status, 'running');
  return taken;
}

describe('span activity', () => {
  it('moves an attempt to running at once; heartbeats alone wait and are written together', async () => {
    const taken = await store.startRollout({ input: 'first span' });
    spanOf(taken);
    // No flush: a status change is written without waiting.
    for (let waited = 0; (await store.getLatestAttempt(taken.rollout_id))!.status !== 'running'; waited += 5) {
      assert.ok(waited < 500, 'the first span moved the attempt to running at once');
      await sleep(5);
    }
    const revived = (await store.getLatestAttempt(taken.rollout_id))!.last_heartbeat_time!;

    await sleep(20);
    for (let index = 0; index < 20; index++) spanOf(taken, 10 + index);
    // Seen at once: the sequence ids the spans carried are not issued again.
    assert.equal(await store.getNextSpanSequenceId(taken.rollout_id, taken.attempt.attempt_id), 30);
    await sleep(50);
    assert.equal((await store.getLatestAttempt(taken.rollout_id))!.last_heartbeat_time, revived, 'heartbeats wait');
    await store.flushSpanActivity();
    const refreshed = (await store.getLatestAttempt(taken.rollout_id))!.last_heartbeat_time!;
    assert.ok(refreshed > revived);
    // The heartbeat is the time the spans were seen, not the time it was written.
    assert.ok(refreshed <= Date.now() / 1000 - 0.04, `heartbeat ${refreshed} taken when the spans were seen`);
  });

  it('writes waiting heartbeats by themselves within the delay', async () => {
    const taken = await running();
    const before = (await store.getLatestAttempt(taken.rollout_id))!.last_heartbeat_time!;
    await sleep(20);
    spanOf(taken);
    const deadline = Date.now() + 3000;
    while ((await store.getLatestAttempt(taken.rollout_id))!.last_heartbeat_time === before) {
      assert.ok(Date.now() < deadline, 'the heartbeat was written within the delay');
      await sleep(20);
    }
  });

  it('the watchdog counts heartbeats that wait', async () => {
    const taken = await store.startRollout({ input: 'watched', config: { unresponsive_seconds: 0.3 } });
    spanOf(taken);
    await store.flushSpanActivity();
    for (let round = 0; round < 4; round++) {
      await sleep(150);
      spanOf(taken);
      await store.checkHealth();
      assert.equal((await store.getLatestAttempt(taken.rollout_id))!.status, 'running');
    }
  });

  it('never issues again, after a restart, a sequence id its spans carried even if their activity was not written', async () => {
    const path = join(tempDir(), 'floor.duckdb');
    let db = await Database.open({ path });
    let own = await DuckDBLightningStore.open(db, { watchdogIntervalMillis: 0 });
    const taken = await own.startRollout({ input: 'floor' });
    await own.close();
    await db.close();
    // A span committed whose activity never reached the store's tables (a collector killed in between).
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(
      `INSERT INTO spans (trace_id, span_id, name, kind, start_time_unix_nano, end_time_unix_nano, status_code, attributes, resource,
         rollout_id, attempt_id, sequence_id, events, links, flags, dropped_attributes_count, dropped_events_count, dropped_links_count, received_at)
       VALUES ('${'a'.repeat(32)}', '${'b'.repeat(16)}', 'lost activity', 'INTERNAL', 1, 2, 'UNSET', '{}', '{}',
         '${taken.rollout_id}', '${taken.attempt.attempt_id}', 41, '[]', '[]', 0, 0, 0, 0, now())`,
    );
    connection.closeSync();
    instance.closeSync();
    db = await Database.open({ path });
    own = await DuckDBLightningStore.open(db, { watchdogIntervalMillis: 0 });
    try {
      assert.equal(await own.getNextSpanSequenceId(taken.rollout_id, taken.attempt.attempt_id), 42);
    } finally {
      await own.close();
      await db.close();
    }
  });
});
