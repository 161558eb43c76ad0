import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { agl, userProject } from './agl-process.ts';

/**
 * A user's own agent — not an example: an agent module on the plain `openai` SDK, a grader and a
 * JSONL task file written into a temporary project — trained by one `agl train --agent` process on
 * the simulated model. The tests look at what the training does and says (table, saved prompt,
 * failures, warnings, runs), never at the simulator's scores.
 */

const CATEGORIES = ['billing', 'bug', 'feature', 'account'];
const TASKS = Array.from({ length: 16 }, (_, index) => ({
  id: `t${index}`,
  ticket: `Ticket ${index}: the customer writes about a ${CATEGORIES[index % 4]} matter (case ${100 + index})`,
  expected: CATEGORIES[index % 4],
}));
const PROMPT = 'Classify this support ticket as billing, bug, feature or account. Answer with the category only.\nTicket: {ticket}';

/** The grader: 1 when the answer names the expected category. `throws` makes it fail every time. */
function graderSource(throws = false): string {
  return throws
    ? `export function grade(answer: string, expected: string): number {\n  throw new Error(\`grader cannot read the answer for \${expected}\`);\n}\n`
    : `export function grade(answer: string, expected: string): number {\n  return answer.toLowerCase().includes(expected) ? 1 : 0;\n}\n`;
}

/** The agent module: one chat completion with the prompt filled from the task, graded. */
function agentSource(instrumented: boolean): string {
  return [
    instrumented ? "import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';" : '',
    "import OpenAI from 'openai';",
    "import { grade } from './grader.ts';",
    '',
    // The two lines that make the plain SDK's calls visible (what the no-LLM-calls hint names).
    instrumented ? 'new OpenAIInstrumentation().manuallyInstrument(OpenAI);' : '',
    'const openai = new OpenAI();',
    '',
    'interface Ticket { id: string; ticket: string; expected: string }',
    '',
    'export default async function triage(task: Ticket, resources: { prompt: { format(values: object): string } }): Promise<number> {',
    "  const completion = await openai.chat.completions.create({ model: process.env.AGENT_MODEL ?? 'gpt-4.1-nano', temperature: 0,",
    "    messages: [{ role: 'user', content: resources.prompt.format(task) }] });",
    "  return grade(completion.choices[0]?.message?.content ?? '', task.expected);",
    '}',
    '',
  ].join('\n');
}

function project(prefix: string, options: { instrumented?: boolean; grader?: 'ok' | 'throws' } = {}): string {
  const dir = join(tempDir(prefix), 'my-agent');
  userProject(dir, {
    'agent.ts': agentSource(options.instrumented ?? true),
    'grader.ts': graderSource(options.grader === 'throws'),
    'tasks.jsonl': `${TASKS.map((task) => JSON.stringify(task)).join('\n')}\n`,
    'prompt.txt': `${PROMPT}\n`,
  });
  return dir;
}

const SMALL = ['--rounds', '1', '--beam-width', '1', '--branch-factor', '2', '--val-batch-size', '4', '--gradient-batch-size', '3', '--runners', '4'];

async function query(dbPath: string, sql: string): Promise<Record<string, unknown>[]> {
  const database = await Database.open({ path: dbPath, readOnly: true });
  try {
    const result = await runReadOnlyQuery(database, sql);
    return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
  } finally {
    await database.close();
  }
}

