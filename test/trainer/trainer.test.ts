import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PromptTemplate, rollout } from '../../src/agent/index.ts';
import { Baseline, readAttemptReward } from '../../src/algorithm/index.ts';
import type { AlgorithmContext, AlgorithmStore, BaselineResult } from '../../src/algorithm/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import type { RolloutMode } from '../../src/store/index.ts';
import { Trainer } from '../../src/trainer/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** The Trainer from one call: in-process collector, runner pool, algorithm, and everything shut down after. */

const silent = createLogger('silent');
const runner = { minPollIntervalMillis: 5, maxPollIntervalMillis: 100 };

interface Task {
  q: string;
  expected: string;
}
const tasks: Task[] = Array.from({ length: 12 }, (_, i) => ({ q: `question ${i}`, expected: i % 3 === 0 ? 'never there' : `question ${i}` }));
const prompt = new PromptTemplate('Answer this: {q}', 'f-string');

function promptAgent(modes: (RolloutMode | null)[] = []) {
  return rollout(async (task: Task, resources, context) => {
    modes.push(context.mode);
    return resources.prompt.format({ ...task }).includes(task.expected) ? 1 : 0;
  });
}

describe('Trainer', () => {
  it('validates its options at construction', () => {
    assert.throws(() => new Trainer({ nRunners: 0 }), { name: 'RangeError', message: 'Expected `nRunners` to be an integer ≥ 1, got `0`' });
    assert.throws(() => new Trainer({ nWorkers: 1.5 }), { message: 'Expected `nWorkers` to be an integer ≥ 1, got `1.5`' });
    assert.throws(() => new Trainer({ nRunners: 2, nWorkers: 3 }), /nRunners/);
    assert.throws(() => new Trainer({ store: 'localhost:4318' }), /http\(s\) URL/);
    assert.throws(() => new Trainer({ algorithm: 42 as never }), /algorithm/);
    assert.throws(() => new Trainer({ stopGraceMillis: -1 }), /stopGraceMillis/);
    assert.equal(new Trainer({ nWorkers: 2 }).nRunners, 2);
  });

  it('fit() with Baseline: collector + 4 runners + algorithm from one call; mean reward and per-task results', async () => {
    const modes: (RolloutMode | null)[] = [];
    const trainer = new Trainer<Task, BaselineResult<Task>>({
      algorithm: new Baseline(),
      nRunners: 4,
      initialResources: { prompt_template: prompt },
      logger: silent,
      runner,
    });
    const result = await trainer.fit(promptAgent(modes), { trainDataset: [], valDataset: tasks });
    assert.equal(result.total, 12);
    assert.equal(result.succeeded, 12);
    assert.equal(result.failed, 0);
    assert.equal(result.unfinished, 0);
    assert.equal(result.meanReward, 8 / 12);
    assert.deepEqual(
      result.tasks.map((task) => task.reward),
      tasks.map((_, i) => (i % 3 === 0 ? 0 : 1)),
    );
    assert.deepEqual(result.tasks.map((task) => task.input), tasks);
    assert.ok(result.resourcesId);
    assert.deepEqual(new Set(modes), new Set(['val']));
  });

  it('fit() with a plain function as the algorithm; the in-process store is closed afterwards', async () => {
    let seen: AlgorithmContext<Task> | undefined;
    const dbPath = join(tempDir(), 'kept.duckdb');
    const trainer = new Trainer<Task, number>({
      nRunners: 2,
      initialResources: { prompt_template: prompt },
      dbPath,
      logger: silent,
      runner,
      algorithm: async (context) => {
        seen = context;
        const latest = await context.store.getLatestResources();
        assert.equal((latest?.resources.prompt_template as unknown as { template: string }).template, 'Answer this: {q}');
        const rollouts = await context.store.enqueueRollouts(context.trainDataset.map((input) => ({ input, mode: 'train' as const })));
        await context.store.waitForRollouts(rollouts.map((item) => item.rollout_id), { timeoutSeconds: 20 });
        let total = 0;
        for (const item of rollouts) total += (await readAttemptReward(context.store, item.rollout_id)).reward ?? 0;
        return total;
      },
    });
    const total = await trainer.fit(promptAgent(), { trainDataset: tasks.slice(0, 6), valDataset: tasks.slice(6) });
    assert.equal(total, 4);
    assert.equal(seen?.trainDataset.length, 6);
    assert.equal(seen?.valDataset?.length, 6);
    assert.equal(seen?.signal.aborted, true, 'the run is over');
    await assert.rejects(() => (seen!.store as AlgorithmStore).enqueueRollouts([{ input: 1 }]), 'the collector is closed');
  });

  it('fit() against a running collector (store: URL) leaves it running, with the rollouts and rewards in it', async () => {
    const collector = await startTestCollector({ watchdogIntervalMillis: 100 });
    try {
      const trainer = new Trainer<Task, BaselineResult<Task>>({ store: collector.url, nRunners: 2, initialResources: { prompt_template: prompt }, logger: silent, runner });
      const result = await trainer.fit(promptAgent(), { valDataset: tasks.slice(0, 3) });
      assert.equal(result.meanReward, 2 / 3);
      const ids = result.tasks.map((task) => `'${task.rolloutId}'`).join(',');
      const rewards = await queryRows(collector, `SELECT count(*)::INTEGER AS n, sum(value) AS total FROM rewards WHERE rollout_id IN (${ids})`);
      assert.deepEqual(rewards, [{ n: 3, total: 2 }]);
      assert.deepEqual(await new StoreClient({ baseUrl: collector.url }).health(), { status: 'ok' });
    } finally {
      await collector.close();
    }
  });

  it('dev(): a dry run on the first tasks in train mode, through the whole machinery', async () => {
    const modes: (RolloutMode | null)[] = [];
    const trainer = new Trainer<Task>({ nRunners: 2, initialResources: { prompt_template: prompt }, logger: silent, runner });
    const result = await trainer.dev(promptAgent(modes), tasks);
    assert.equal(result.total, 5);
    assert.equal(result.succeeded, 5);
    assert.equal(result.meanReward, 3 / 5);
    assert.deepEqual(modes, ['train', 'train', 'train', 'train', 'train']);
  });

  it('fit() stops the runners even when the algorithm throws', async () => {
    let runs = 0;
    const agent = rollout(async () => {
      runs++;
      return 1;
    });
    const trainer = new Trainer({
      nRunners: 2,
      logger: silent,
      runner,
      algorithm: async ({ store }) => {
        const [item] = await store.enqueueRollouts([{ input: 1 }]);
        await store.waitForRollouts([item.rollout_id], { timeoutSeconds: 10 });
        throw new TypeError('algorithm broke');
      },
    });
    await assert.rejects(() => trainer.fit(agent, { trainDataset: [1] }), { message: 'algorithm broke' });
    assert.equal(runs, 1);
  });
});
