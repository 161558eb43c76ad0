import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collector } from '../../collector/index.ts';
import { PromptTemplate, rollout, toNamedResources } from '../../src/agent/index.ts';
import { Runner, RunnerPool } from '../../src/runner/index.ts';
import type { RunnerPoolOptions } from '../../src/runner/index.ts';
import type { Agent } from '../../src/agent/index.ts';
import type { StoreClient } from '../../src/store/index.ts';
import type { Attempt, Rollout } from '../../src/store/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { queryRows } from '../helpers/collector.ts';
import { startRunnerTestBed } from '../helpers/runner-test-bed.ts';
import type { RunnerTestBed } from '../helpers/runner-test-bed.ts';

/**
 * Runners against a real collector over HTTP, spans through the official OTLP exporter: many
 * concurrent runners, failing agents and retries, resources, graceful and forced stops.
 */

let bed: RunnerTestBed;
let collector: Collector;
let tracer: OtelTracer;
let client: StoreClient;
const silent = createLogger('silent');

before(async () => {
  bed = await startRunnerTestBed('runner-test');
  ({ collector, tracer, client } = bed);
});
after(() => bed.close());

function pool(agent: Agent<any>, nRunners: number, extra: Partial<RunnerPoolOptions> = {}): RunnerPool {
  return new RunnerPool({ store: client, agent, tracer, nRunners, logger: silent, minPollIntervalMillis: 5, maxPollIntervalMillis: 50, ...extra }).start();
}

async function attemptsOf(rolloutId: string): Promise<Attempt[]> {
  return (await client.queryAttempts(rolloutId)).items;
}

async function waitAll(rollouts: Rollout[], timeoutSeconds = 30): Promise<Rollout[]> {
  return collector.store.waitForRollouts(rollouts.map((item) => item.rollout_id), { timeoutSeconds });
}

