import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { agl } from './agl-process.ts';
import { assertCallsRecorded, assertCandidatesApplied, assertScores, query, writeTasks } from './train-command-agent-checks.ts';

/**
 * `agl train --command`: agents with no OpenTelemetry and no Agent Lightning code, in Python and in
 * Node, trained by APO on the simulated model through the collector's gateway, from one process
 * each (the agent with a hard-coded prompt: train-command-agent-hardcoded-prompt.test.ts). Scores are asserted as `train-command-agent-checks.ts` explains: best > baseline, and the
 * candidates differ from the baseline and reached the model.
 */

const EXAMPLES = fileURLToPath(new URL('../../examples/any-language/', import.meta.url));
const BASELINE_PROMPT = readFileSync(join(EXAMPLES, 'baseline-prompt.txt'), 'utf8');
const SMALL = ['--rounds', '1', '--beam-width', '1', '--branch-factor', '2', '--val-batch-size', '16', '--gradient-batch-size', '3', '--runners', '4', '--val-fraction', '0.5'];

describe('agl train --command', () => {
  it('a plain Python agent (standard library only; it prints its own reward, which wins over the grader) trains by APO: the candidates reach the model, the best validation score is above the baseline; every call is recorded', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'py.duckdb');
    const run = await agl(['train', '--command', `python3 ${join(EXAMPLES, 'room_selector.py')}`, '--grader', join(EXAMPLES, 'grader.ts'), '--dataset', writeTasks(dir), '--prompt-file', join(EXAMPLES, 'baseline-prompt.txt'), '--db', dbPath, ...SMALL], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /command: python3 .*room_selector\.py — once per rollout, model calls through http:\/\/127\.0\.0\.1:\d+\/v1\/agl\/gateway\/rollouts\/<rollout>\/attempts\/<attempt>\/v1/);
    assertScores(run.stdout);
    await assertCallsRecorded(dbPath);
    await assertCandidatesApplied(dbPath, BASELINE_PROMPT);
    const [failed] = await query(dbPath, "SELECT count(*) AS n FROM attempts WHERE status = 'failed'");
    assert.equal(Number(failed!.n), 0);
  });

  it('a Node agent on the plain openai SDK, no instrumentation, graded from its recorded final answer (--grader)', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'node.duckdb');
    const run = await agl(
      ['train', '--command', `node ${join(EXAMPLES, 'agent.mjs')}`, '--grader', join(EXAMPLES, 'grader.ts'), '--dataset', writeTasks(dir), '--prompt-file', join(EXAMPLES, 'baseline-prompt.txt'), '--db', dbPath, ...SMALL],
      dir,
    );
    assert.equal(run.code, 0, run.stderr);
    assertScores(run.stdout);
    await assertCallsRecorded(dbPath);
    await assertCandidatesApplied(dbPath, BASELINE_PROMPT);
    const [rewards] = await query(dbPath, 'SELECT count(*) AS n, count(DISTINCT rollout_id) AS rollouts FROM final_rewards');
    assert.equal(Number(rewards!.n), Number(rewards!.rollouts), 'one final reward per rollout, from the grader');
  });
});
