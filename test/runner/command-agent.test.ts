import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Collector } from '../../collector/index.ts';
import { PromptTemplate, toNamedResources } from '../../src/agent/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { CommandAgent, RunnerPool, appendRolloutResourceAttributes, parsePrintedReward } from '../../src/runner/index.ts';
import type { CommandAgentOptions } from '../../src/runner/index.ts';
import type { StoreClient } from '../../src/store/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import type { Rollout } from '../../src/store/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { queryRows } from '../helpers/collector.ts';
import { startRunnerTestBed } from '../helpers/runner-test-bed.ts';
import type { RunnerTestBed } from '../helpers/runner-test-bed.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * The command runner with real processes against a real collector over HTTP: the environment
 * contract, the task on stdin, the reward from a printed line, from the command's own reward span
 * (its own OpenTelemetry SDK, configured by the standard variables only) and from a grader.
 */

const FIXTURES = fileURLToPath(new URL('./fixtures/command/', import.meta.url));
let bed: RunnerTestBed;
let collector: Collector;
let tracer: OtelTracer;
let client: StoreClient;
let sim: SimLlmServer;
const silent = createLogger('silent');

before(async () => {
  sim = await SimLlmServer.start({ port: 0 });
  // The gateway holds its calls for a minute before storing them: only a flush gets them in sooner.
  bed = await startRunnerTestBed('command-runner-test', {
    gateway: { upstreamUrl: sim.baseURL, upstreamApiKey: null },
    gatewayRecording: { batchDelayMillis: 60_000 },
  });
  ({ collector, tracer, client } = bed);
});
after(async () => {
  await bed.close();
  await sim.close();
});

async function runCommand(spec: Omit<CommandAgentOptions, 'server'>, inputs: unknown[], nRunners = 2): Promise<Rollout[]> {
  const agent = new CommandAgent({ server: collector.url, cwd: FIXTURES, logger: silent, ...spec });
  const pool = new RunnerPool({ store: client, agent, tracer, nRunners, logger: silent, minPollIntervalMillis: 5, maxPollIntervalMillis: 50 }).start();
  try {
    const rollouts = await client.enqueueRollouts(inputs.map((input) => ({ input })));
    return await collector.store.waitForRollouts(rollouts.map((item) => item.rollout_id), { timeoutSeconds: 30 });
  } finally {
    await pool.stop();
  }
}

function ids(rollouts: Rollout[]): string {
  return rollouts.map((item) => `'${item.rollout_id}'`).join(',');
}

describe('parsePrintedReward', () => {
  it('reads a number or {"reward": …} on the last non-empty line, nothing else', () => {
    assert.deepEqual(parsePrintedReward('thinking\n0.75\n\n'), { value: 0.75 });
    assert.deepEqual(parsePrintedReward('-1e-3'), { value: -0.001 });
    assert.deepEqual(parsePrintedReward('{"reward": 1}'), { value: 1 });
    assert.deepEqual(parsePrintedReward('x\n{"reward": {"accuracy": 1, "cost": 0.2}}'), { dimensions: { accuracy: 1, cost: 0.2 } });
    for (const garbage of ['', 'the answer is 4', '0.5 points', 'NaN', 'Infinity', '{"reward": "high"}', '{"score": 1}', '{"reward": {}}', '[1]', '0.5\nbye']) {
      assert.equal(parsePrintedReward(garbage), null, garbage);
    }
  });

  it('appends the rollout ids to inherited resource attributes, percent-encoded, replacing stale ones', () => {
    assert.equal(
      appendRolloutResourceAttributes('service.name=my agent,agentlightning.rollout_id=old', 'ro-1', 'at,=%2'),
      'service.name=my agent,agentlightning.rollout_id=ro-1,agentlightning.attempt_id=at%2C%3D%252',
    );
    assert.equal(appendRolloutResourceAttributes(undefined, 'ro-1', 'at-1'), 'agentlightning.rollout_id=ro-1,agentlightning.attempt_id=at-1');
  });
});

