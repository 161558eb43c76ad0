import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryRows } from '../helpers/collector.ts';
import { BOOK_CALL, HISTORY, collector, sent, useConventionCollector } from './conventions-fixtures.ts';

/**
 * Each convention end to end (LLM calls): spans with attributes as each instrumentation library
 * emits them, made by the official OpenTelemetry SDK, sent by the official OTLP/protobuf exporter,
 * read back through the `rewards` and `llm_calls` views (`conventions-fixtures.ts` sends them all).
 */

useConventionCollector();

describe('conventions end to end: official SDK → OTLP/protobuf → rewards and llm_calls', () => {
  async function llmCall(key: string) {
    const span = sent.get(key);
    assert.ok(span, key);
    const rows = await queryRows(
      collector,
      `SELECT rollout_id, attempt_id, trace_id, model, input_messages, output_messages, input_tokens, output_tokens, convention
       FROM llm_calls WHERE span_id = '${span.spanId}'`,
    );
    assert.equal(rows.length, 1, `${key}: one llm_calls row`);
    assert.equal(rows[0].trace_id, span.traceId);
    return rows[0];
  }

  it('OTel GenAI: gen_ai.input.messages / gen_ai.output.messages with tool calls', async () => {
    assert.deepEqual(await llmCall('gen-ai-current'), {
      rollout_id: 'ro-1',
      attempt_id: 'at-1',
      trace_id: sent.get('gen-ai-current')!.traceId,
      model: 'gpt-4o-mini-2024-07-18',
      input_messages: HISTORY,
      output_messages: [{ role: 'assistant', content: null, tool_calls: [BOOK_CALL] }],
      input_tokens: 97,
      output_tokens: 52,
      convention: 'gen_ai',
    });
  });

  it('OTel GenAI: the older flattened gen_ai.prompt.<i> / gen_ai.completion.<i>', async () => {
    const call = await llmCall('gen-ai-flattened');
    assert.equal(call.convention, 'gen_ai');
    assert.equal(call.model, 'gpt-4o-mini-2024-07-18');
    assert.deepEqual(call.input_messages, HISTORY);
    assert.deepEqual(call.output_messages, [{ role: 'assistant', content: null, tool_calls: [BOOK_CALL] }]);
    assert.equal(call.input_tokens, 110);
    assert.equal(call.output_tokens, 20);
    assert.equal(call.rollout_id, 'ro-1');
  });

  it('OTel GenAI: the deprecated message events', async () => {
    const call = await llmCall('gen-ai-events');
    assert.equal(call.convention, 'gen_ai');
    assert.equal(call.model, 'gpt-4o');
    assert.deepEqual(call.input_messages, HISTORY);
    assert.deepEqual(call.output_messages, [{ role: 'assistant', content: null, tool_calls: [BOOK_CALL] }]);
    assert.equal(call.input_tokens, 80);
    assert.equal(call.output_tokens, 9);
    assert.equal(call.attempt_id, 'at-1');
  });

  it('OpenInference: llm.input_messages / llm.output_messages with tool calls, llm.token_count.*', async () => {
    assert.deepEqual(await llmCall('openinference'), {
      rollout_id: 'ro-1',
      attempt_id: 'at-1',
      trace_id: sent.get('openinference')!.traceId,
      model: 'gpt-4o-mini-2024-07-18',
      input_messages: HISTORY,
      output_messages: [{ role: 'assistant', content: null, tool_calls: [BOOK_CALL] }],
      input_tokens: 97,
      output_tokens: 12,
      convention: 'openinference',
    });
  });

  it('Vercel AI SDK: the doGenerate span is the call (ai.prompt.messages, ai.response.toolCalls, ai.usage.*)', async () => {
    assert.deepEqual(await llmCall('vercel-do-generate'), {
      rollout_id: 'ro-1',
      attempt_id: 'at-1',
      trace_id: sent.get('vercel-outer')!.traceId,
      model: 'gpt-4o-mini-2024-07-18',
      input_messages: HISTORY,
      output_messages: [{ role: 'assistant', content: null, tool_calls: [BOOK_CALL] }],
      input_tokens: 97,
      output_tokens: 8,
      convention: 'vercel_ai',
    });
  });

  it('counts no LLM call for agent, chain and outer AI SDK spans; a call without rollout ids is kept', async () => {
    for (const key of ['gen-ai-agent', 'openinference-chain', 'vercel-outer', 'multi-reward']) {
      const [row] = await queryRows(collector, `SELECT count(*) AS n FROM llm_calls WHERE span_id = '${sent.get(key)!.spanId}'`);
      assert.equal(row.n, 0, key);
    }
    const call = await llmCall('no-ids-llm');
    assert.equal(call.rollout_id, null);
    assert.equal(call.attempt_id, null);
    assert.deepEqual(call.input_messages, [{ role: 'user', content: 'hello' }]);
    assert.deepEqual(call.output_messages, [{ role: 'assistant', content: 'hi' }]);
    const conventions = await queryRows(collector, 'SELECT convention, count(*) AS n FROM llm_calls GROUP BY 1 ORDER BY 1');
    assert.deepEqual(conventions, [
      { convention: 'gen_ai', n: 4 },
      { convention: 'openinference', n: 1 },
      { convention: 'vercel_ai', n: 1 },
    ]);
  });
});
