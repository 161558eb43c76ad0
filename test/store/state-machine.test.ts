import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, NotFoundError } from '../../src/errors/index.ts';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { DuckDBLightningStore, StoreValidationError } from '../../src/store/index.ts';
import type { AttemptedRollout, RolloutConfig } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

let database: Database;
let store: DuckDBLightningStore;

before(async () => {
  database = await Database.open({ path: join(tempDir(), 'store.duckdb') });
  store = await DuckDBLightningStore.open(database, { watchdogIntervalMillis: 0 });
});
after(async () => {
  await store.close();
  await store.close(); // idempotent
  await database.close();
});

/** Enqueues one rollout and dequeues it (the queue is shared: drain it first). */
async function running(config: Partial<RolloutConfig> = {}, workerId = 'w'): Promise<AttemptedRollout> {
  await store.dequeueRollouts({ limit: 1000 });
  const [rollout] = await store.enqueueRollouts([{ input: { task: 1 }, config }]);
  const [taken] = await store.dequeueRollouts({ workerId });
  assert.equal(taken.rollout_id, rollout.rollout_id);
  return taken;
}

async function status(rolloutId: string): Promise<string> {
  return (await store.getRollout(rolloutId))!.status;
}

describe('rollout state machine', () => {
  it('queuing → preparing (dequeue) → running → succeeded, with end times and the worker following', async () => {
    const [queued] = await store.enqueueRollouts([{ input: 'q', mode: 'train', metadata: { k: 1 } }]);
    assert.equal(queued.status, 'queuing');
    assert.deepEqual(queued.config, { timeout_seconds: null, unresponsive_seconds: null, max_attempts: 1, retry_condition: [] });
    const [taken] = await store.dequeueRollouts({ workerId: 'w-1' });
    assert.equal(taken.status, 'preparing');
    assert.equal(taken.attempt.status, 'preparing');
    assert.equal(taken.attempt.sequence_id, 1);
    assert.equal((await store.getWorker('w-1'))!.status, 'busy');
    assert.equal((await store.getWorker('w-1'))!.current_rollout_id, taken.rollout_id);
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'running' });
    assert.equal(await status(taken.rollout_id), 'running');
    const done = await store.updateAttempt(taken.rollout_id, 'latest', { status: 'succeeded' });
    assert.equal(done.status, 'succeeded');
    assert.ok(done.end_time! >= done.start_time);
    const rollout = (await store.getRollout(taken.rollout_id))!;
    assert.equal(rollout.status, 'succeeded');
    assert.ok(rollout.end_time !== null);
    const worker = (await store.getWorker('w-1'))!;
    assert.equal(worker.status, 'idle');
    assert.equal(worker.current_rollout_id, null);
  });

  it('dequeues FIFO, and an empty dequeue marks the worker idle', async () => {
    await store.dequeueRollouts({ limit: 1000 });
    const rollouts = await store.enqueueRollouts([{ input: 1 }, { input: 2 }, { input: 3 }]);
    const first = await store.dequeueRollouts({ limit: 2 });
    assert.deepEqual(first.map((item) => item.input), [1, 2]);
    const rest = await store.dequeueRollouts({ limit: 5, workerId: 'w-fifo' });
    assert.deepEqual(rest.map((item) => item.rollout_id), [rollouts[2].rollout_id]);
    assert.deepEqual(await store.dequeueRollouts({ workerId: 'w-empty' }), []);
    assert.equal((await store.getWorker('w-empty'))!.status, 'idle');
  });

  it('a failed attempt requeues while attempts are left (retry_condition), then fails the rollout', async () => {
    const first = await running({ max_attempts: 2, retry_condition: ['failed'] });
    await store.updateAttempt(first.rollout_id, first.attempt.attempt_id, { status: 'failed' });
    assert.equal(await status(first.rollout_id), 'requeuing');
    const [second] = await store.dequeueRollouts();
    assert.equal(second.rollout_id, first.rollout_id);
    assert.equal(second.attempt.sequence_id, 2);
    await store.updateAttempt(second.rollout_id, second.attempt.attempt_id, { status: 'failed' });
    assert.equal(await status(first.rollout_id), 'failed');
    const attempts = await store.queryAttempts(first.rollout_id);
    assert.deepEqual(attempts.items.map((attempt) => attempt.status), ['failed', 'failed']);
    assert.equal(attempts.total, 2);
  });

  it('a status outside retry_condition fails the rollout at once', async () => {
    const taken = await running({ max_attempts: 3, retry_condition: ['timeout'] });
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'failed' });
    assert.equal(await status(taken.rollout_id), 'failed');
  });

  it('max_attempts 1 (the default) never retries', async () => {
    const taken = await running({ retry_condition: ['failed'] });
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'failed' });
    assert.equal(await status(taken.rollout_id), 'failed');
  });

  it('terminal states are terminal: 409 on a status change, same status is a no-op, metadata still changes', async () => {
    const taken = await running();
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'succeeded' });
    await assert.rejects(store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'failed' }), ConflictError);
    await assert.rejects(store.updateRollout(taken.rollout_id, { status: 'running' }), ConflictError);
    await assert.rejects(store.cancelRollout(taken.rollout_id), ConflictError);
    await assert.rejects(store.startAttempt(taken.rollout_id), ConflictError);
    assert.equal(await status(taken.rollout_id), 'succeeded');
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'succeeded', metadata: { note: 'late' } });
    const updated = await store.updateRollout(taken.rollout_id, { status: 'succeeded', metadata: { tag: 'x' } });
    assert.deepEqual(updated.metadata, { tag: 'x' });
  });

  it('a cancelled rollout stays cancelled when its runner reports late; a queued one is never dequeued', async () => {
    const taken = await running();
    const cancelled = await store.cancelRollout(taken.rollout_id);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.end_time !== null);
    // The runner's late report is recorded on the attempt, but the rollout stays cancelled.
    const attempt = await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'succeeded' });
    assert.equal(attempt.status, 'succeeded');
    assert.equal(await status(taken.rollout_id), 'cancelled');

    const [queued] = await store.enqueueRollouts([{ input: 'cancel-me' }]);
    await store.cancelRollout(queued.rollout_id);
    const after = await store.dequeueRollouts({ limit: 100 });
    assert.ok(!after.some((item) => item.rollout_id === queued.rollout_id));
  });

  it('unresponsive can recover: a late success of the latest attempt succeeds the requeued rollout', async () => {
    const taken = await running({ max_attempts: 2, retry_condition: ['unresponsive'] });
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'unresponsive' });
    assert.equal(await status(taken.rollout_id), 'requeuing');
    await store.updateAttempt(taken.rollout_id, taken.attempt.attempt_id, { status: 'succeeded' });
    assert.equal(await status(taken.rollout_id), 'succeeded');
    assert.ok(!(await store.dequeueRollouts({ limit: 100 })).some((item) => item.rollout_id === taken.rollout_id));
  });

  it('an update of an older attempt does not move the rollout', async () => {
    const first = await running({ max_attempts: 3, retry_condition: ['unresponsive'] });
    await store.updateAttempt(first.rollout_id, first.attempt.attempt_id, { status: 'unresponsive' });
    const [second] = await store.dequeueRollouts();
    // Issue 10 §4: the late report is recorded on the old attempt but answered with a ConflictError (409).
    await assert.rejects(store.updateAttempt(first.rollout_id, first.attempt.attempt_id, { status: 'failed' }), { name: 'ConflictError' });
    assert.equal((await store.queryAttempts(first.rollout_id)).items[0].status, 'failed');
    assert.equal(await status(first.rollout_id), 'preparing');
    assert.equal((await store.getLatestAttempt(first.rollout_id))!.attempt_id, second.attempt.attempt_id);
  });

  it('startRollout bypasses the queue; startAttempt adds an attempt; updateRollout to queuing requeues', async () => {
    const started = await store.startRollout({ input: 'direct', workerId: 'w-direct' });
    assert.equal(started.status, 'preparing');
    assert.equal(started.attempt.worker_id, 'w-direct');
    const again = await store.startAttempt(started.rollout_id, { workerId: 'w-direct' });
    assert.equal(again.attempt.sequence_id, 2);
    await store.updateRollout(started.rollout_id, { status: 'requeuing' });
    const [taken] = await store.dequeueRollouts({ limit: 100 });
    assert.equal(taken.rollout_id, started.rollout_id);
    assert.equal(taken.attempt.sequence_id, 3);
  });

  it('the watchdog marks timeout (then retries) and unresponsive (then fails)', async () => {
    const timed = await running({ timeout_seconds: 0.05, max_attempts: 2, retry_condition: ['timeout'] });
    const silent = await store.startRollout({ input: 's', config: { unresponsive_seconds: 0.05 }, workerId: 'w-silent' });
    const healthy = await store.startRollout({ input: 'h', config: { unresponsive_seconds: 60, timeout_seconds: 60 } });
    await sleep(80);
    assert.equal(await store.checkHealth(), 2);
    assert.equal((await store.getLatestAttempt(timed.rollout_id))!.status, 'timeout');
    assert.equal(await status(timed.rollout_id), 'requeuing');
    assert.equal((await store.getLatestAttempt(silent.rollout_id))!.status, 'unresponsive');
    assert.equal(await status(silent.rollout_id), 'failed');
    assert.equal((await store.getWorker('w-silent'))!.status, 'unknown');
    assert.equal(await status(healthy.rollout_id), 'preparing');
    // timeout is final for the attempt.
    await assert.rejects(store.updateAttempt(timed.rollout_id, timed.attempt.attempt_id, { status: 'running' }), ConflictError);
  });

  it('a heartbeat keeps an attempt responsive', async () => {
    const taken = await store.startRollout({ input: 'hb', config: { unresponsive_seconds: 1 } });
    await sleep(60);
    store.recordSpanActivity([{ rolloutId: taken.rollout_id, attemptId: taken.attempt.attempt_id, lastEndTimeUnixNano: 0n, maxSequenceId: 7 }]);
    await store.flushSpanActivity();
    assert.equal((await store.getLatestAttempt(taken.rollout_id))!.status, 'running');
    assert.equal(await status(taken.rollout_id), 'running');
    // Well inside unresponsive_seconds, with room for a loaded machine.
    await sleep(100);
    await store.checkHealth();
    assert.equal(await status(taken.rollout_id), 'running');
    assert.equal(await store.getNextSpanSequenceId(taken.rollout_id, taken.attempt.attempt_id), 8);
    await sleep(1100);
    await store.checkHealth();
    assert.equal((await store.getLatestAttempt(taken.rollout_id))!.status, 'unresponsive');
  });

  it('the watchdog timer runs by itself and stops with close()', async () => {
    const own = await Database.open({ path: join(tempDir(), 'watchdog.duckdb') });
    const watched = await DuckDBLightningStore.open(own, { watchdogIntervalMillis: 20 });
    const taken = await watched.startRollout({ input: 1, config: { timeout_seconds: 0.03 } });
    const [done] = await watched.waitForRollouts([taken.rollout_id], { timeoutSeconds: 5 });
    assert.equal(done.status, 'failed');
    await watched.close();
    await own.close();
  });

  it('waitForRollouts resolves on the terminal state, or with what finished when the time is up', async () => {
    const a = await store.startRollout({ input: 'a' });
    const b = await store.startRollout({ input: 'b' });
    const started = Date.now();
    const waiting = store.waitForRollouts([a.rollout_id, b.rollout_id, 'ro-unknown'], { timeoutSeconds: 10 });
    setTimeout(() => void store.updateAttempt(a.rollout_id, 'latest', { status: 'succeeded' }), 20);
    setTimeout(() => void store.cancelRollout(b.rollout_id), 40);
    const finished = await waiting;
    assert.deepEqual(finished.map((rollout) => rollout.status), ['succeeded', 'cancelled']);
    assert.ok(Date.now() - started < 5000);
    const c = await store.startRollout({ input: 'c' });
    const partial = await store.waitForRollouts([a.rollout_id, c.rollout_id], { timeoutSeconds: 0.05 });
    assert.deepEqual(partial.map((rollout) => rollout.rollout_id), [a.rollout_id]);
  });

  it('refuses bad input and unknown ids', async () => {
    await assert.rejects(store.enqueueRollouts([{ input: 1, config: { max_attempts: 0 } }]), (error: StoreValidationError) => {
      assert.deepEqual(error.issues[0].loc, ['rollouts', 0, 'config', 'max_attempts']);
      return true;
    });
    await assert.rejects(store.enqueueRollouts([{ input: 1, config: { retry_condition: ['nope' as never] } }]), StoreValidationError);
    await assert.rejects(store.updateRollout('ro-missing', { status: 'failed' }), NotFoundError);
    await assert.rejects(store.updateAttempt('ro-missing', 'latest', { status: 'failed' }), NotFoundError);
    await assert.rejects(store.queryRollouts({ sortBy: 'nope' }), StoreValidationError);
    await assert.rejects(store.queryRollouts({ limit: -2 }), StoreValidationError);
    assert.equal(await store.getRollout('ro-missing'), null);
  });
});

