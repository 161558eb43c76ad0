import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';

/**
 * Checks shared by the `agl train --command` tests: training worked structurally — the candidates
 * differ from the baseline and reached the model in the rollouts that tried them — and the best
 * validation score is above the baseline's (never an exact score: the simulated model is graded;
 * its agent calls run at temperature 0, where a prompt's score depends on what it states, so a
 * round whose critique adds a rule the failing rollouts missed scores higher).
 */

const ROOM_TASKS = fileURLToPath(new URL('../../examples/room-selector/data/room_tasks.jsonl', import.meta.url));

/** The first 32 room tasks (16 train, 16 validation), in Agent Lightning's layout (the fields under `task_input`). */
export function writeTasks(dir: string): string {
  const lines = readFileSync(ROOM_TASKS, 'utf8').trim().split('\n').slice(0, 32);
  const path = join(dir, 'tasks.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Every rollout of the run made its model calls through the gateway, and each is in llm_calls with the rollout's ids. */
export async function assertCallsRecorded(dbPath: string): Promise<void> {
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

/** Rows of a read-only query on the file at `dbPath`, keyed by column name. */
export async function query(dbPath: string, sql: string): Promise<Record<string, unknown>[]> {
  const database = await Database.open({ path: dbPath });
  try {
    const result = await runReadOnlyQuery(database, sql, { maxRows: 100_000, maxBytes: 64 * 1024 * 1024, maxMemoryGrowthBytes: null });
    return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
  } finally {
    await database.close();
  }
}

/** The baseline and best validation scores of `agl train`'s report; asserts both are there and best > baseline. */
export function assertScores(stdout: string): { baseline: number; best: number } {
  const baseline = Number(/baseline validation score: ([\d.]+)/.exec(stdout)?.[1]);
  const best = Number(/best validation score: ([\d.]+)/.exec(stdout)?.[1]);
  assert.ok(Number.isFinite(baseline) && Number.isFinite(best), `scores in the report:\n${stdout}`);
  assert.ok(best > baseline, `best ${best} > baseline ${baseline}:\n${stdout}`);
  return { baseline, best };
}

/** The text of every message content (strings and text parts) of a recorded `input_messages` value. */
function messageTexts(inputMessages: unknown): string {
  const messages = (typeof inputMessages === 'string' ? JSON.parse(inputMessages) : inputMessages) as { content?: unknown; parts?: { content?: unknown }[] }[];
  const texts: string[] = [];
  for (const message of messages ?? []) {
    if (typeof message.content === 'string') texts.push(message.content);
    for (const part of message.parts ?? []) if (typeof part.content === 'string') texts.push(part.content);
  }
  return texts.join('\n');
}

/**
 * APO tried prompts other than the baseline, and each reached the model: for every rollout run with
 * an edited candidate (a template that extends the baseline), the lines the edit added appear in
 * the messages of its recorded calls. Returns how many rollouts of edited candidates were checked.
 */
export async function assertCandidatesApplied(dbPath: string, baselineTemplate: string): Promise<number> {
  const rows = await query(
    dbPath,
    `SELECT r.rollout_id, any_value(json_extract_string(res.resources, '$.prompt_template.template')) AS template,
            list(c.input_messages::VARCHAR) AS calls
     FROM rollouts r JOIN resources res USING (resources_id) JOIN llm_calls c ON c.rollout_id = r.rollout_id
     GROUP BY r.rollout_id`,
  );
  const baseline = baselineTemplate.trim();
  const edited = rows.filter((row) => String(row.template).trim() !== baseline);
  assert.ok(edited.length > 0, 'rollouts ran with candidates other than the baseline');
  let checked = 0;
  for (const row of edited) {
    const template = String(row.template);
    if (!template.startsWith(baseline)) continue;
    const added = template.slice(baseline.length).split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.includes('{'));
    const texts = (row.calls as string[]).map(messageTexts).join('\n');
    for (const line of added) assert.ok(texts.includes(line), `rollout ${String(row.rollout_id)}: its candidate's line ${JSON.stringify(line)} reached the model`);
    checked += 1;
  }
  assert.ok(checked > 0, 'an edited candidate extending the baseline was checked');
  return checked;
}
