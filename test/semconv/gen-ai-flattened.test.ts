import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan } from '../../src/semconv/index.ts';
import { EXPECTED_HISTORY, FIND_ROOMS_SCHEMA } from './booking-conversation.ts';
import { makeSpan } from './span-fixtures.ts';

describe('mapSpan: OpenTelemetry GenAI, flattened OpenLLMetry attributes', () => {
  it('reads gen_ai.prompt.<i>.* / gen_ai.completion.<i>.* with tool calls and tool results', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'openai.chat',
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.request.temperature': 0,
          'llm.is_streaming': false,
          'llm.headers': 'None',
          'gen_ai.openai.api_base': 'https://api.openai.com/v1/',
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'You are a booking assistant.',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'Book a room for 4 people on floor 2.',
          'gen_ai.prompt.2.role': 'assistant',
          'gen_ai.prompt.2.tool_calls.0.id': 'call_1',
          'gen_ai.prompt.2.tool_calls.0.name': 'find_rooms',
          'gen_ai.prompt.2.tool_calls.0.arguments': '{"floor":2,"capacity":4}',
          'gen_ai.prompt.3.role': 'tool',
          'gen_ai.prompt.3.content': '{"rooms":["R201","R204"]}',
          'gen_ai.prompt.3.tool_call_id': 'call_1',
          'llm.request.functions.0.name': 'find_rooms',
          'llm.request.functions.0.description': 'Find free rooms',
          'llm.request.functions.0.parameters': JSON.stringify(FIND_ROOMS_SCHEMA),
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.response.id': 'chatcmpl-abc',
          'llm.usage.total_tokens': 130,
          'gen_ai.usage.prompt_tokens': 110,
          'gen_ai.usage.completion_tokens': 20,
          'gen_ai.completion.0.finish_reason': 'tool_calls',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.tool_calls.0.id': 'call_2',
          'gen_ai.completion.0.tool_calls.0.name': 'book_room',
          'gen_ai.completion.0.tool_calls.0.arguments': '{"room":"R201"}',
          'gen_ai.completion.0.tool_calls.1.id': 'call_3',
          'gen_ai.completion.0.tool_calls.1.name': 'notify',
          'gen_ai.completion.0.tool_calls.1.arguments': '{}',
        },
      }),
    );
    assert.deepEqual(mapping.llmCall, {
      convention: 'gen_ai',
      model: 'gpt-4o-mini-2024-07-18',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      responseId: 'chatcmpl-abc',
      inputMessages: EXPECTED_HISTORY,
      outputMessages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_2', type: 'function', function: { name: 'book_room', arguments: '{"room":"R201"}' } },
            { id: 'call_3', type: 'function', function: { name: 'notify', arguments: '{}' } },
          ],
        },
      ],
      inputTokens: 110,
      outputTokens: 20,
      totalTokens: 130,
      finishReasons: ['tool_calls'],
      requestParameters: { temperature: 0 },
      tools: [
        { type: 'function', function: { name: 'find_rooms', description: 'Find free rooms', parameters: FIND_ROOMS_SCHEMA } },
      ],
    });
  });

  it('orders messages by index, not by key order, and reads JSON content parts and legacy function calls', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'gen_ai.system': 'openai',
          'gen_ai.prompt.10.role': 'user',
          'gen_ai.prompt.10.content': 'eleventh',
          'gen_ai.prompt.2.role': 'user',
          'gen_ai.prompt.2.content':
            '[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': '[not json but bracketed]',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.function_call.name': 'lookup',
          'gen_ai.completion.0.function_call.arguments': '{"q":1}',
        },
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, [
      { role: 'user', content: '[not json but bracketed]' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
      { role: 'user', content: 'eleventh' },
    ]);
    assert.deepEqual(mapping.llmCall?.outputMessages, [
      { role: 'assistant', content: null, tool_calls: [{ id: '', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }] },
    ]);
  });
});