describe('CommandAgent', () => {
  it('gives each rollout the environment contract and the task on stdin; a printed {"reward": {…}} becomes a reward span with its dimensions', async () => {
    const dumpDir = tempDir();
    const prompt = new PromptTemplate('Book a room for {attendees} people: {needs}');
    await client.addResources(toNamedResources({ prompt_template: prompt }));
    const tasks = [
      { id: 't1', score: 1, task_input: { attendees: 4, needs: 'tv' } },
      { id: 't2', score: 0, task_input: { attendees: 9, needs: 'projector' } },
    ];
    const finished = await runCommand(
      { command: 'python3 env-dump.py', env: { DUMP_DIR: dumpDir, OTEL_RESOURCE_ATTRIBUTES: 'service.name=py-agent', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://elsewhere:1' } },
      tasks,
    );
    assert.deepEqual(finished.map((item) => item.status), ['succeeded', 'succeeded']);
    for (const [index, rollout] of finished.entries()) {
      const attempt = (await client.queryAttempts(rollout.rollout_id)).items[0]!;
      const dump = JSON.parse(readFileSync(join(dumpDir, `${rollout.rollout_id}.json`), 'utf8')) as { stdin: unknown; env: Record<string, string> };
      assert.deepEqual(dump.stdin, tasks[index]);
      const env = dump.env;
      assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, collector.url);
      assert.equal(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, undefined, 'an inherited signal endpoint would win over the collector: removed');
      assert.equal(env.OTEL_RESOURCE_ATTRIBUTES, `service.name=py-agent,agentlightning.rollout_id=${rollout.rollout_id},agentlightning.attempt_id=${attempt.attempt_id}`);
      assert.equal(env.OPENAI_BASE_URL, `${collector.url}/v1/agl/gateway/rollouts/${rollout.rollout_id}/attempts/${attempt.attempt_id}/v1`);
      assert.ok(env.OPENAI_API_KEY, 'an API key is always set');
      assert.equal(env.AGL_SERVER, collector.url);
      assert.equal(env.AGL_ROLLOUT_ID, rollout.rollout_id);
      assert.equal(env.AGL_ATTEMPT_ID, attempt.attempt_id);
      assert.deepEqual(JSON.parse(env.AGL_TASK!), tasks[index]);
      assert.equal(env.AGL_PROMPT, prompt.format(tasks[index]!.task_input));
      assert.equal(env.AGL_PROMPT_TEMPLATE, prompt.template);
      assert.deepEqual(JSON.parse(env.AGL_RESOURCES!), { prompt_template: { resource_type: 'prompt_template', template: prompt.template, engine: 'f-string' } });
    }
    const rewards = await queryRows(
      collector,
      `SELECT f.rollout_id, f.value AS final, r.name, r.value FROM final_rewards f JOIN rewards r USING (trace_id, span_id)
       WHERE f.rollout_id IN (${ids(finished)}) ORDER BY f.rollout_id, r.reward_index`,
    );
    const byRollout = new Map<string, { final: number; dims: [string, number][] }>();
    for (const row of rewards) {
      const entry = byRollout.get(String(row.rollout_id)) ?? { final: Number(row.final), dims: [] };
      entry.dims.push([String(row.name), Number(row.value)]);
      byRollout.set(String(row.rollout_id), entry);
    }
    assert.deepEqual(byRollout.get(finished[0]!.rollout_id), { final: 1, dims: [['accuracy', 1], ['cost', 0.25]] });
    assert.deepEqual(byRollout.get(finished[1]!.rollout_id), { final: 0, dims: [['accuracy', 0], ['cost', 0.25]] });
  });

  it('a command with its own OpenTelemetry SDK: its spans carry the rollout ids, and its reward span wins over its stdout', async () => {
    const tasks = [{ id: 'a', reward: 0.9 }, { id: 'b', reward: 0.4 }];
    const finished = await runCommand({ command: 'node otel-agent.mjs' }, tasks);
    assert.deepEqual(finished.map((item) => item.status), ['succeeded', 'succeeded']);
    const spans = await queryRows(
      collector,
      `SELECT rollout_id, attempt_id, name, scope_name FROM spans WHERE rollout_id IN (${ids(finished)}) AND scope_name = 'my-own-agent' ORDER BY rollout_id, name`,
    );
    assert.equal(spans.length, 4, 'solve + annotation per rollout');
    for (const rollout of finished) {
      const attempt = (await client.queryAttempts(rollout.rollout_id)).items[0]!;
      const own = spans.filter((row) => row.rollout_id === rollout.rollout_id);
      assert.deepEqual(own.map((row) => row.name), ['agentlightning.annotation', 'solve']);
      assert.ok(own.every((row) => row.attempt_id === attempt.attempt_id));
    }
    const final = await queryRows(collector, `SELECT rollout_id, value FROM final_rewards WHERE rollout_id IN (${ids(finished)}) ORDER BY rollout_id`);
    const expected = new Map(finished.map((item) => [item.rollout_id, (item.input as { reward: number }).reward]));
    assert.equal(final.length, 2);
    for (const row of final) assert.equal(row.value, expected.get(String(row.rollout_id)));
    const rewardSpans = await queryRows(collector, `SELECT count(*) AS n FROM rewards WHERE rollout_id IN (${ids(finished)})`);
    assert.equal(Number(rewardSpans[0]!.n), 2, 'no second reward from the printed number');
  });

  it('a grader gives the reward when the command gives none; what it returns is recorded as the reward', async () => {
    const seen: unknown[] = [];
    const finished = await runCommand(
      {
        command: "printf 'no reward here\\n'",
        grader: ({ task, finalAnswer, messages, stdout }) => {
          seen.push({ task, finalAnswer, messages, stdout });
          return (task as { n: number }).n / 10;
        },
      },
      [{ n: 3 }],
      1,
    );
    assert.equal(finished[0]!.status, 'succeeded');
    assert.deepEqual(seen, [{ task: { n: 3 }, finalAnswer: null, messages: [], stdout: 'no reward here\n' }]);
    const final = await queryRows(collector, `SELECT value FROM final_rewards WHERE rollout_id = '${finished[0]!.rollout_id}'`);
    assert.equal(final[0]!.value, 0.3);
  });

  it('the grader sees every call the command made through the gateway: the runner flushes the collector\'s recorder over HTTP', async () => {
    const finished = await runCommand(
      {
        command: 'python3 ask-model.py',
        grader: ({ finalAnswer, calls }) => (calls.length === 1 && typeof finalAnswer === 'string' && finalAnswer.length > 0 ? 1 : 0),
      },
      [{ question: 'Calculate the sum from 1 to 4. The range is inclusive.' }],
      1,
    );
    assert.equal(finished[0]!.status, 'succeeded');
    const final = await queryRows(collector, `SELECT value FROM final_rewards WHERE rollout_id = '${finished[0]!.rollout_id}'`);
    assert.equal(final[0]!.value, 1, 'the grader saw the call and its answer');
  });
});
