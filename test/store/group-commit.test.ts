import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database } from '../../src/storage/index.ts';
import { DuckDBLightningStore } from '../../src/store/index.ts';
import type { Rollout } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const path = join(tempDir(), 'store.duckdb');
let database: Database;
let store: DuckDBLightningStore;

before(async () => {
  database = await Database.open({ path });
  store = await DuckDBLightningStore.open(database, { watchdogIntervalMillis: 0 });
});
after(async () => {
  await store.close();
  await database.close();
});

/** Opens the same file in a second store (read from DuckDB, not the live mirror) and runs `check`. */
async function fromFile<T>(check: (reopened: DuckDBLightningStore) => Promise<T>): Promise<T> {
  await store.close();
  await database.close();
  database = await Database.open({ path });
  store = await DuckDBLightningStore.open(database, { watchdogIntervalMillis: 0 });
  return check(store);
}

async function drain(): Promise<void> {
  await store.dequeueRollouts({ limit: 10_000 });
}

describe('store group commit', () => {
  it('hands each of many concurrent dequeuers a different rollout, and the file agrees with the mirror', async () => {
    await drain();
    const queued = await store.enqueueRollouts(Array.from({ length: 60 }, (_, index) => ({ input: { index } })));
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, index) => store.dequeueRollouts({ workerId: `worker-${index}` })),
    );
    const taken = results.flat();
    assert.equal(taken.length, 60, 'every queued rollout handed out (20 dequeuers got nothing)');
    assert.equal(new Set(taken.map((rollout) => rollout.rollout_id)).size, 60, 'no rollout handed out twice');
    assert.deepEqual(
      taken.map((rollout) => rollout.rollout_id),
      queued.map((rollout) => rollout.rollout_id),
      'FIFO across the group',
    );
    const live = await Promise.all(taken.map((rollout) => store.getRollout(rollout.rollout_id)));
    const liveWorkers = (await store.queryWorkers({ statusIn: ['busy'] })).total;
    const stored = await fromFile(async (reopened) => ({
      rollouts: await Promise.all(taken.map((rollout) => reopened.getRollout(rollout.rollout_id))),
      busy: (await reopened.queryWorkers({ statusIn: ['busy'] })).total,
    }));
    assert.deepEqual(stored.rollouts, live);
    assert.equal(stored.busy, liveWorkers);
    assert.equal(liveWorkers, 60);
  });

  it('lets an operation see the changes of those before it in its group', async () => {
    await drain();
    const [first, second] = await store.enqueueRollouts([{ input: 'first' }, { input: 'second' }]);
    // Submitted in the same tick: they share a group; the cancel comes first.
    const [cancelled, dequeued] = await Promise.all([store.cancelRollout(first.rollout_id), store.dequeueRollouts({ limit: 2 })]);
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(
      dequeued.map((rollout) => rollout.rollout_id),
      [second.rollout_id],
      'the dequeue did not hand out the rollout cancelled just before it',
    );
  });

  it('changes the mirror only after the commit', async () => {
    const before = (await store.queryRollouts({})).total;
    const pending = store.enqueueRollouts([{ input: 'later' }]);
    assert.equal((await store.queryRollouts({})).total, before, 'not visible before its transaction committed');
    const [rollout] = await pending;
    assert.equal((await store.getRollout(rollout.rollout_id))?.status, 'queuing');
  });

  it('fails a write that cannot be stored alone; the others of its group are stored', async () => {
    await drain();
    const before = (await store.queryRollouts({})).total;
    const results = await Promise.allSettled([
      store.enqueueRollouts([{ input: 'good-1' }]),
      store.enqueueRollouts([{ input: { big: 10n } }]), // BigInt: JSON cannot hold it, the write fails
      store.enqueueRollouts([{ input: 'good-2' }]),
      store.dequeueRollouts({ limit: 10, workerId: 'after-failure' }),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof TypeError);
    const good = [results[0], results[2]].map((result) => (result as PromiseFulfilledResult<Rollout[]>).value[0]);
    // Retried alone, in order, the dequeue ran after both good enqueues had committed.
    const dequeued = (results[3] as PromiseFulfilledResult<{ rollout_id: string }[]>).value.map((rollout) => rollout.rollout_id);
    assert.deepEqual(dequeued, good.map((rollout) => rollout.rollout_id));
    assert.equal((await store.queryRollouts({})).total, before + 2);
    const stored = await fromFile(async (reopened) => ({
      total: (await reopened.queryRollouts({})).total,
      statuses: await Promise.all(good.map(async (rollout) => (await reopened.getRollout(rollout.rollout_id))?.status)),
    }));
    assert.equal(stored.total, before + 2, 'the failed rollout is not in the file');
    assert.deepEqual(stored.statuses, ['preparing', 'preparing']);
  });

  it('answers waits for thousands of rollouts as each finishes', async () => {
    await drain();
    const rollouts = await store.enqueueRollouts(Array.from({ length: 3000 }, (_, index) => ({ input: index })));
    const ids = rollouts.map((rollout) => rollout.rollout_id);
    const waited = store.waitForRollouts(ids, { timeoutSeconds: 30 });
    await Promise.all(ids.map((id) => store.cancelRollout(id)));
    const finished = await waited;
    assert.equal(finished.length, 3000);
    assert.ok(finished.every((rollout) => rollout.status === 'cancelled'));
  });
});
