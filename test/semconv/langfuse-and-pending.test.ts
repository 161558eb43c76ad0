import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan } from '../../src/semconv/index.ts';
import { makeSpan } from './span-fixtures.ts';

/**
 * The shapes the real libraries' tests (test/interop/instrumentation-libraries.test.ts) do not
 * reach: Langfuse generations recorded by hand (`startObservation(…, {asType: 'generation'})` with a
 * bare list of messages, usage with a cached-token breakdown), other Langfuse observations, Logfire's
 * pending spans, and OpenInference ids that cannot be recovered without guessing.
 */
describe('Langfuse generations', () => {
  it('reads a bare list of messages, a string output and usage with its breakdown', () => {
    const { llmCall } = mapSpan(
      makeSpan({
        attributes: {
          'langfuse.observation.type': 'generation',
          'langfuse.observation.input': JSON.stringify([
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hi' },
          ]),
          'langfuse.observation.output': JSON.stringify('Hello!'),
          'langfuse.observation.model.name': 'claude-x',
          'langfuse.observation.model.parameters': JSON.stringify({ temperature: 0.2, response_format: '' }),
          'langfuse.observation.usage_details': JSON.stringify({ input: 70, input_cached_tokens: 30, output: 5, total: 105 }),
        },
      }),
    );
    assert.ok(llmCall);
    assert.equal(llmCall.convention, 'langfuse');
    assert.deepEqual(llmCall.inputMessages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    assert.deepEqual(llmCall.outputMessages, [{ role: 'assistant', content: 'Hello!' }]);
    assert.equal(llmCall.model, 'claude-x');
    assert.equal(llmCall.inputTokens, 100, 'input plus the cached tokens Langfuse takes out of it');
    assert.equal(llmCall.outputTokens, 5);
    assert.equal(llmCall.totalTokens, 105);
    assert.deepEqual(llmCall.requestParameters, { temperature: 0.2 });
  });

  it('reads a request with tools and OpenAI usage names', () => {
    const { llmCall } = mapSpan(
      makeSpan({
        attributes: {
          'langfuse.observation.type': 'generation',
          'langfuse.observation.input': JSON.stringify({
            messages: [{ role: 'user', content: 'Rooms?' }],
            tools: [{ type: 'function', function: { name: 'find_rooms', parameters: { type: 'object' } } }],
          }),
          'langfuse.observation.output': JSON.stringify({
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: '{}' } }],
          }),
          'langfuse.observation.usage_details': JSON.stringify({ prompt_tokens: 9, completion_tokens: 3 }),
        },
      }),
    );
    assert.ok(llmCall);
    assert.deepEqual(llmCall.outputMessages[0]!.tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: '{}' } }]);
    assert.deepEqual(llmCall.tools.map((tool) => tool.function.name), ['find_rooms']);
    assert.deepEqual([llmCall.inputTokens, llmCall.outputTokens, llmCall.totalTokens], [9, 3, 12]);
  });

  it('other observations (span, tool, embedding…) are no LLM calls', () => {
    for (const type of ['span', 'tool', 'embedding', 'agent']) {
      const { llmCall } = mapSpan(
        makeSpan({ attributes: { 'langfuse.observation.type': type, 'langfuse.observation.input': JSON.stringify([{ role: 'user', content: 'x' }]) } }),
      );
      assert.equal(llmCall, null, type);
    }
  });
});

describe('pending spans (Logfire)', () => {
  const attributes = {
    'agentlightning.rollout_id': 'ro-1',
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]),
    'agentlightning.reward.0.value': 1,
  };

  it('a pending copy keeps its ids but gives no LLM call and no reward', () => {
    const pending = mapSpan(makeSpan({ attributes: { ...attributes, 'logfire.span_type': 'pending_span', 'logfire.pending_parent_id': '0000000000000001' } }));
    assert.equal(pending.rolloutId, 'ro-1');
    assert.equal(pending.llmCall, null);
    assert.deepEqual(pending.rewards, []);
  });

  it('the finished span is read as usual', () => {
    const finished = mapSpan(makeSpan({ attributes: { ...attributes, 'logfire.span_type': 'span' } }));
    assert.equal(finished.llmCall?.model, 'gpt-4o');
    assert.equal(finished.rewards.length, 1);
  });
});

describe('OpenInference tool-call ids from input.value / output.value', () => {
  const flattened = {
    'openinference.span.kind': 'LLM',
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'Rooms?',
    'llm.input_messages.1.message.role': 'assistant',
    'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'find_rooms',
    'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{}',
    'llm.input_messages.2.message.role': 'tool',
    'llm.input_messages.2.message.content': '[]',
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.content': 'None free.',
  };
  const request = {
    messages: [
      { role: 'user', content: 'Rooms?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'find_rooms', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_9', content: '[]' },
    ],
  };

  it('fills the ids from an OpenAI request', () => {
    const { llmCall } = mapSpan(makeSpan({ attributes: { ...flattened, 'input.value': JSON.stringify(request) } }));
    assert.equal(llmCall?.inputMessages[1]!.tool_calls![0]!.id, 'call_9');
    assert.equal(llmCall?.inputMessages[2]!.tool_call_id, 'call_9');
  });

  it('guesses nothing when the recorded request does not match (other counts, other names, not JSON)', () => {
    const twoCalls = structuredClone(request);
    twoCalls.messages[1]!.tool_calls!.push({ id: 'call_10', type: 'function', function: { name: 'x', arguments: '{}' } });
    const renamed = structuredClone(request);
    renamed.messages[1]!.tool_calls![0]!.function.name = 'other_tool';
    for (const value of [JSON.stringify(twoCalls), JSON.stringify(renamed), 'not json', '{"messages": "…"}']) {
      const { llmCall } = mapSpan(makeSpan({ attributes: { ...flattened, 'input.value': value } }));
      assert.equal(llmCall?.inputMessages[1]!.tool_calls![0]!.id, '', value.slice(0, 30));
    }
    // The tool message's id still links up when only the tool calls disagree.
    const { llmCall } = mapSpan(makeSpan({ attributes: { ...flattened, 'input.value': JSON.stringify(renamed) } }));
    assert.equal(llmCall?.inputMessages[2]!.tool_call_id, 'call_9');
  });
});
