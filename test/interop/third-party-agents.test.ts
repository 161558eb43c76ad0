import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { exactMatchGrade } from '../../examples/room-selector/grader.ts';
import { BASELINE_PROMPT } from '../../examples/room-selector/room-agent.ts';
import type { RoomTask } from '../../examples/room-selector/room-data.ts';
import { queryFile, runExample } from '../examples/run-example.ts';
import type { ExampleRun } from '../examples/run-example.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * The room selector written with three third-party frameworks (examples/third-party/), each run as
 * a user runs it: its own process, a collector in it, 4 runners, the simulated model, a small APO
 * (1 round, beam 1, branch 2, validation batch 10). The LLM calls in `llm_calls` come from the
 * framework's own spans only.
 */
interface Framework {
  name: string;
  convention: string;
  /** The instrumentation scope (or span name) of the framework's LLM-call spans. */
  scope: string;
}

const FRAMEWORKS: Framework[] = [
  { name: 'openinference-openai', convention: 'openinference', scope: '@arizeai/openinference-instrumentation-openai' },
  { name: 'vercel-ai', convention: 'vercel_ai', scope: 'ai' },
  // LangChain's instrumentation flattens no tool-call ids: the collector takes them from `input.value` / `output.value`.
  { name: 'langchain', convention: 'openinference', scope: '@arizeai/openinference-instrumentation-langchain' },
];

interface ChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

const runs = new Map<string, { run: ExampleRun; db: string }>();
const dir = tempDir();

before(async () => {
  // Each training is its own process (instrumentations patch modules process-wide); one after
  // another, so that this file adds one busy process, not three, to the machine the other tests share.
  for (const { name } of FRAMEWORKS) {
    const db = join(dir, `${name}.duckdb`);
    const run = await runExample(`examples/third-party/${name}/train.ts`, ['--db', db, '--rounds', '1', '--val-batch', '10'], { timeoutMillis: 90_000 });
    runs.set(name, { run, db });
  }
});

