import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { JsonFileMemory } from '../../examples/math-agent/agent-memory.ts';
import { ConfigError, loadAgentConfig, parseCommandLine } from '../../examples/math-agent/config.ts';
import { generateMathDataset, trainDataset, valDataset } from '../../examples/math-agent/math-dataset.ts';
import { extractAnswer, mathReward } from '../../examples/math-agent/math-reward.ts';
import { PromptManager } from '../../examples/math-agent/prompt-manager.ts';
import type { BestPromptsFile } from '../../examples/math-agent/prompt-manager.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { queryFile, runExample } from './run-example.ts';

const TRAIN = 'examples/math-agent/train.ts';

describe('math agent: pieces', () => {
  test('generateMathDataset is seeded, sized and correct', () => {
    const train = trainDataset();
    const val = valDataset();
    assert.equal(train.length, 20);
    assert.equal(val.length, 10);
    assert.deepEqual(generateMathDataset(20, 42), train, 'same seed, same tasks');
    assert.notDeepEqual(val.map((task) => task.n), train.slice(0, 10).map((task) => task.n), 'seeds 42 and 123 differ');
    assert.ok(new Set(train.map((task) => task.n)).size > 10, 'N varies');
    for (const task of [...train, ...val]) {
      assert.equal(task.question, `Calculate the sum from 1 to ${task.n}`);
      let sum = 0;
      for (let i = 1; i <= task.n; i++) sum += i;
      assert.equal(task.answer, sum);
    }
    assert.throws(() => generateMathDataset(-1, 1), RangeError);
  });

  test('the reward: exact 1, the off-by-one partial credit, far or missing 0', () => {
    assert.equal(extractAnswer('1 + 2 + … + 99\nAnswer: 4,950'), 4950);
    assert.equal(extractAnswer('so \\boxed{55}'), 55);
    assert.equal(extractAnswer('#### 10'), 10);
    assert.equal(mathReward('Answer: 5050', 5050), 1);
    const offByOne = mathReward('Answer: 4950', 5050);
    assert.ok(offByOne > 0 && offByOne < 0.5, `off-by-one earns partial credit, got ${offByOne}`);
    assert.ok(mathReward('Answer: 5049', 5050) > offByOne, 'closer earns more');
    assert.equal(mathReward('Answer: 2500', 5050), 0);
    assert.equal(mathReward('I cannot say', 5050), 0);
    assert.equal(mathReward(null, 5050), 0);
  });

  test('configs are validated from flags and environment', () => {
    const { training, agent } = parseCommandLine(['--algorithm', 'baseline', '--iterations', '3', '--train-size', '5', '--dry-run', '--memory', 'none'], {});
    assert.equal(training.algorithm, 'baseline');
    assert.equal(training.iterations, 3);
    assert.equal(training.trainSize, 5);
    assert.equal(training.valSize, 10);
    assert.equal(training.dryRun, true);
    assert.equal(agent.memoryPath, null);
    assert.equal(parseCommandLine([], { AGL_SERVER: 'http://127.0.0.1:9/' }).training.server, 'http://127.0.0.1:9/');
    assert.throws(() => parseCommandLine(['--algorithm', 'sgd'], {}), (error: unknown) => error instanceof ConfigError && /algorithm/.test(error.message));
    assert.throws(() => parseCommandLine(['--iterations', 'two'], {}), /iterations/);
    assert.throws(() => parseCommandLine(['--train-size', '0'], {}), /trainSize/);
    assert.throws(() => parseCommandLine(['--bogus'], {}), ConfigError);
    const config = loadAgentConfig({ apiKey: 'k' }, { OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', MATH_AGENT_TEMPERATURE: '0.5', MATH_AGENT_MODEL: 'm' });
    assert.deepEqual(config, { baseURL: 'http://127.0.0.1:8000/v1', apiKey: 'k', model: 'm', temperature: 0.5, memoryPath: './math-agent-memory.json' });
    assert.throws(() => loadAgentConfig({ apiKey: 'k' }, {}), /baseURL/);
    assert.throws(() => loadAgentConfig({ apiKey: 'k' }, { OPENAI_BASE_URL: 'http://x/v1', MATH_AGENT_TEMPERATURE: '9' }), /temperature/);
  });

  test('the prompt manager keeps every prompt and marks the best active', () => {
    const manager = new PromptManager(join(tempDir(), 'best_prompts.json'));
    assert.equal(manager.active(), undefined);
    manager.save('a {question}', 0.4, { algorithm: 'baseline' });
    manager.save('b {question}', 0.9, { algorithm: 'apo' });
    manager.save('c {question}', 0.9, { algorithm: 'apo' });
    const file = manager.load();
    assert.equal(file.prompts.length, 3);
    assert.equal(file.activeId, 'prompt-2', 'a tie does not displace the active prompt');
    assert.deepEqual(file.prompts.map((prompt) => prompt.active), [false, true, false]);
    assert.equal(manager.active()?.template, 'b {question}');
    assert.deepEqual(manager.active()?.metadata, { algorithm: 'apo' });
  });

  test('the memory survives a reload and concurrent writes', async () => {
    const path = join(tempDir(), 'memory.json');
    const memory = new JsonFileMemory(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => memory.remember({ question: `q${i}`, answer: `a${i}`, reward: i / 20, resourcesId: 'rs-1', solvedAt: 'now' })));
    const reloaded = new JsonFileMemory(path);
    assert.equal(reloaded.entries().length, 20);
    assert.equal(reloaded.recall('q7')?.answer, 'a7');
  });
});

describe('math agent: train.ts end to end on the simulated model', () => {
  test('--algorithm baseline --dry-run: the agent runs, its AI SDK spans land in llm_calls, nothing is written', { timeout: 40_000 }, async () => {
    const dir = tempDir();
    const db = join(dir, 'agl.duckdb');
    const bestPrompts = join(dir, 'best_prompts.json');
    const memory = join(dir, 'memory.json');
    const run = await runExample(TRAIN, ['--algorithm', 'baseline', '--dry-run', '--db', db, '--best-prompts', bestPrompts, '--memory', memory]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /No OPENAI_BASE_URL \/ OPENAI_API_KEY: using the SIMULATED model/);
    assert.match(run.stdout, /dry run: nothing trained, nothing written/);
    const taskLines = run.stdout.split('\n').filter((line) => /^Calculate the sum from 1 to \d+\s+[\d.]+\s+succeeded$/.test(line));
    assert.equal(taskLines.length, 3, run.stdout);
    assert.equal(existsSync(bestPrompts), false, 'a dry run saves no prompt');
    assert.equal(existsSync(memory), false, 'a dry run writes no memory');

    // One primary reward per rollout, in [0, 1] (what the simulated model scores is its own business).
    const rewards = await queryFile(db, 'SELECT value FROM rewards WHERE is_primary');
    assert.equal(rewards.length, 3);
    for (const { value } of rewards) assert.ok(Number(value) >= 0 && Number(value) <= 1, `a reward in [0, 1], got ${value}`);

    const calls = await queryFile(
      db,
      `SELECT c.rollout_id, c.model, c.convention, c.input_messages::VARCHAR AS input, c.output_messages::VARCHAR AS output,
              c.input_tokens, c.output_tokens, s.name AS span_name, r.input::VARCHAR AS task
         FROM llm_calls c JOIN spans s ON s.span_id = c.span_id JOIN rollouts r ON r.rollout_id = c.rollout_id`,
    );
    assert.equal(calls.length, 3, 'one LLM call per rollout, counted once (the provider-call span)');
    for (const call of calls) {
      assert.equal(call.convention, 'vercel_ai');
      assert.equal(call.span_name, 'ai.generateText.doGenerate');
      assert.equal(call.model, 'gpt-4.1-nano');
      const input = JSON.parse(String(call.input)) as { role: string; content: string }[];
      const output = JSON.parse(String(call.output)) as { role: string; content: string }[];
      const task = JSON.parse(String(call.task)) as { question: string; n: number };
      assert.deepEqual(input.map((message) => message.role), ['system', 'user']);
      assert.ok(input[1].content.includes(task.question), 'the rollout is the one whose task the call was about');
      assert.equal(output[0].role, 'assistant');
      assert.match(output[0].content, /Answer: \d+/);
      assert.ok(Number(call.input_tokens) > 0 && Number(call.output_tokens) > 0, `tokens ${call.input_tokens}/${call.output_tokens}`);
    }
    const unstamped = await queryFile(db, `SELECT name FROM spans WHERE name LIKE 'ai.%' AND rollout_id IS NULL`);
    assert.deepEqual(unstamped, [], 'every AI SDK span is attributed to its rollout');
  });

  test('--algorithm apo: the best prompt beats the baseline, is saved active with its metadata, the memory is kept', { timeout: 40_000 }, async () => {
    const dir = tempDir();
    const db = join(dir, 'agl.duckdb');
    const bestPrompts = join(dir, 'best_prompts.json');
    const memory = join(dir, 'memory.json');
    const run = await runExample(TRAIN, ['--algorithm', 'apo', '--iterations', '1', '--db', db, '--best-prompts', bestPrompts, '--memory', memory]);
    assert.equal(run.code, 0, run.stderr);

    const file = JSON.parse(readFileSync(bestPrompts, 'utf8')) as BestPromptsFile;
    assert.equal(file.prompts.length, 1);
    const saved = file.prompts[0];
    assert.equal(file.activeId, saved.id);
    assert.equal(saved.active, true);
    const baselineScore = saved.metadata.baselineScore as number;
    assert.ok(typeof baselineScore === 'number' && baselineScore > 0 && baselineScore < 1, `baseline ${baselineScore}`);
    assert.ok(saved.reward > baselineScore, `best ${saved.reward} should beat baseline ${baselineScore}`);
    assert.ok(saved.template.includes('{question}'), 'the placeholder survives the edits');
    assert.match(run.stdout, new RegExp(`best validation score: ${saved.reward.toFixed(3)}`));

    // The saved score is what the store recorded for that resources version on the validation set.
    const scored = await queryFile(
      db,
      `SELECT avg(w.value) AS mean, count(*) AS n FROM rollouts r JOIN rewards w ON w.rollout_id = r.rollout_id AND w.is_primary
        WHERE r.resources_id = '${saved.metadata.resourcesId as string}' AND r.mode = 'val'`,
    );
    assert.ok(Number(scored[0].n) >= 10, `the best prompt ran on the validation set, ${scored[0].n} rollouts`);
    assert.ok(Math.abs(Number(scored[0].mean) - saved.reward) < 1e-9, `SQL mean ${scored[0].mean} vs saved ${saved.reward}`);

    // APO's critique read the agent's LLM calls: there are AI SDK calls for train-mode rollouts.
    const trainCalls = await queryFile(db, `SELECT count(*) AS n FROM llm_calls c JOIN rollouts r ON r.rollout_id = c.rollout_id WHERE r.mode = 'train' AND c.convention = 'vercel_ai'`);
    assert.ok(Number(trainCalls[0].n) > 0);

    const remembered = new JsonFileMemory(memory).entries();
    assert.ok(remembered.length > 0, 'the agent remembered what it solved');
    assert.ok(remembered.every((entry) => entry.question.startsWith('Calculate the sum from 1 to ') && entry.resourcesId?.startsWith('rs-')));

    // A second baseline run starts from the active prompt and keeps it active.
    const again = await runExample(TRAIN, ['--algorithm', 'baseline', '--val-size', '5', '--db', join(dir, 'again.duckdb'), '--best-prompts', bestPrompts, '--memory', 'none']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /starting prompt \(best_prompts\)/);
    const after = JSON.parse(readFileSync(bestPrompts, 'utf8')) as BestPromptsFile;
    assert.equal(after.prompts.length, 2);
    assert.equal(after.prompts[1].template, saved.template);
  });

  test('bad flags exit 2 with the usage, before any model is started', { timeout: 20_000 }, async () => {
    const run = await runExample(TRAIN, ['--algorithm', 'sgd']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /algorithm/);
    assert.match(run.stderr, /Usage:/);
    assert.doesNotMatch(run.stderr, /using the SIMULATED model/);
  });
});
