import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Collector } from '../../collector/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * The official `@opentelemetry/instrumentation-openai` (message capture on) puts every message in
 * log records tied to the call's span: the collector stores them in `logs` and `llm_calls` has the
 * conversation, whatever arrives first and whichever official logs exporter sends them.
 */
interface ChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** A JSON column's value (the query helper gives it parsed, or as text). */
function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

const CLIENT = fileURLToPath(new URL('./openai-instrumentation-client.ts', import.meta.url));

let sim: SimLlmServer;
let collector: Collector;

before(async () => {
  sim = await SimLlmServer.start({ port: 0, seed: 0, latencyMillis: 0 });
  collector = await startTestCollector({ grpcPort: 0 });
});

after(async () => {
  await collector.close();
  await sim.close();
});

function runClient(rolloutId: string, exporter: string, logsFirst: boolean): Promise<{ toolCallId: string; answer: string; plainAnswer: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLIENT],
      {
        env: {
          ...process.env,
          AGL_TEST_COLLECTOR_URL: collector.url,
          AGL_TEST_GRPC_URL: collector.grpcUrl ?? '',
          AGL_TEST_MODEL_BASE_URL: sim.baseURL,
          AGL_TEST_ROLLOUT_ID: rolloutId,
          AGL_TEST_ATTEMPT_ID: `${rolloutId}-attempt`,
          AGL_TEST_LOGS_EXPORTER: exporter,
          AGL_TEST_LOGS_FIRST: logsFirst ? '1' : '0',
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`client failed: ${error.message}\n${stderr}`));
        const lines = stdout.trim().split('\n');
        resolve(JSON.parse(lines[lines.length - 1]!));
      },
    );
  });
}

const CASES = [
  { exporter: 'proto', logsFirst: false },
  { exporter: 'http', logsFirst: true },
  { exporter: 'grpc', logsFirst: true },
];

describe('@opentelemetry/instrumentation-openai: messages as GenAI log events', () => {
  for (const { exporter, logsFirst } of CASES) {
    test(`${exporter} logs exporter, ${logsFirst ? 'logs' : 'spans'} first: every llm_calls row has the conversation`, async () => {
      const rolloutId = `ro-oi-${exporter}`;
      const reported = await runClient(rolloutId, exporter, logsFirst);
      const calls = await queryRows(
        collector,
        `SELECT input_messages, output_messages, model, input_tokens, output_tokens, attempt_id, messages_source, convention
         FROM llm_calls WHERE rollout_id = '${rolloutId}' ORDER BY start_time`,
      );
      assert.equal(calls.length, 3);
      for (const call of calls) {
        assert.equal(call.attempt_id, `${rolloutId}-attempt`);
        assert.equal(call.messages_source, 'logs');
        assert.equal(call.convention, 'gen_ai');
        assert.match(String(call.model), /gpt-4\.1-nano/);
        assert.ok(Number(call.input_tokens) > 0 && Number(call.output_tokens) > 0);
      }
      const [first, second, plain] = calls.map((call) => ({
        input: json(call.input_messages) as ChatMessage[],
        output: json(call.output_messages) as ChatMessage[],
      }));
      // The tool call: system + user in, an assistant tool call out.
      assert.deepEqual(first!.input.map((message) => message.role), ['system', 'user']);
      assert.equal(first!.output.length, 1);
      assert.equal(first!.output[0]!.role, 'assistant');
      const toolCall = first!.output[0]!.tool_calls?.[0];
      assert.ok(toolCall, JSON.stringify(first!.output));
      assert.equal(toolCall.id, reported.toolCallId);
      assert.equal(toolCall.function.name, 'get_rooms_and_availability');
      // The answer: the history with the tool call linked to its result, then the answer.
      assert.deepEqual(second!.input.map((message) => message.role), ['system', 'user', 'assistant', 'tool']);
      assert.equal(second!.input[2]!.tool_calls?.[0]?.id, reported.toolCallId);
      assert.equal(second!.input[3]!.tool_call_id, reported.toolCallId);
      assert.ok(String(second!.input[3]!.content).length > 0);
      assert.deepEqual(second!.output, [{ role: 'assistant', content: reported.answer }]);
      assert.deepEqual(plain!.input.map((message) => message.role), ['user']);
      assert.deepEqual(plain!.output, [{ role: 'assistant', content: reported.plainAnswer }]);

      const logRows = await queryRows(
        collector,
        `SELECT event_name, trace_id, span_id, severity_number, attempt_id, body FROM logs WHERE rollout_id = '${rolloutId}'`,
      );
      // 2 + 4 + 1 message events and 3 choices.
      assert.equal(logRows.length, 10);
      assert.ok(logRows.every((row) => /^[0-9a-f]{32}$/.test(String(row.trace_id)) && /^[0-9a-f]{16}$/.test(String(row.span_id))));
      assert.ok(logRows.every((row) => row.severity_number === 9 && row.attempt_id === `${rolloutId}-attempt`));
      assert.equal(logRows.filter((row) => row.event_name === 'gen_ai.choice').length, 3);
    });
  }
});
