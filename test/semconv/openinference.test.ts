import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan } from '../../src/semconv/index.ts';
import { makeSpan } from './span-fixtures.ts';

const TOOL_SCHEMA = {
  type: 'function',
  function: {
    name: 'find_rooms',
    description: 'Find free rooms',
    parameters: { type: 'object', properties: { floor: { type: 'integer' } } },
  },
};

/** As openinference-instrumentation-openai records a chat completion. */
function openInferenceAttributes(): Record<string, string | number> {
  return {
    'openinference.span.kind': 'LLM',
    'llm.system': 'openai',
    'llm.provider': 'openai',
    'llm.model_name': 'gpt-4o-mini-2024-07-18',
    'llm.invocation_parameters': JSON.stringify({ model: 'gpt-4o-mini', temperature: 0.2, tools: [TOOL_SCHEMA] }),
    'input.mime_type': 'application/json',
    'input.value': '{"messages": "…"}',
    'output.mime_type': 'application/json',
    'output.value': '{"choices": "…"}',
    'llm.input_messages.0.message.role': 'system',
    'llm.input_messages.0.message.content': 'You are a booking assistant.',
    'llm.input_messages.1.message.role': 'user',
    'llm.input_messages.1.message.contents.0.message_content.type': 'text',
    'llm.input_messages.1.message.contents.0.message_content.text': 'Book the room in this photo.',
    'llm.input_messages.1.message.contents.1.message_content.type': 'image',
    'llm.input_messages.1.message.contents.1.message_content.image.image.url': 'https://example.com/room.png',
    'llm.input_messages.2.message.role': 'assistant',
    'llm.input_messages.2.message.tool_calls.0.tool_call.id': 'call_1',
    'llm.input_messages.2.message.tool_calls.0.tool_call.function.name': 'find_rooms',
    'llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments': '{"floor": 2}',
    'llm.input_messages.3.message.role': 'tool',
    'llm.input_messages.3.message.content': '["R201"]',
    'llm.input_messages.3.message.tool_call_id': 'call_1',
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_2',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'book_room',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"room": "R201"}',
    'llm.token_count.prompt': 97,
    'llm.token_count.completion': 12,
    'llm.token_count.total': 109,
    'llm.tools.0.tool.json_schema': JSON.stringify(TOOL_SCHEMA),
  };
}

