import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttributeValue, Attributes } from '../../src/spans/index.ts';
import { mapSpan, type ChatMessage, type SpanMapping } from '../../src/semconv/index.ts';
import { makeSpan } from './span-fixtures.ts';

/** Checks the shape a consumer relies on, and that the mapping serialises to JSON (no bigint left). */
function assertWellFormed(mapping: SpanMapping): void {
  assert.doesNotThrow(() => JSON.stringify(mapping));
  for (const reward of mapping.rewards) {
    assert.equal(typeof reward.name, 'string');
    assert.ok(Number.isFinite(reward.value));
  }
  const call = mapping.llmCall;
  if (call === null) return;
  const check = (message: ChatMessage): void => {
    assert.equal(typeof message.role, 'string');
    assert.ok(message.content === null || typeof message.content === 'string' || Array.isArray(message.content));
    for (const toolCall of message.tool_calls ?? []) {
      assert.equal(typeof toolCall.id, 'string');
      assert.equal(typeof toolCall.function.name, 'string');
      assert.equal(typeof toolCall.function.arguments, 'string');
    }
  };
  call.inputMessages.forEach(check);
  call.outputMessages.forEach(check);
  for (const count of [call.inputTokens, call.outputTokens, call.totalTokens]) {
    assert.ok(count === null || (Number.isInteger(count) && count >= 0));
  }
}