describe('agl train --agent (your own agent)', () => {
  it('trains a user agent module from one command: progress, the round table, the best prompt saved, its LLM calls recorded', { timeout: 90_000 }, async () => {
    const dir = project('agl-own-');
    const run = await agl(['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--val-fraction', '0.5', '--prompt-file', 'prompt.txt', '--db', 'own.duckdb', ...SMALL], dir);
    assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    assert.match(run.stdout, /^agl train agent \.\/agent\.ts$/m);
    assert.match(run.stdout, /APO: 1 rounds, beam width 1, branch factor 2, val batch 4, gradient batch 3, seed 0; 4 runners; 8 train \/ 8 validation tasks/);
    assert.match(run.stderr, /SIMULATED model/);
    assert.match(run.stderr, /APO run apo-[0-9a-f]{12}: a new run/);
    assert.match(run.stderr, /rollouts \d+ done, \d+ running, \d+ queued, 0 failed · best/);
    assert.match(run.stdout, /│ baseline +│ 0 +│ rs-[0-9a-f]+ +│ \d\.\d{3} /);
    assert.match(run.stdout, /│ 1 +│ \d+ +│ rs-[0-9a-f]+ +│ \d\.\d{3} /);
    assert.match(run.stdout, /rollouts failed: 0/);
    // Nothing failed, and the critic saw the conversations: no warnings about either.
    assert.doesNotMatch(run.stderr, /failed:|no recorded LLM calls/);
    const saved = readFileSync(join(dir, 'best-prompt.txt'), 'utf8').trim();
    assert.ok(saved.includes('{ticket}'), 'the placeholder is kept');
    assert.ok(run.stdout.includes(`best prompt (saved to ${join(dir, 'best-prompt.txt')}):\n${saved}\n`));
    // The agent's own calls (plain SDK + the instrumentation) are in llm_calls, attributed to its rollouts.
    const [calls] = await query(join(dir, 'own.duckdb'), "SELECT count(*)::INTEGER AS n FROM llm_calls WHERE rollout_id IS NOT NULL AND convention = 'openinference'");
    const [rollouts] = await query(join(dir, 'own.duckdb'), "SELECT count(*)::INTEGER AS n FROM rollouts WHERE status = 'succeeded'");
    assert.ok((rollouts.n as number) >= 8 && calls.n === rollouts.n, `one call per rollout: ${calls.n} calls, ${rollouts.n} rollouts`);
    const rounds = await query(join(dir, 'own.duckdb'), 'SELECT round, failed_rollouts, critiques_without_llm_calls FROM apo_rounds ORDER BY round');
    assert.deepEqual(rounds.map((round) => [round.round, round.failed_rollouts, round.critiques_without_llm_calls]), [[0, 0, 0], [1, 0, 0]]);
  });

  it('takes the same keys in a --config file (paths relative to it; CSV datasets), refusing unknown keys with the known ones', { timeout: 60_000 }, async () => {
    const dir = project('agl-own-config-');
    const csv = (tasks: typeof TASKS) => `id,ticket,expected\n${tasks.map((task) => `${task.id},"${task.ticket.replace('Ticket', '""Ticket""')}",${task.expected}`).join('\n')}\n`;
    writeFileSync(join(dir, 'train.csv'), csv(TASKS.slice(0, 10)));
    writeFileSync(join(dir, 'val.csv'), csv(TASKS.slice(10)));
    const config = join(dir, 'conf', 'train.yaml');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(config, 'agent: ../agent.ts\ndataset: ../train.csv\nvalDataset: ../val.csv\npromptFile: ../prompt.txt\nrunners: 3\ndb: ../c.duckdb\napo:\n  beamRounds: 0\n');
    const run = await agl(['train', '--config', config], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /APO: 0 rounds, beam width 4, branch factor 4, val batch 16, gradient batch 4, seed 0; 3 runners; 10 train \/ 6 validation tasks/);
    assert.match(run.stdout, /│ baseline +│ 0 +│ rs-[0-9a-f]+ /);
    assert.ok(existsSync(join(dir, 'c.duckdb')) && existsSync(join(dir, 'best-prompt.txt')));
    // The CSV's quoted quotes reached the agent: the prompt it sent holds them.
    const [call] = await query(join(dir, 'c.duckdb'), "SELECT input_messages::VARCHAR AS messages FROM llm_calls WHERE rollout_id IS NOT NULL LIMIT 1");
    assert.match(String(call.messages), /\\"Ticket\\" \d+: the customer writes/);

    writeFileSync(config, 'agent: ../agent.ts\ndatasets: ../train.csv\n');
    const unknown = await agl(['train', '--config', config], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown key `datasets` \(known: example, agent, command, grader, timeout, gatewayPrompt, dataset, valDataset, valFraction, prompt, promptFile, algorithm, /);
    writeFileSync(join(dir, 'bad.csv'), 'id,ticket,expected\nt1,"fine",bug\nt2,"unclosed,bug\n');
    const bad = await agl(['train', '--agent', './agent.ts', '--dataset', 'bad.csv', '--prompt-file', 'prompt.txt'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /agl train: .*my-agent\/bad\.csv:3: the quoted field opened on line 3 is never closed/);
    const bare = await agl(['train', './agent.ts'], dir);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /unknown example `\.\/agent\.ts` .*for your own agent module: --agent \.\/agent\.ts/);
  });

  it('stops before training when the prompt names a placeholder the tasks do not have (exit 1)', { timeout: 30_000 }, async () => {
    const dir = project('agl-own-placeholder-');
    const run = await agl(['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--prompt', 'Ticket {ticket} from {customer_name}', '--db', 'p.duckdb'], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /the placeholder `customer_name` has no value \(the task's fields: id, ticket, expected\)/);
    assert.doesNotMatch(run.stdout, /collector:/, 'nothing was started');
    assert.equal(existsSync(join(dir, 'p.duckdb')), false);
  });

  it('a grader that throws: the first failure is logged with its rollout id and origin, repeats counted, exit 1 when the baseline fails entirely', { timeout: 60_000 }, async () => {
    const dir = project('agl-own-throws-', { grader: 'throws' });
    const run = await agl(['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--prompt-file', 'prompt.txt', '--db', 't.duckdb', ...SMALL], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    // The first occurrence, once (the message names each task's category; the place is the same).
    const first = [...run.stderr.matchAll(/Rollout (ro-[0-9a-f]+) \(attempt at-[0-9a-f]+\) failed: Error: grader cannot read the answer for \w+ \(at ([^)]+)\)/g)];
    assert.equal(first.length, 1, run.stderr);
    assert.match(first[0][2], /my-agent\/grader\.ts:2:\d+$/);
    // The repeats are counted, in the summary at the end.
    assert.match(run.stderr, /16 rollout attempt\(s\) failed, 1 distinct failure\(s\):\n {2}16 × Error: grader cannot read the answer for \w+ \(at [^)]*grader\.ts:2:\d+\) — first in rollout ro-/);
    // APO reports the failed share, then stops with the first error.
    assert.match(run.stderr, /APO round 0: 16 of 16 val rollouts of rs-[0-9a-f]+ failed \(100%\)/);
    assert.match(run.stderr, /the baseline evaluation failed entirely — all 16 validation rollouts of the initial prompt rs-[0-9a-f]+ failed\. First error: Error: grader cannot read the answer for \w+ \(at [^)]*grader\.ts:2:\d+\) — rollout ro-/);
    assert.doesNotMatch(run.stdout, /best prompt/);
    assert.equal(existsSync(join(dir, 'best-prompt.txt')), false);
    // The error is kept with each failed attempt.
    const [attempt] = await query(join(dir, 't.duckdb'), "SELECT metadata->>'$.error.message' AS message, metadata->>'$.error.origin' AS origin FROM attempts WHERE status = 'failed' LIMIT 1");
    assert.match(String(attempt.message), /^grader cannot read the answer for/);
    assert.match(String(attempt.origin), /grader\.ts:2:\d+$/);
  });

  it('--algorithm baseline evaluates the prompt; all rollouts failing exits 1 with the first error', { timeout: 60_000 }, async () => {
    const good = project('agl-own-baseline-');
    const ok = await agl(['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--prompt-file', 'prompt.txt', '--algorithm', 'baseline', '--db', 'b.duckdb'], good);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /baseline \(resources rs-[0-9a-f]+\): mean reward \d\.\d{3} over 16 tasks — 16 succeeded, 0 failed \(0%\)/);
    const bad = project('agl-own-baseline-bad-', { grader: 'throws' });
    const failed = await agl(['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--prompt-file', 'prompt.txt', '--algorithm', 'baseline', '--db', 'b.duckdb'], bad);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stderr, /Baseline: 16 of 16 rollouts failed \(100%\)/);
    assert.match(failed.stderr, /the baseline evaluation failed entirely — all 16 rollouts failed\. First error: Error: grader cannot read/);
  });

  it('warns, with what to add, when critiques are written from rollouts without LLM calls, and records it in apo_rounds', { timeout: 60_000 }, async () => {
    const dir = project('agl-own-blind-', { instrumented: false });
    const run = await agl(['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--prompt-file', 'prompt.txt', '--db', 'n.duckdb', ...SMALL], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const warnings = run.stderr.match(/is written from 3 rollouts with no recorded LLM calls/g) ?? [];
    assert.equal(warnings.length, 1, 'warned once, then counted');
    assert.match(run.stderr, /plain `openai` SDK records nothing by itself.*new OpenAIInstrumentation\(\)\.manuallyInstrument\(OpenAI\)/);
    assert.match(run.stdout, /critiques written without LLM calls: 2/);
    const rounds = await query(join(dir, 'n.duckdb'), 'SELECT round, critiques_without_llm_calls FROM apo_rounds ORDER BY round');
    assert.deepEqual(rounds.map((round) => [round.round, round.critiques_without_llm_calls]), [[0, 0], [1, 2]]);
  });

  it('a run is what was asked for: another prompt starts a new run; the same settings resume; --resume insists', { timeout: 120_000 }, async () => {
    const dir = project('agl-own-runs-');
    const base = ['train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--db', 'runs.duckdb', ...SMALL];
    const first = await agl([...base, '--prompt-file', 'prompt.txt', '--out', 'first.txt'], dir);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const firstRun = /APO run: (apo-[0-9a-f]{12})/.exec(first.stdout)?.[1];
    assert.ok(firstRun);

    const otherPrompt = 'You triage support tickets. Reply with one word: billing, bug, feature or account.\n{ticket}';
    const second = await agl([...base, '--prompt', otherPrompt, '--out', 'second.txt'], dir);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const secondRun = /APO run: (apo-[0-9a-f]{12})/.exec(second.stdout)?.[1];
    assert.ok(secondRun && secondRun !== firstRun, `a new run: ${secondRun} vs ${firstRun}`);
    assert.match(second.stderr, new RegExp(`APO run ${secondRun}: a new run`));
    assert.ok(readFileSync(join(dir, 'second.txt'), 'utf8').includes('You triage support tickets'), 'the second run trained its own prompt, not the first run\'s');

    // The same settings with --resume: that run, after its last round (one more round asked for).
    const resumed = await agl([...base, '--prompt', otherPrompt, '--resume', '--rounds', '2'], dir);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`APO run ${secondRun}: resuming after round 1 `));
    assert.match(resumed.stdout, /│ 2 +│/);
    const rounds = await query(join(dir, 'runs.duckdb'), 'SELECT run_id, count(*)::INTEGER AS n FROM apo_rounds GROUP BY run_id ORDER BY run_id');
    assert.deepEqual(Object.fromEntries(rounds.map((row) => [row.run_id, row.n])), { [firstRun]: 2, [secondRun]: 3 });

    // --resume with nothing matching: a clear error, exit 1, listing the runs there.
    const nothing = await agl([...base, '--prompt', 'A third prompt: {ticket}', '--resume'], dir);
    assert.equal(nothing.code, 1, nothing.stdout + nothing.stderr);
    assert.match(nothing.stderr, /Nothing to resume: no APO run with this initial prompt, these datasets and options \(apo-[0-9a-f]{12}\) in the store\. Runs there: /);
    assert.ok(nothing.stderr.includes(firstRun) && nothing.stderr.includes(secondRun));
    // Resuming by run id: another prompt given, the named run continues with its own prompts, and says so.
    const byId = await agl([...base, '--prompt', 'A third prompt: {ticket}', '--run-id', firstRun, '--rounds', '2'], dir);
    assert.equal(byId.code, 0, byId.stdout + byId.stderr);
    assert.match(byId.stderr, new RegExp(`APO run ${firstRun}: resuming after round 1 .*started with another prompt, datasets or options`));
  });
});