for (const framework of FRAMEWORKS) {
  describe(`third-party agent: ${framework.name}`, () => {
    test('trains on the simulated model and exits cleanly', () => {
      const { run } = runs.get(framework.name)!;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /No OPENAI_BASE_URL \/ OPENAI_API_KEY: using the SIMULATED model/);
    });

    test("its LLM calls land in llm_calls, two per rollout, with messages, tool calls, tokens and the rollout's ids", async () => {
      const { db } = runs.get(framework.name)!;
      const calls = await queryFile(
        db,
        `SELECT c.rollout_id, c.attempt_id, c.sequence_id, c.model, c.convention, c.input_messages::VARCHAR AS input, c.output_messages::VARCHAR AS output,
                c.input_tokens, c.output_tokens, s.scope_name, s.name AS span_name, r.input::VARCHAR AS task, a.attempt_id AS known_attempt,
                (SELECT f.value FROM final_rewards f WHERE f.rollout_id = c.rollout_id AND f.attempt_id = c.attempt_id) AS reward
           FROM llm_calls c JOIN spans s USING (span_id)
           LEFT JOIN rollouts r ON r.rollout_id = c.rollout_id
           LEFT JOIN attempts a ON a.rollout_id = c.rollout_id AND a.attempt_id = c.attempt_id
          WHERE c.model = 'gpt-4.1-nano'
          ORDER BY c.rollout_id, c.sequence_id`,
      );
      const rollouts = await queryFile(db, `SELECT count(*) AS n FROM rollouts WHERE status = 'succeeded'`);
      assert.ok(Number(rollouts[0].n) >= 30, `rollouts: ${rollouts[0].n}`);
      assert.equal(calls.length, 2 * Number(rollouts[0].n), 'a tool-call turn and an answer per rollout');

      const byRollout = new Map<string, typeof calls>();
      for (const call of calls) {
        assert.equal(call.convention, framework.convention);
        assert.ok(call.scope_name === framework.scope || String(call.span_name).startsWith(`${framework.scope}.`), `scope ${call.scope_name}, span ${call.span_name}`);
        assert.ok(call.rollout_id !== null && call.known_attempt === call.attempt_id, 'stamped with an attempt the store knows');
        assert.ok(Number(call.input_tokens) > 0 && Number(call.output_tokens) > 0, `tokens ${call.input_tokens}/${call.output_tokens}`);
        byRollout.set(String(call.rollout_id), [...(byRollout.get(String(call.rollout_id)) ?? []), call]);
      }
      for (const [rolloutId, [first, second]] of byRollout) {
        const task = JSON.parse(String(first.task)) as RoomTask;
        const firstInput = JSON.parse(String(first.input)) as ChatMessage[];
        const [request] = JSON.parse(String(first.output)) as ChatMessage[];
        assert.deepEqual(firstInput.map((message) => message.role), ['system', 'user'], rolloutId);
        assert.ok(firstInput[1].content?.includes(`${task.task_input.date} at ${task.task_input.time}`), 'the call is about its own rollout’s task');
        assert.equal(request.content, null, 'a tool-call turn has no text');
        assert.equal(request.tool_calls?.[0]?.function.name, 'get_rooms_and_availability');
        const args = JSON.parse(request.tool_calls[0].function.arguments) as Record<string, unknown>;
        assert.deepEqual(args, { date: task.task_input.date, time: task.task_input.time, duration_min: task.task_input.duration_min });

        const secondInput = JSON.parse(String(second.input)) as ChatMessage[];
        assert.deepEqual(secondInput.map((message) => message.role), ['system', 'user', 'assistant', 'tool']);
        const [, , asked, result] = secondInput;
        assert.equal(asked.tool_calls?.[0]?.function.arguments, request.tool_calls[0].function.arguments);
        assert.ok(Array.isArray((JSON.parse(String(result.content)) as { rooms: unknown }).rooms), 'the tool result is in the conversation');
        assert.match(request.tool_calls[0].id, /^call_/);
        assert.equal(asked.tool_calls?.[0]?.id, request.tool_calls[0].id);
        assert.equal(result.tool_call_id, request.tool_calls[0].id);
        const [answer] = JSON.parse(String(second.output)) as ChatMessage[];
        assert.equal(answer.role, 'assistant');
        assert.equal(exactMatchGrade(answer.content, task.expected_choice), Number(second.reward), 'the rollout’s reward grades this call’s answer');
      }
    });

    test('no span of the framework outside a rollout but the optimizer’s own calls', async () => {
      const { db } = runs.get(framework.name)!;
      const unstamped = await queryFile(db, `SELECT s.name, c.model FROM spans s LEFT JOIN llm_calls c USING (span_id) WHERE s.rollout_id IS NULL`);
      // APO's critique and edit calls go through the same (instrumented) OpenAI SDK, outside any rollout.
      for (const span of unstamped) assert.equal(span.model, 'gpt-4.1-mini', `unattributed span ${span.name}`);
    });

    test('APO trains its prompt: round 1 beats the baseline, from critiques of its rollouts', async () => {
      const { run, db } = runs.get(framework.name)!;
      const rounds = await queryFile(db, 'SELECT round, leader_val_score, best_val_score, best_resources_id FROM apo_rounds ORDER BY round');
      assert.deepEqual(rounds.map((round) => round.round), [0, 1]);
      const baseline = Number(rounds[0].leader_val_score);
      const best = Number(rounds[1].best_val_score);
      assert.ok(baseline > 0 && baseline < 1, `baseline ${baseline}`);
      assert.ok(best > baseline, `best ${best} vs baseline ${baseline}`);
      assert.match(run.stdout, new RegExp(`best validation score: ${best.toFixed(3)}`));
      const [prompt] = await queryFile(db, `SELECT resources->'prompt_template'->>'template' AS template FROM resources WHERE resources_id = '${String(rounds[1].best_resources_id)}'`);
      assert.match(String(prompt.template), /^Find a room on \{date\} at \{time\}/, 'the edit keeps the template');
      assert.ok(String(prompt.template).length > String(BASELINE_PROMPT).length, 'the edit added the rules the critique found in the rollouts’ transcripts');
      // The critiques were written from train-mode rollouts whose calls are this framework's.
      const trainCalls = await queryFile(db, `SELECT count(*) AS n FROM llm_calls c JOIN rollouts r USING (rollout_id) WHERE r.mode = 'train' AND c.convention = '${framework.convention}'`);
      assert.ok(Number(trainCalls[0].n) >= 8, `train-mode calls: ${trainCalls[0].n}`);
    });
  });
}