describe('queries, resources and persistence', () => {
  it('filters, sorts and paginates rollouts', async () => {
    const made = await store.enqueueRollouts([
      { input: 1, mode: 'val' },
      { input: 2, mode: 'val' },
      { input: 3, mode: 'test' },
    ]);
    const ids = made.map((rollout) => rollout.rollout_id);
    const page = await store.queryRollouts({ rolloutIdIn: ids, sortBy: 'rollout_id', sortOrder: 'desc', limit: 2, offset: 1 });
    assert.equal(page.total, 3);
    assert.deepEqual(page.items.map((rollout) => rollout.rollout_id), [...ids].sort().reverse().slice(1, 3));
    const val = await store.queryRollouts({ rolloutIdIn: ids, modeIn: ['val'] });
    assert.equal(val.total, 2);
    const either = await store.queryRollouts({ rolloutIdContains: ids[2].slice(3), statusIn: ['cancelled'], filterLogic: 'or' });
    assert.ok(either.items.some((rollout) => rollout.rollout_id === ids[2]));
    assert.ok(either.items.every((rollout) => rollout.rollout_id === ids[2] || rollout.status === 'cancelled'));
  });

  it('versions resources, records the latest on enqueue, and keeps every version in SQL', async () => {
    const first = await store.addResources({ prompt: { resource_type: 'prompt_template', template: 'v1 {x}', engine: 'f-string' } });
    assert.equal(first.version, 1);
    const [rollout] = await store.enqueueRollouts([{ input: 'r' }]);
    assert.equal(rollout.resources_id, first.resources_id);
    const second = await store.updateResources(first.resources_id, { prompt: { resource_type: 'prompt_template', template: 'v2 {x}', engine: 'f-string' } });
    assert.equal(second.version, 2);
    assert.equal(second.create_time, first.create_time);
    assert.equal((await store.getResources(first.resources_id))!.resources.prompt.template, 'v2 {x}');
    const named = await store.updateResources('named', { llm: { resource_type: 'llm', endpoint: 'http://x', model: 'm' } });
    assert.equal((await store.getLatestResources())!.resources_id, named.resources_id);
    const [explicit] = await store.enqueueRollouts([{ input: 'e', resourcesId: first.resources_id }]);
    assert.equal(explicit.resources_id, first.resources_id);
    const list = await store.queryResources({ resourcesIdContains: 'named' });
    assert.deepEqual(list.items.map((item) => item.resources_id), ['named']);
    const history = await runReadOnlyQuery(database, `SELECT version FROM resources WHERE resources_id = '${first.resources_id}' ORDER BY version`);
    assert.deepEqual(history.rows, [[1], [2]]);
  });

  it('keeps everything across a reopen: queue order, attempts, workers, resources, sequence ids', async () => {
    const path = join(tempDir(), 'reopen.duckdb');
    let db = await Database.open({ path });
    let own = await DuckDBLightningStore.open(db, { watchdogIntervalMillis: 0 });
    const resources = await own.addResources({ p: { resource_type: 'prompt_template', template: 't', engine: 'jinja' } });
    const queued = await own.enqueueRollouts([{ input: 1 }, { input: 2 }, { input: 3 }]);
    const [first] = await own.dequeueRollouts({ workerId: 'w-keep' });
    await own.getNextSpanSequenceId(first.rollout_id, first.attempt.attempt_id);
    await own.close();
    await db.close();

    db = await Database.open({ path });
    own = await DuckDBLightningStore.open(db, { watchdogIntervalMillis: 0 });
    assert.equal((await own.getRollout(first.rollout_id))!.status, 'preparing');
    assert.equal((await own.getWorker('w-keep'))!.current_attempt_id, first.attempt.attempt_id);
    assert.deepEqual(await own.getLatestResources(), resources);
    assert.equal(await own.getNextSpanSequenceId(first.rollout_id, first.attempt.attempt_id), 2);
    const rest = await own.dequeueRollouts({ limit: 5 });
    assert.deepEqual(rest.map((item) => item.rollout_id), [queued[1].rollout_id, queued[2].rollout_id]);
    const [more] = await own.enqueueRollouts([{ input: 4 }]);
    assert.deepEqual((await own.dequeueRollouts()).map((item) => item.rollout_id), [more.rollout_id]);
    await own.close();
    await db.close();
  });
});