describe('RunnerPool', () => {
  it('8 runners × 100 rollouts: each run exactly once, all succeeded, rewards in the rewards view', async () => {
    const runs = new Map<number, number>();
    const agent = rollout(async (task: { i: number }) => {
      runs.set(task.i, (runs.get(task.i) ?? 0) + 1);
      await sleep(Math.floor(Math.random() * 5));
      return task.i / 100;
    });
    const runners = pool(agent, 8, { workerIdPrefix: 'conc' });
    const rollouts = await client.enqueueRollouts(Array.from({ length: 100 }, (_, i) => ({ input: { i }, metadata: { batch: 'conc' } })));
    const finished = await waitAll(rollouts);
    assert.equal(finished.length, 100, 'every rollout finished');
    assert.deepEqual(new Set(finished.map((item) => item.status)), new Set(['succeeded']));
    assert.equal(runs.size, 100);
    assert.ok([...runs.values()].every((count) => count === 1), 'no task ran twice');
    for (const item of rollouts.slice(0, 10)) assert.equal((await attemptsOf(item.rollout_id)).length, 1);

    const ids = rollouts.map((item) => `'${item.rollout_id}'`).join(',');
    const rewards = await queryRows(collector, `SELECT rollout_id, value FROM rewards WHERE is_primary AND rollout_id IN (${ids})`);
    assert.equal(rewards.length, 100, 'one primary reward per rollout, stored before the attempt was reported');
    const expected = new Map(rollouts.map((item) => [item.rollout_id, (item.input as { i: number }).i / 100]));
    for (const row of rewards) assert.equal(row.value, expected.get(row.rollout_id as string));

    // Every runner took work, and registered as a worker with its counts.
    const stats = runners.stats;
    assert.equal(stats.reduce((sum, item) => sum + item.rollouts_succeeded, 0), 100);
    assert.ok(stats.filter((item) => item.rollouts_taken > 0).length >= 4, `work spread over the runners: ${stats.map((item) => item.rollouts_taken)}`);
    await runners.stop();
    const workers = (await client.queryWorkers({ workerIdContains: 'conc-' })).items;
    assert.equal(workers.length, 8);
    assert.equal(workers.reduce((sum, worker) => sum + Number(worker.heartbeat_stats?.rollouts_succeeded ?? 0), 0), 100);
    assert.ok(workers.every((worker) => worker.status === 'idle'));
  });

  it('runs the agent with the resources the rollout was enqueued with, in its mode', async () => {
    const seen: { prompt: string; mode: string | null }[] = [];
    const agent = rollout(async (task: { q: string }, resources, context) => {
      seen.push({ prompt: resources.prompt.format(task), mode: context.mode });
      return 1;
    });
    const first = await client.addResources(toNamedResources({ prompt_template: new PromptTemplate('first {q}', 'f-string') }));
    const [a] = await client.enqueueRollouts([{ input: { q: 'a' }, mode: 'train' }]);
    await client.addResources(toNamedResources({ prompt_template: new PromptTemplate('second {q}', 'f-string') }));
    const [b] = await client.enqueueRollouts([{ input: { q: 'b' }, mode: 'val' }]);
    assert.equal(a.resources_id, first.resources_id);
    const runners = pool(agent, 1);
    await waitAll([a, b]);
    await runners.stop();
    assert.deepEqual(seen, [
      { prompt: 'first a', mode: 'train' },
      { prompt: 'second b', mode: 'val' },
    ]);
  });

  it('an agent that throws: attempt failed with the exception span, rollout retried per retry_condition', async () => {
    const tries = new Map<string, number>();
    const agent = rollout(async (task: { failTimes: number }, _resources, context) => {
      const count = (tries.get(context.rolloutId) ?? 0) + 1;
      tries.set(context.rolloutId, count);
      if (count <= task.failTimes) throw new RangeError(`boom ${count}`);
      return 0.5;
    });
    const runners = pool(agent, 2);
    const [retried, exhausted, noRetry] = await client.enqueueRollouts([
      { input: { failTimes: 1 }, config: { max_attempts: 3, retry_condition: ['failed'] } },
      { input: { failTimes: 5 }, config: { max_attempts: 2, retry_condition: ['failed'] } },
      { input: { failTimes: 1 }, config: { max_attempts: 3, retry_condition: ['timeout'] } },
    ]);
    const finished = new Map((await waitAll([retried, exhausted, noRetry], 8)).map((item) => [item.rollout_id, item.status]));
    await runners.stop();
    assert.equal(finished.get(retried.rollout_id), 'succeeded');
    assert.equal(finished.get(exhausted.rollout_id), 'failed');
    assert.equal(finished.get(noRetry.rollout_id), 'failed', 'failed is not in its retry_condition');

    const attempts = await attemptsOf(retried.rollout_id);
    assert.deepEqual(attempts.map((attempt) => attempt.status), ['failed', 'succeeded']);
    // The error is kept with the attempt: its class, message, where it was thrown (the agent's line) and the stack.
    const error = (attempts[0].metadata as { error: Record<string, unknown> }).error;
    assert.equal(error.type, 'RangeError');
    assert.equal(error.message, 'boom 1');
    assert.match(String(error.origin), /test\/runner\/runner\.test\.ts:\d+:\d+$/);
    assert.match(String(error.stack), /^RangeError: boom 1\n/);
    assert.deepEqual((await attemptsOf(exhausted.rollout_id)).map((attempt) => attempt.status), ['failed', 'failed']);
    assert.equal((await attemptsOf(noRetry.rollout_id)).length, 1);

    const exceptions = await queryRows(
      collector,
      `SELECT attempt_id, status_code, attributes->>'exception.message' AS message FROM spans
       WHERE rollout_id = '${retried.rollout_id}' AND name = 'agentlightning.exception'`,
    );
    assert.deepEqual(exceptions, [{ attempt_id: attempts[0].attempt_id, status_code: 'ERROR', message: 'boom 1' }]);
    const rewards = await queryRows(collector, `SELECT attempt_id, value FROM rewards WHERE rollout_id = '${retried.rollout_id}'`);
    assert.deepEqual(rewards, [{ attempt_id: attempts[1].attempt_id, value: 0.5 }]);
  });

  it('stop(): no new dequeues; rollouts under way finish', async () => {
    const started: string[] = [];
    const agent = rollout(async (_task: unknown, _resources, context) => {
      started.push(context.rolloutId);
      await sleep(300);
      return 1;
    });
    const runners = pool(agent, 2);
    const first = await client.enqueueRollouts([{ input: 1 }, { input: 2 }]);
    while (started.length < 2) await sleep(10);
    const stopping = runners.stop({ graceMillis: 5000 });
    const [late] = await client.enqueueRollouts([{ input: 3 }]);
    await stopping;
    for (const item of first) assert.equal((await client.getRollout(item.rollout_id))?.status, 'succeeded');
    await sleep(100);
    assert.equal((await client.getRollout(late.rollout_id))?.status, 'queuing', 'a stopped pool takes nothing');
    await client.cancelRollout(late.rollout_id);
  });

  it('stop() past the grace time: an agent that ignores its signal is abandoned, its attempt failed (never left running)', async () => {
    let aborted = 0;
    const stubborn = rollout(async (_task: unknown, _resources, context) => {
      context.signal?.addEventListener('abort', () => aborted++);
      await sleep(20_000, undefined, { ref: false });
      return 1;
    });
    const runner = new Runner({ store: client, agent: stubborn, tracer, logger: silent, minPollIntervalMillis: 5, abandonAfterMillis: 100 });
    const done = runner.run();
    const [item] = await client.enqueueRollouts([{ input: 'slow', config: { max_attempts: 1 } }]);
    while ((await client.getRollout(item.rollout_id))?.status !== 'running') await sleep(10);
    const begin = Date.now();
    await runner.stop({ graceMillis: 100 });
    await done;
    assert.ok(Date.now() - begin < 2000, `stopped in ${Date.now() - begin} ms`);
    assert.equal(aborted, 1, 'the agent was given an abort first');
    const [attempt] = await attemptsOf(item.rollout_id);
    assert.equal(attempt.status, 'failed');
    assert.equal((attempt.metadata?.error as { type: string }).type, 'RunnerStoppedError');
    assert.equal((await client.getRollout(item.rollout_id))?.status, 'failed');
  });

  it('heartbeats the attempt while the agent runs, so unresponsive_seconds does not fire', async () => {
    const agent = rollout(async () => {
      await sleep(2500);
      return 1;
    });
    const runners = pool(agent, 1, { heartbeatIntervalMillis: 200 });
    // No spans while it runs (the rollout span ends last): only the runner's heartbeat keeps it alive.
    const [item] = await client.enqueueRollouts([{ input: 'long', config: { unresponsive_seconds: 1.2, max_attempts: 1 } }]);
    const [done] = await waitAll([item]);
    await runners.stop();
    assert.equal(done.status, 'succeeded');
    assert.deepEqual((await attemptsOf(item.rollout_id)).map((attempt) => attempt.status), ['succeeded']);
  });

  it('backs off on an empty queue instead of hammering the server', async () => {
    let dequeues = 0;
    const counting = {
      ...pick(client),
      dequeueRollouts: (...args: Parameters<StoreClient['dequeueRollouts']>) => {
        dequeues++;
        return client.dequeueRollouts(...args);
      },
    };
    const runner = new Runner({ store: counting, agent: rollout(() => 1), tracer, logger: silent, minPollIntervalMillis: 50, maxPollIntervalMillis: 1000 });
    const done = runner.run();
    await sleep(2000);
    await runner.stop();
    await done;
    // 50+100+200+400+800+1000 ms: about 7 dequeues in 2 s (a fixed 50 ms poll would make 40).
    assert.ok(dequeues >= 4 && dequeues <= 9, `${dequeues} dequeues in 2 s`);
  });

  it('validates its options', () => {
    const agent = rollout(() => 1);
    assert.throws(() => new RunnerPool({ store: client, agent, nRunners: 0 }), { message: 'Expected `nRunners` to be an integer ≥ 1, got `0`' });
    assert.throws(() => new Runner({ store: client, agent, heartbeatIntervalMillis: -1 }), /heartbeatIntervalMillis/);
    assert.throws(() => new Runner({ store: client, agent: {} as never }), /run\(task, context\)/);
  });
});

/** The store methods a runner uses, bound to the client. */
function pick(store: StoreClient) {
  return {
    dequeueRollouts: store.dequeueRollouts.bind(store),
    getResources: store.getResources.bind(store),
    getLatestResources: store.getLatestResources.bind(store),
    updateAttempt: store.updateAttempt.bind(store),
    updateWorker: store.updateWorker.bind(store),
    getNextSpanSequenceId: store.getNextSpanSequenceId.bind(store),
  };
}