describe('mapSpan: malformed inputs', () => {
  it('keeps what it can read when a message attribute is not JSON', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': '[{"role": "user", "parts": [',
          'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"ok"}]}]',
          'gen_ai.usage.input_tokens': 'many',
          'gen_ai.usage.output_tokens': -3,
        },
      }),
    );
    assert.ok(mapping.llmCall);
    assert.deepEqual(mapping.llmCall.inputMessages, []);
    assert.deepEqual(mapping.llmCall.outputMessages, [{ role: 'assistant', content: 'ok' }]);
    assert.equal(mapping.llmCall.inputTokens, null);
    assert.equal(mapping.llmCall.outputTokens, null);
    assertWellFormed(mapping);
  });

  it('skips message items and parts of the wrong type', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'gen_ai.request.model': 'm',
          'gen_ai.input.messages': JSON.stringify([
            null,
            5,
            'plain text message',
            { role: 7, parts: [null, 5, { type: 'text' }, { type: 'text', content: 'kept' }, { type: 'tool_call' }] },
            { role: 'user', parts: 'not a list', content: 'OpenAI-shaped' },
          ]),
          'gen_ai.output.messages': '{"role":"assistant"}',
        },
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, [
      { role: 'user', content: 'plain text message' },
      {
        role: 'user',
        content: 'kept',
        tool_calls: [{ id: '', type: 'function', function: { name: '', arguments: '{}' } }],
      },
      { role: 'user', content: 'OpenAI-shaped' },
    ]);
    assert.deepEqual(mapping.llmCall?.outputMessages, []);
    assertWellFormed(mapping);
  });

  it('reads structured tool arguments and bigint values into JSON text', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.tool_calls.0.tool_call.id': 7,
          'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'f',
          'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': { big: 12n, bytes: new Uint8Array([104, 105]) },
          'llm.invocation_parameters': '{"temperature": 0.1',
          'llm.token_count.prompt': 3.7,
        },
      }),
    );
    assert.deepEqual(mapping.llmCall?.outputMessages, [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: '7', type: 'function', function: { name: 'f', arguments: '{"big":12,"bytes":"aGk="}' } }],
      },
    ]);
    assert.deepEqual(mapping.llmCall?.requestParameters, {});
    assert.equal(mapping.llmCall?.inputTokens, 3);
    assertWellFormed(mapping);
  });

  it('survives broken AI SDK attributes', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'ai.generateText.doGenerate',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.prompt.messages': 'not json',
          'ai.prompt': 12,
          'ai.prompt.tools': ['{bad', '{"name": 5}', 3 as unknown as string],
          'ai.response.toolCalls': '{bad',
          'ai.response.text': 'still here',
          'ai.usage.promptTokens': Number.NaN,
          'ai.settings.temperature': 'hot',
        },
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, []);
    assert.deepEqual(mapping.llmCall?.outputMessages, [{ role: 'assistant', content: 'still here' }]);
    assert.deepEqual(mapping.llmCall?.tools, []);
    assert.equal(mapping.llmCall?.inputTokens, null);
    assert.deepEqual(mapping.llmCall?.requestParameters, {});
    assertWellFormed(mapping);
  });

  it('never throws, even on JSON nested deeper than the stack', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'gen_ai.request.model': 'm',
          'gen_ai.input.messages': `[{"role":"user","parts":[{"type":"tool_call","name":"f","arguments":${deep}}]}]`,
          'agentlightning.reward': deep,
        },
      }),
    );
    assertWellFormed(mapping);
  });

  it('never throws on random values under every recognised key', () => {
    const keys = [
      'agentlightning.rollout_id', 'agentlightning.attempt_id', 'agentlightning.span_sequence_id',
      'agentlightning.reward', 'agentlightning.reward.0.name', 'agentlightning.reward.0.value', 'agentlightning.reward.1.value',
      'reward', 'agentops.task.output', 'agentops.entity.output',
      'gen_ai.operation.name', 'gen_ai.system', 'gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.response.finish_reasons',
      'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions', 'gen_ai.tool.definitions',
      'gen_ai.prompt', 'gen_ai.completion', 'gen_ai.prompt.0.role', 'gen_ai.prompt.0.content', 'gen_ai.prompt.0.tool_calls.0.arguments',
      'gen_ai.completion.0.content', 'gen_ai.completion.0.tool_calls.0.name', 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens',
      'gen_ai.request.temperature', 'gen_ai.request.stop_sequences', 'llm.request.functions.0.parameters',
      'openinference.span.kind', 'llm.model_name', 'llm.input_messages.0.message.role', 'llm.input_messages.0.message.content',
      'llm.input_messages.0.message.contents.0.message_content.image', 'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments',
      'llm.token_count.prompt', 'llm.invocation_parameters', 'llm.tools.0.tool.json_schema',
      'ai.operationId', 'ai.prompt', 'ai.prompt.messages', 'ai.prompt.tools', 'ai.response.text', 'ai.response.toolCalls',
      'ai.response.object', 'ai.usage.inputTokens', 'ai.settings.stopSequences',
    ];
    const samples: AttributeValue[] = [
      null, '', 'x', '[', '{', '[]', '{}', '[null]', '[1,2]', '"s"', 'null', '5', 'NaN', '-1', 'LLM', 'chat',
      '[{"role":"user","parts":[{"type":"tool_call_response"},{"type":"blob","modality":"audio","content":5}]}]',
      '[{"role":"tool","content":[{"type":"tool-result","output":{"type":"content","value":[{"text":"a"},7]}}]}]',
      '[{"type":"reward","value":1}]', '{"type":"reward","value":"1e400"}', '[{"type":"image_url","image_url":5}]',
      0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 70n, true, false, new Uint8Array([1, 2, 3]),
      [], [null], [1, 'a', true], [{ role: 'user', parts: [{ type: 'text', content: 5 }] }], { parts: 3 }, { type: 'reward', value: '0.5' },
      [[['nested']]], { a: { b: { c: [1n] } } },
    ];
    const names = ['span', 'agentlightning.annotation', 'agentlightning.reward', 'ai.generateText.doGenerate', 'ai.streamText', 'chat m'];
    let state = 12345;
    const random = (limit: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % limit;
    };
    for (let round = 0; round < 3000; round++) {
      const attributes: Attributes = {};
      const count = 1 + random(8);
      for (let index = 0; index < count; index++) attributes[keys[random(keys.length)]!] = samples[random(samples.length)]!;
      const events =
        random(4) === 0
          ? [{ name: ['gen_ai.choice', 'gen_ai.user.message', 'gen_ai.tool.message'][random(3)]!, attributes: { message: samples[random(samples.length)]!, content: samples[random(samples.length)]!, tool_calls: samples[random(samples.length)]! } }]
          : [];
      const resource: Attributes = { 'service.name': samples[random(samples.length)]!, 'agentlightning.rollout_id': samples[random(samples.length)]! };
      let mapping: SpanMapping | undefined;
      assert.doesNotThrow(() => {
        mapping = mapSpan(makeSpan({ name: names[random(names.length)]!, attributes, events, resource }));
      }, JSON.stringify(attributes, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value)));
      assertWellFormed(mapping!);
      assert.ok(mapping!.serviceName === null || typeof mapping!.serviceName === 'string');
    }
  });
});