describe('mapSpan: OpenInference', () => {
  it('reads messages with content parts, tool calls and tool results, tokens, parameters and tools', () => {
    const mapping = mapSpan(makeSpan({ name: 'ChatCompletion', attributes: openInferenceAttributes() }));
    assert.deepEqual(mapping.llmCall, {
      convention: 'openinference',
      model: 'gpt-4o-mini-2024-07-18',
      requestModel: 'gpt-4o-mini-2024-07-18',
      responseModel: null,
      provider: 'openai',
      responseId: null,
      inputMessages: [
        { role: 'system', content: 'You are a booking assistant.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Book the room in this photo.' },
            { type: 'image_url', image_url: { url: 'https://example.com/room.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: '{"floor": 2}' } }],
        },
        { role: 'tool', content: '["R201"]', tool_call_id: 'call_1' },
      ],
      outputMessages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'book_room', arguments: '{"room": "R201"}' } }],
        },
      ],
      inputTokens: 97,
      outputTokens: 12,
      totalTokens: 109,
      finishReasons: [],
      requestParameters: { model: 'gpt-4o-mini', temperature: 0.2 },
      tools: [TOOL_SCHEMA],
    });
  });

  it("reads LangChain.js's records: llm.finish_reason, '' content on a tool-call turn, tool messages without ids", () => {
    // As @arizeai/openinference-instrumentation-langchain records a ChatOpenAI run with a tool result:
    // it writes no `tool_call.id` / `message.tool_call_id`, and `''` as the content of a tool-call turn.
    const mapping = mapSpan(
      makeSpan({
        name: 'ChatOpenAI',
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'gpt-4.1-nano',
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.content': 'Find a room at 14:30.',
          'llm.input_messages.1.message.role': 'assistant',
          'llm.input_messages.1.message.content': '',
          'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'find_rooms',
          'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{"time":"14:30"}',
          'llm.input_messages.2.message.role': 'tool',
          'llm.input_messages.2.message.content': '{"rooms":["R201"]}',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': 'R201',
          'llm.finish_reason': 'stop',
          'llm.token_count.prompt': 40,
          'llm.token_count.completion': 3,
        },
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, [
      { role: 'user', content: 'Find a room at 14:30.' },
      { role: 'assistant', content: null, tool_calls: [{ id: '', type: 'function', function: { name: 'find_rooms', arguments: '{"time":"14:30"}' } }] },
      { role: 'tool', content: '{"rooms":["R201"]}', tool_call_id: '' },
    ]);
    assert.deepEqual(mapping.llmCall?.outputMessages, [{ role: 'assistant', content: 'R201' }]);
    assert.deepEqual(mapping.llmCall?.finishReasons, ['stop']);
    assert.equal(mapping.llmCall?.totalTokens, 43);
    // An empty text turn without tool calls keeps its ''.
    const plain = mapSpan(makeSpan({ attributes: { 'openinference.span.kind': 'LLM', 'llm.output_messages.0.message.role': 'assistant', 'llm.output_messages.0.message.content': '' } }));
    assert.deepEqual(plain.llmCall?.outputMessages, [{ role: 'assistant', content: '' }]);
  });

  it('reads llm.finish_reason as a list (one per choice)', () => {
    const mapping = mapSpan(makeSpan({ attributes: { ...openInferenceAttributes(), 'llm.finish_reason': ['tool_calls', 'stop'] } }));
    assert.deepEqual(mapping.llmCall?.finishReasons, ['tool_calls', 'stop']);
  });

  it('does not count CHAIN, AGENT or TOOL spans', () => {
    for (const kind of ['CHAIN', 'AGENT', 'TOOL', 'EMBEDDING']) {
      const mapping = mapSpan(makeSpan({ attributes: { ...openInferenceAttributes(), 'openinference.span.kind': kind } }));
      assert.equal(mapping.llmCall, null, kind);
    }
  });

  it('records an LLM span without messages (model and tokens only)', () => {
    const mapping = mapSpan(
      makeSpan({ attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'llama3', 'llm.token_count.prompt': 5 } }),
    );
    assert.equal(mapping.llmCall?.convention, 'openinference');
    assert.equal(mapping.llmCall?.model, 'llama3');
    assert.equal(mapping.llmCall?.inputTokens, 5);
    assert.equal(mapping.llmCall?.outputTokens, null);
    assert.equal(mapping.llmCall?.totalTokens, null);
  });

  it('ignores OpenLLMetry llm.* attributes that are not OpenInference', () => {
    const mapping = mapSpan(makeSpan({ attributes: { 'llm.is_streaming': false, 'llm.headers': 'None' } }));
    assert.equal(mapping.llmCall, null);
  });
});

describe('mapSpan: precedence between conventions', () => {
  it('prefers the convention that holds messages: OpenInference over a GenAI summary', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          ...openInferenceAttributes(),
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 1,
        },
      }),
    );
    assert.equal(mapping.llmCall?.convention, 'openinference');
    assert.equal(mapping.llmCall?.inputTokens, 97);
  });

  it('prefers GenAI when both hold messages', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          ...openInferenceAttributes(),
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        },
      }),
    );
    assert.equal(mapping.llmCall?.convention, 'gen_ai');
    assert.deepEqual(mapping.llmCall?.inputMessages, [{ role: 'user', content: 'hi' }]);
  });

  it('prefers GenAI when neither holds messages', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'a',
          'gen_ai.request.model': 'b',
        },
      }),
    );
    assert.equal(mapping.llmCall?.convention, 'gen_ai');
    assert.equal(mapping.llmCall?.model, 'b');
  });
});
