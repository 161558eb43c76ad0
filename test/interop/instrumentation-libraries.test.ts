import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import type { ClientReport } from './instrumented-clients/client-harness.ts';
import { MODEL, PLAIN_TEXT, SYSTEM_TEXT, USER_TEXT } from './instrumented-clients/client-harness.ts';

/**
 * Each instrumentation library as its users run it, as the client: its own process, the official
 * `openai` SDK (or the framework) talking to the simulated model, the library's spans exported over
 * OTLP to a real collector, the rollout's ids on the resource. Each client makes a tool round trip
 * (user → assistant tool call → tool result → answer) and a plain call; every `llm_calls` row is
 * checked: messages with their roles, the tool call's id (the one the model gave) on the assistant
 * turn and as the tool message's `tool_call_id`, the model, the tokens, the rollout and attempt ids,
 * and that each call is counted once.
 */
interface Library {
  /** The client script in `instrumented-clients/`. */
  client: string;
  /** The `llm_calls.convention` its calls are read as. */
  convention: string;
  /** The instrumentation scope of the spans its calls come from. */
  scope: string;
}

const LIBRARIES: Library[] = [
  { client: 'openllmetry-openai', convention: 'gen_ai', scope: '@traceloop/instrumentation-openai' },
  { client: 'langfuse-openai', convention: 'langfuse', scope: 'langfuse-sdk' },
  { client: 'openinference-openai', convention: 'openinference', scope: '@arizeai/openinference-instrumentation-openai' },
  { client: 'openinference-langchain', convention: 'openinference', scope: '@arizeai/openinference-instrumentation-langchain' },
  { client: 'vercel-ai', convention: 'vercel_ai', scope: 'ai' },
];

interface Message {
  role: string;
  content: unknown;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** One `llm_calls` row, with the instrumentation scope of its span. */
interface CallRow {
  span_id: string;
  convention: string;
  scope_name: string | null;
  rollout_id: string | null;
  attempt_id: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  input: Message[];
  output: Message[];
}

let collector: Collector;
let model: SimLlmServer;

before(async () => {
  collector = await startTestCollector();
  model = await SimLlmServer.start({ port: 0 });
});
after(async () => {
  await model?.close();
  await collector?.close();
});

/** Runs a client against the collector and the model as the given attempt; resolves with its report. */
async function runClient(client: string, rolloutId: string, attemptId: string): Promise<ClientReport> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', new URL(`instrumented-clients/${client}.ts`, import.meta.url).pathname], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      AGL_TEST_COLLECTOR_URL: collector.url,
      AGL_TEST_MODEL_BASE_URL: model.baseURL,
      AGL_TEST_ROLLOUT_ID: rolloutId,
      AGL_TEST_ATTEMPT_ID: attemptId,
    },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ClientReport;
}

/** The attempt's `llm_calls` rows in call order, once `count` have arrived (ingest is asynchronous). */
async function llmCalls(rolloutId: string, count: number) {
  const query = `SELECT c.*, s.scope_name, c.input_messages::VARCHAR AS input, c.output_messages::VARCHAR AS output
    FROM llm_calls c JOIN spans s ON s.trace_id = c.trace_id AND s.span_id = c.span_id
    WHERE c.rollout_id = '${rolloutId}' ORDER BY c.start_time`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await queryRows(collector, query);
    if (rows.length >= count || Date.now() > deadline) {
      return rows.map((row): CallRow => ({
        span_id: String(row.span_id),
        convention: String(row.convention),
        scope_name: row.scope_name === null ? null : String(row.scope_name),
        rollout_id: row.rollout_id === null ? null : String(row.rollout_id),
        attempt_id: row.attempt_id === null ? null : String(row.attempt_id),
        model: row.model === null ? null : String(row.model),
        input_tokens: Number(row.input_tokens),
        output_tokens: Number(row.output_tokens),
        input: JSON.parse(String(row.input)) as Message[],
        output: JSON.parse(String(row.output)) as Message[],
      }));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const library of LIBRARIES) {
  describe(`instrumentation library: ${library.client}`, () => {
    test('a tool round trip and a plain call: three llm_calls rows, linked tool calls, model, tokens, rollout ids', { timeout: 90_000 }, async () => {
      const started = await collector.store.startRollout({ input: { library: library.client } });
      const attemptId = started.attempt.attempt_id;
      const report = await runClient(library.client, started.rollout_id, attemptId);
      assert.match(report.toolCallId, /^call_/);
      const calls = await llmCalls(started.rollout_id, 3);
      assert.equal(calls.length, 3, `each call counted once: ${calls.map((call) => call.span_id).join(', ')}`);

      for (const call of calls) {
        assert.equal(call.convention, library.convention);
        assert.equal(call.scope_name, library.scope);
        assert.equal(call.rollout_id, started.rollout_id);
        assert.equal(call.attempt_id, attemptId);
        assert.equal(call.model, MODEL);
        assert.ok(call.input_tokens > 0 && call.output_tokens > 0, `tokens ${call.input_tokens}/${call.output_tokens}`);
        assert.equal(call.output.length, 1);
        assert.equal(call.output[0]!.role, 'assistant');
      }
      const [toolTurn, answerTurn, plain] = calls as [CallRow, CallRow, CallRow];

      // 1. The model asks for the tool.
      assert.deepEqual(toolTurn.input.map((message) => [message.role, message.content]), [
        ['system', SYSTEM_TEXT],
        ['user', USER_TEXT],
      ]);
      const asked = toolTurn.output[0]!;
      assert.equal(asked.content, null);
      assert.deepEqual(asked.tool_calls?.map((call) => [call.id, call.type, call.function.name]), [[report.toolCallId, 'function', report.toolName]]);
      assert.deepEqual(JSON.parse(asked.tool_calls![0]!.function.arguments), { date: '2025-10-13', time: '16:30', duration_min: 30 });

      // 2. The tool's result goes back, linked to the call by its id; the model answers.
      assert.deepEqual(answerTurn.input.map((message) => message.role), ['system', 'user', 'assistant', 'tool']);
      const [, , assistant, tool] = answerTurn.input as [Message, Message, Message, Message];
      assert.deepEqual(assistant.tool_calls?.map((call) => call.id), [report.toolCallId]);
      assert.equal(tool.tool_call_id, report.toolCallId);
      assert.match(String(tool.content), /"rooms"/);
      assert.equal(answerTurn.output[0]!.content, report.answer);
      assert.equal(answerTurn.output[0]!.tool_calls, undefined);

      // 3. A plain call.
      assert.deepEqual(plain.input, [{ role: 'user', content: PLAIN_TEXT }]);
      assert.equal(plain.output[0]!.content, report.plainAnswer);
    });
  });
}
