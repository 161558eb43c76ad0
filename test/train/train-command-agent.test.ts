import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { agl } from './agl-process.ts';

/**
 * `agl train --command`: agents with no OpenTelemetry and no Agent Lightning code, in Python and in
 * Node, trained by APO on the simulated model through the collector's gateway, from one process
 * each; and an agent with a hard-coded prompt trained through the gateway's prompt application.
 */

const EXAMPLES = fileURLToPath(new URL('../../examples/any-language/', import.meta.url));
const ROOM_TASKS = fileURLToPath(new URL('../../examples/room-selector/data/room_tasks.jsonl', import.meta.url));
const SMALL = ['--rounds', '1', '--beam-width', '1', '--branch-factor', '2', '--val-batch-size', '16', '--gradient-batch-size', '3', '--runners', '4', '--val-fraction', '0.5'];

/** The first 32 room tasks (16 train, 16 validation), as they are or flattened (task_input's fields on the task). */
function writeTasks(dir: string, flat = false): string {
  const lines = readFileSync(ROOM_TASKS, 'utf8').trim().split('\n').slice(0, 32);
  const tasks = lines.map((line) => {
    const task = JSON.parse(line) as { id: string; task_input: Record<string, unknown>; expected_choice: string };
    return flat ? { id: task.id, ...task.task_input, expected_choice: task.expected_choice } : task;
  });
  const path = join(dir, flat ? 'flat-tasks.jsonl' : 'tasks.jsonl');
  writeFileSync(path, `${tasks.map((task) => JSON.stringify(task)).join('\n')}\n`);
  return path;
}

async function query(dbPath: string, sql: string): Promise<Record<string, unknown>[]> {
  const database = await Database.open({ path: dbPath });
  try {
    const result = await runReadOnlyQuery(database, sql, { maxRows: 100_000, maxBytes: 64 * 1024 * 1024, maxMemoryGrowthBytes: null });
    return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
  } finally {
    await database.close();
  }
}

function scores(stdout: string): { baseline: number; best: number } {
  const baseline = Number(/baseline validation score: ([\d.]+)/.exec(stdout)?.[1]);
  const best = Number(/best validation score: ([\d.]+)/.exec(stdout)?.[1]);
  return { baseline, best };
}

/** Every rollout of the run made its model calls through the gateway, and each is in llm_calls with the rollout's ids. */
async function assertCallsRecorded(dbPath: string): Promise<void> {
  const [row] = await query(
    dbPath,
    `SELECT (SELECT count(*) FROM rollouts) AS rollouts,
            (SELECT count(*) FROM rollouts r WHERE NOT EXISTS (SELECT 1 FROM llm_calls c WHERE c.rollout_id = r.rollout_id AND c.attempt_id = r.latest_attempt_id)) AS without_calls,
            (SELECT count(*) FROM spans WHERE scope_name = 'agentlightning.gateway') AS gateway_spans,
            (SELECT count(*) FROM llm_calls WHERE rollout_id IS NOT NULL AND attempt_id IS NOT NULL) AS calls_with_rollout`,
  );
  assert.ok(Number(row!.rollouts) >= 32, `rollouts: ${row!.rollouts}`);
  assert.equal(Number(row!.without_calls), 0, 'every rollout has its model calls in llm_calls');
  assert.ok(Number(row!.gateway_spans) >= 2 * Number(row!.rollouts), `two calls per rollout (tool, answer): ${row!.gateway_spans}`);
  assert.equal(Number(row!.calls_with_rollout), Number(row!.gateway_spans), 'every gateway call is an llm_calls row with its rollout');
}

describe('agl train --command', () => {
  it('a plain Python agent (standard library only; it prints its own reward, which wins over the grader) trains by APO: the best validation score beats the baseline; every call is recorded', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'py.duckdb');
    const run = await agl(['train', '--command', `python3 ${join(EXAMPLES, 'room_selector.py')}`, '--grader', join(EXAMPLES, 'grader.ts'), '--dataset', writeTasks(dir), '--prompt-file', join(EXAMPLES, 'baseline-prompt.txt'), '--db', dbPath, ...SMALL], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /command: python3 .*room_selector\.py — once per rollout, model calls through http:\/\/127\.0\.0\.1:\d+\/v1\/agl\/gateway\/rollouts\/<rollout>\/attempts\/<attempt>\/v1/);
    const { baseline, best } = scores(run.stdout);
    assert.ok(best > baseline, `best ${best} > baseline ${baseline}`);
    await assertCallsRecorded(dbPath);
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
    const { baseline, best } = scores(run.stdout);
    assert.ok(best > baseline, `best ${best} > baseline ${baseline}`);
    await assertCallsRecorded(dbPath);
    const [rewards] = await query(dbPath, 'SELECT count(*) AS n, count(DISTINCT rollout_id) AS rollouts FROM final_rewards');
    assert.equal(Number(rewards!.n), Number(rewards!.rollouts), 'one final reward per rollout, from the grader');
  });

  it(
    'an agent with a hard-coded prompt, trained with the gateway putting each candidate prompt in its system message: the calls carry the candidates and the score rises',
    {
      timeout: 90_000,
      // The store API refuses a `gateway_prompt` resource (its resource_type must be llm, proxy_llm or
      // prompt_template), so prompt application cannot be asked for over HTTP yet: §1's to open.
      todo: 'the store API refuses the gateway_prompt resource that turns prompt application on',
    },
    async () => {
      const dir = tempDir();
      const dbPath = join(dir, 'hard.duckdb');
      const run = await agl(
        [
          'train', '--command', `python3 ${join(EXAMPLES, 'hardcoded_prompt.py')}`, '--gateway-prompt', 'system', '--grader', join(EXAMPLES, 'grader.ts'),
          '--dataset', writeTasks(dir, true), '--prompt-file', join(EXAMPLES, 'baseline-prompt.txt'), '--db', dbPath, ...SMALL,
        ],
        dir,
      );
      assert.equal(run.code, 0, run.stderr);
      const { baseline, best } = scores(run.stdout);
      assert.ok(best > baseline, `best ${best} > baseline ${baseline}`);
      await assertCallsRecorded(dbPath);
      // The recorded system messages are the candidate prompts (rendered), never the agent's own.
      const systems = await query(
        dbPath,
        `SELECT DISTINCT r.resources_id, json_extract_string(c.input_messages, '$[0].content') AS system
         FROM llm_calls c JOIN rollouts r USING (rollout_id)`,
      );
      assert.ok(systems.every((row) => row.system !== 'You are a scheduling assistant.'), 'the hard-coded prompt never reached the model');
      assert.ok(new Set(systems.map((row) => row.resources_id)).size >= 2, 'several candidate prompts were applied');
      assert.ok(systems.some((row) => /Rules|rule/i.test(String(row.system))), 'an edited candidate (with rules) reached the model');
    },
  );
});
