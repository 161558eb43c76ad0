import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { agl } from './agl-process.ts';
import { assertCallsRecorded, assertCandidatesApplied, assertScores, query, writeTasks } from './train-command-agent-checks.ts';

/**
 * `agl train --command … --gateway-prompt system`: an agent whose prompt is hard-coded and which
 * never reads a resource (examples/any-language/hardcoded_prompt.py), trained by APO on the
 * simulated model because the collector's gateway puts each candidate prompt into its model calls.
 * Scores are asserted as `train-command-agent-checks.ts` explains.
 */

const EXAMPLES = fileURLToPath(new URL('../../examples/any-language/', import.meta.url));
const BASELINE_PROMPT = readFileSync(join(EXAMPLES, 'baseline-prompt.txt'), 'utf8');
const SMALL = ['--rounds', '1', '--beam-width', '1', '--branch-factor', '2', '--val-batch-size', '16', '--gradient-batch-size', '3', '--runners', '4', '--val-fraction', '0.5'];

describe('agl train --command with gateway prompt application', () => {
  it(
    "an agent with a hard-coded prompt, its tasks in Agent Lightning's layout (task_input), trained with the gateway putting each candidate prompt in its system message: the calls carry the candidates, never the agent's own prompt",
    { timeout: 90_000 },
    async () => {
      const dir = tempDir();
      const dbPath = join(dir, 'hard.duckdb');
      const run = await agl(
        [
          'train', '--command', `python3 ${join(EXAMPLES, 'hardcoded_prompt.py')}`, '--gateway-prompt', 'system', '--grader', join(EXAMPLES, 'grader.ts'),
          '--dataset', writeTasks(dir), '--prompt-file', join(EXAMPLES, 'baseline-prompt.txt'), '--db', dbPath, ...SMALL,
        ],
        dir,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /the prompt being tried put in by the gateway: system/);
      assertScores(run.stdout);
      await assertCallsRecorded(dbPath);
      // Every call's system message is its rollout's candidate, rendered with the task_input's fields.
      const calls = await query(
        dbPath,
        `SELECT json_extract_string(r.input, '$.task_input.attendees') AS attendees, json_extract_string(c.input_messages, '$[0].role') AS role,
                json_extract_string(c.input_messages, '$[0].content') AS system
         FROM llm_calls c JOIN rollouts r USING (rollout_id)`,
      );
      for (const call of calls) {
        assert.equal(call.role, 'system');
        assert.notEqual(call.system, 'You are a scheduling assistant.', 'the hard-coded prompt never reached the model');
        assert.ok(String(call.system).includes(`, ${String(call.attendees)} attendees.`), `rendered from task_input: ${String(call.system)}`);
      }
      await assertCandidatesApplied(dbPath, BASELINE_PROMPT);
      // APO kept the gateway_prompt resource in every candidate.
      const [resources] = await query(
        dbPath,
        `SELECT count(*) AS versions, count(*) FILTER (WHERE json_extract_string(resources, '$.gateway_prompt.mode') = 'system') AS with_gateway_prompt FROM resources`,
      );
      assert.ok(Number(resources!.versions) >= 2, `candidates: ${resources!.versions}`);
      assert.equal(Number(resources!.with_gateway_prompt), Number(resources!.versions), 'every candidate keeps the gateway_prompt resource');
    },
  );
});
