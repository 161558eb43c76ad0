import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CANDIDATE_PROMPTS } from '../../examples/custom-algorithm/candidate-prompts.ts';
import { formatSweepTable, promptSweep } from '../../examples/custom-algorithm/prompt-sweep.ts';
import type { PromptSweepResult } from '../../examples/custom-algorithm/prompt-sweep.ts';
import { createMathAgent } from '../../examples/math-agent/math-agent.ts';
import { valDataset } from '../../examples/math-agent/math-dataset.ts';
import type { MathTask } from '../../examples/math-agent/math-dataset.ts';
import { Trainer } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { runExample } from './run-example.ts';

test('custom algorithm: train.ts prints the table, the same scores from SQL, and keeps the best prompt', { timeout: 40_000 }, async () => {
  const run = await runExample('examples/custom-algorithm/train.ts', ['--val-size', '6']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /using the SIMULATED model/);

  const rows = run.stdout
    .split('\n')
    .map((line) => /^(\d+)(\*?)\s+(rs-[0-9a-f]+)\s+([\d.]+|n\/a)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ index: Number(match[1]), kept: match[2] === '*', resourcesId: match[3], reward: Number(match[4]), ok: Number(match[5]), failed: Number(match[6]) }));
  assert.equal(rows.length, CANDIDATE_PROMPTS.length, run.stdout);
  assert.deepEqual(rows.map((row) => row.index), [1, 2, 3, 4]);
  assert.equal(new Set(rows.map((row) => row.resourcesId)).size, 4, 'each candidate is its own resources version');
  for (const row of rows) assert.deepEqual([row.ok, row.failed], [6, 0]);

  // Structure, not the simulator's exact scores: the prompts that state the inclusive range do
  // better than those that do not, and the first of the best is kept.
  const best = Math.max(...rows.map((row) => row.reward));
  assert.ok(Math.max(rows[2].reward, rows[3].reward) > Math.max(rows[0].reward, rows[1].reward), `the inclusive-range prompts help: ${rows.map((row) => row.reward)}`);
  const kept = rows.filter((row) => row.kept);
  assert.equal(kept.length, 1);
  assert.equal(kept[0].reward, best);
  assert.equal(kept[0].index, rows.find((row) => row.reward === best)!.index, 'the first of the best is kept');

  // The SQL cross-check prints the same mean per resources version.
  for (const row of rows) assert.match(run.stdout, new RegExp(`${row.resourcesId}\\s+6 rewarded\\s+mean ${row.reward.toFixed(3)}`));
  assert.match(run.stdout, new RegExp(`best prompt \\(#${kept[0].index}, ${kept[0].resourcesId}, mean reward ${best.toFixed(3)}\\):\\n${escape(CANDIDATE_PROMPTS[kept[0].index - 1])}`));
});

test('custom algorithm: the sweep keeps the best wherever it is in the list, and reports a template that cannot run', { timeout: 30_000 }, async () => {
  const sim = await SimLlmServer.start({ port: 0, seed: 0 });
  try {
    const candidates = [CANDIDATE_PROMPTS[1], 'Broken {question} {missing}', CANDIDATE_PROMPTS[3]];
    const trainer = new Trainer<MathTask, PromptSweepResult>({
      algorithm: promptSweep<MathTask>(candidates, { timeoutSeconds: 20 }),
      nRunners: 2,
      runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
      logger: createLogger('silent'),
    });
    const agent = createMathAgent({ config: { baseURL: sim.baseURL, apiKey: 'sim', model: 'sim-math', temperature: 0, memoryPath: null } });
    const result = await trainer.fit(agent, { valDataset: valDataset(4) });
    assert.equal(result.rows.length, 3);
    assert.ok(result.rows[0].meanReward !== null && result.rows[2].meanReward !== null);
    assert.deepEqual([result.rows[1].meanReward, result.rows[1].succeeded, result.rows[1].failed], [null, 0, 4], 'a template missing a value fails every rollout');
    // The prompt that states the inclusive range does better than the one that does not (the simulator's exact scores are its own).
    assert.ok(result.rows[2].meanReward! > result.rows[0].meanReward!, `${result.rows[2].meanReward} > ${result.rows[0].meanReward}`);
    assert.equal(result.best, result.rows[2]);
    assert.match(formatSweepTable(result), /^3\*\s+rs-/m);
  } finally {
    await sim.close();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
