import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { APO, PromptTemplate, Trainer, rollout } from '../../src/index.ts';
import type { ApoOptions, ApoResult } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { FakeOptimizer } from './fake-optimizer.ts';

/**
 * APO's behaviour with prompts whose scores the test knows: the agent's reward is written in the
 * prompt (`score=0.6`), and a fake optimizer chooses the edits.
 */
interface Task {
  n: number;
}

const tasks: Task[] = Array.from({ length: 10 }, (_, n) => ({ n }));
/** Rollouts run per prompt text, for the prompt whose score decays. */
const seen = new Map<string, number>();

/** Reward: `score=x` in the prompt → x; `decay` → 1 for the first 10 rollouts, then 0; `slow` → never finishes in time. */
const agent = rollout(async (task: Task, resources) => {
  const text = resources.prompt.format({ n: task.n });
  if (text.includes('slow')) await new Promise((resolve) => setTimeout(resolve, 6000));
  if (text.includes('decay')) {
    const count = seen.get('decay') ?? 0;
    seen.set('decay', count + 1);
    return count < 10 ? 1 : 0;
  }
  return Number(/score=([\d.]+)/.exec(text)?.[1] ?? 0);
});

async function train(edit: (template: string) => string, apo: ApoOptions<Task>, dbPath = join(tempDir(), 'agl.duckdb')): Promise<{ result: ApoResult; fake: FakeOptimizer; dbPath: string }> {
  const fake = await FakeOptimizer.start(edit);
  try {
    const openai = new OpenAI({ baseURL: fake.baseURL, apiKey: 'fake', maxRetries: 0 });
    const trainer = new Trainer<Task, ApoResult>({
      algorithm: new APO<Task>(openai, { gradientBatchSize: 2, valBatchSize: 10, seed: 3, ...apo }),
      nRunners: 8,
      dbPath,
      initialResources: { prompt_template: new PromptTemplate('Task {n}. score=0.2') },
      runner: { minPollIntervalMillis: 10, maxPollIntervalMillis: 50 },
      stopGraceMillis: 100,
      logger: createLogger('silent'),
    });
    const result = await trainer.fit(agent, { trainDataset: tasks, valDataset: tasks });
    return { result, fake, dbPath };
  } finally {
    await fake.close();
  }
}

/** Equal to 1e-9 (scores are means of floats). */
function near(actual: unknown, expected: number, message?: string): void {
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) < 1e-9, message ?? `expected ${expected}, got ${String(actual)}`);
}

async function rounds(dbPath: string): Promise<Record<string, unknown>[]> {
  const database = await Database.open({ path: dbPath, readOnly: true });
  try {
    const result = await runReadOnlyQuery(database, "SELECT * FROM apo_rounds ORDER BY round");
    return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
  } finally {
    await database.close();
  }
}

describe('APO', { timeout: 40_000 }, () => {
  before(() => seen.clear());
  after(() => seen.clear());

  test('keeps the top beamWidth by validation score and records every round', async () => {
    let call = 0;
    const scores = ['0.9', '0.4', '0.7', '0.1'];
    const { result, dbPath } = await train(() => `Task {n}. score=${scores[call++ % scores.length]}`, { beamWidth: 2, branchFactor: 2, beamRounds: 1 });
    const [initial, round1] = await rounds(dbPath);
    near(initial.leader_val_score, 0.2);
    const candidates = round1.candidates as { val_batch_score: number; kept: boolean }[];
    assert.equal(candidates.length, 5); // the initial prompt + 4 children
    const kept = candidates.filter((candidate) => candidate.kept).map((candidate) => candidate.val_batch_score);
    assert.equal(kept.length, 2);
    near(kept[0], 0.9);
    near(kept[1], 0.7);
    const beam = (round1.beam as { val_batch_score: number }[]).map((entry) => entry.val_batch_score);
    near(beam[0], 0.9);
    near(beam[1], 0.7);
    near(result.bestScore, 0.9);
    assert.match(result.bestPrompt.template, /score=0\.9/);
    near(result.baselineScore, 0.2);
  });

  test('refuses edits that lose or invent a placeholder or break the braces, counts them and never runs them', async () => {
    const broken = ['Task. score=1', 'Task {n} {extra}. score=1', 'Task {n. score=1'];
    let call = 0;
    const { result, dbPath } = await train(() => broken[call++ % broken.length], { beamWidth: 1, branchFactor: 3, beamRounds: 1 });
    assert.equal(result.rejectedEdits, 3);
    near(result.bestScore, 0.2);
    const [, round1] = await rounds(dbPath);
    assert.equal(round1.rejected_edits, 3);
    const database = await Database.open({ path: dbPath, readOnly: true });
    try {
      const stored = await runReadOnlyQuery(database, "SELECT count(*) FROM resources WHERE resources::VARCHAR LIKE '%score=1%'");
      assert.equal(Number(stored.rows[0][0]), 0);
    } finally {
      await database.close();
    }
  });

  test('keeps the history best when a later leader scores worse on the full validation set', async () => {
    seen.clear();
    const { result, dbPath } = await train((template) => (template.includes('score=0.6') ? 'Task {n}. decay' : 'Task {n}. score=0.6'), {
      beamWidth: 1,
      branchFactor: 1,
      beamRounds: 2,
    });
    const [, round1, round2] = await rounds(dbPath);
    near(round1.leader_val_score, 0.6);
    near(round2.leader_val_score, 0); // the decaying prompt won its batch, then failed the full set
    near(round2.best_val_score, 0.6);
    near(result.bestScore, 0.6);
    assert.match(result.bestPrompt.template, /score=0\.6/);
  });

  test('reports rollouts that do not finish in time and scores them as failures', async () => {
    const { result, dbPath } = await train(() => 'Task {n}. slow score=1', { beamWidth: 1, branchFactor: 1, beamRounds: 1, rolloutBatchTimeoutSeconds: 3 });
    // 3 s: the quick rollouts finish well within it even on a loaded machine; the slow ones (6 s) never do.
    const [, round1] = await rounds(dbPath);
    assert.equal(round1.timed_out_rollouts, 10);
    assert.equal((round1.timed_out_rollout_ids as string[]).length, 10);
    assert.equal(result.timedOutRolloutIds.length, 10);
    const slow = (round1.candidates as { val_batch_score: number; resources_id: string }[]).find((candidate) => candidate.resources_id !== round1.leader_resources_id);
    near(slow?.val_batch_score, 0);
    near(result.bestScore, 0.2);
  });

  test('resumes after its last completed round on the same database', async () => {
    const edit = (template: string) => {
      const score = Number(/score=([\d.]+)/.exec(template)?.[1] ?? 0);
      return `Task {n}. score=${(score + 0.1).toFixed(1)}`;
    };
    const first = await train(edit, { beamWidth: 1, branchFactor: 1, beamRounds: 1 });
    near(first.result.bestScore, 0.3);
    const second = await train(edit, { beamWidth: 1, branchFactor: 1, beamRounds: 3 }, first.dbPath);
    assert.equal(second.result.startedAtRound, 2);
    // No initial validation again: the first request of the resumed run is round 2's critique of the round-1 prompt.
    assert.match(second.fake.requests[0], /score=0\.3/);
    const stored = await rounds(first.dbPath);
    assert.deepEqual(stored.map((round) => round.round), [0, 1, 2, 3]);
    near(second.result.bestScore, 0.5);
    assert.equal(second.result.rounds.length, 4);
  });
});
