import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan } from '../../src/semconv/index.ts';
import { EXPECTED_HISTORY, FIND_ROOMS_SCHEMA } from './booking-conversation.ts';
import { makeSpan } from './span-fixtures.ts';

describe('mapSpan: OpenTelemetry GenAI, current attributes', () => {
  it('reads gen_ai.input/output.messages given as JSON strings, with system instructions and tools', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'chat gpt-4o-mini',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.request.temperature': 0.2,
          'gen_ai.request.max_tokens': 200,
          'gen_ai.request.top_p': 1,
          'gen_ai.request.stop_sequences': ['END'],
          'gen_ai.response.id': 'chatcmpl-9J3uIL87gldCFtiIbyaOvTeYBRA3l',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': 97,
          'gen_ai.usage.output_tokens': 52,
          'server.address': 'api.openai.com',
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Only talk about rooms.' }]),
          'gen_ai.input.messages': JSON.stringify([
            { role: 'system', parts: [{ type: 'text', content: 'You are a booking assistant.' }] },
            { role: 'user', parts: [{ type: 'text', content: 'Book a room for 4 people on floor 2.' }] },
            {
              role: 'assistant',
              parts: [{ type: 'tool_call', id: 'call_1', name: 'find_rooms', arguments: { floor: 2, capacity: 4 } }],
            },
            { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { rooms: ['R201', 'R204'] } }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: 'Room R201 is free.' }], finish_reason: 'stop' },
          ]),
          'gen_ai.tool.definitions': JSON.stringify([
            { type: 'function', name: 'find_rooms', description: 'Find free rooms', parameters: FIND_ROOMS_SCHEMA },
          ]),
        },
      }),
    );
    assert.deepEqual(mapping.llmCall, {
      convention: 'gen_ai',
      model: 'gpt-4o-mini-2024-07-18',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      responseId: 'chatcmpl-9J3uIL87gldCFtiIbyaOvTeYBRA3l',
      inputMessages: [{ role: 'system', content: 'Only talk about rooms.' }, ...EXPECTED_HISTORY],
      outputMessages: [{ role: 'assistant', content: 'Room R201 is free.' }],
      inputTokens: 97,
      outputTokens: 52,
      totalTokens: 149,
      finishReasons: ['stop'],
      requestParameters: { temperature: 0.2, top_p: 1, max_tokens: 200, stop: ['END'] },
      tools: [
        { type: 'function', function: { name: 'find_rooms', description: 'Find free rooms', parameters: FIND_ROOMS_SCHEMA } },
      ],
    });
    assert.deepEqual(mapping.rewards, []);
  });

  it('reads structured (kvlist) messages: tool calls out, several choices, media, reasoning, string arguments', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'anthropic',
          'gen_ai.request.model': 'claude-sonnet-4',
          'gen_ai.usage.input_tokens': 1200n,
          'gen_ai.usage.output_tokens': '40',
          'gen_ai.input.messages': [
            {
              role: 'user',
              name: 'alice',
              parts: [
                { type: 'text', content: 'Which room is in this photo?' },
                { type: 'uri', modality: 'image', mime_type: 'image/png', uri: 'https://example.com/room.png' },
                { type: 'blob', modality: 'image', mime_type: 'image/jpeg', content: 'aGVsbG8=' },
                { type: 'file', file_id: 'file-123' },
              ],
            },
            {
              // An Anthropic-style user turn answering a tool call, with its own text after the result.
              role: 'user',
              parts: [
                { type: 'tool_call_response', id: 'toolu_1', response: 'R201: 4 seats' },
                { type: 'text', content: 'Thanks.' },
              ],
            },
          ],
          'gen_ai.output.messages': [
            {
              role: 'assistant',
              finish_reason: 'tool_call',
              parts: [
                { type: 'reasoning', content: 'The photo shows a whiteboard.' },
                { type: 'text', content: 'Let me check.' },
                { type: 'tool_call', id: 'toolu_2', name: 'book_room', arguments: '{"room":"R201"}' },
                { type: 'server_tool_call', id: 'srv_1', name: 'code_interpreter' },
              ],
            },
            { role: 'assistant', finish_reason: 'stop', parts: [{ type: 'text', content: 'R201.' }] },
          ],
        },
      }),
    );
    const call = mapping.llmCall;
    assert.ok(call);
    assert.equal(call.model, 'claude-sonnet-4');
    assert.equal(call.provider, 'anthropic');
    assert.equal(call.inputTokens, 1200);
    assert.equal(call.outputTokens, 40);
    assert.deepEqual(call.finishReasons, ['tool_call', 'stop']);
    assert.deepEqual(call.inputMessages, [
      {
        role: 'user',
        name: 'alice',
        content: [
          { type: 'text', text: 'Which room is in this photo?' },
          { type: 'image_url', image_url: { url: 'https://example.com/room.png' } },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,aGVsbG8=' } },
          { type: 'file', file: { file_id: 'file-123' } },
        ],
      },
      { role: 'tool', content: 'R201: 4 seats', tool_call_id: 'toolu_1' },
      { role: 'user', content: 'Thanks.' },
    ]);
    assert.deepEqual(call.outputMessages, [
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 'toolu_2', type: 'function', function: { name: 'book_room', arguments: '{"room":"R201"}' } }],
        reasoning_content: 'The photo shows a whiteboard.',
      },
      { role: 'assistant', content: 'R201.' },
    ]);
  });

  it('records a call whose content capture is off: model and tokens, no messages', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'chat gpt-4',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4',
          'gen_ai.usage.input_tokens': 52,
          'gen_ai.usage.output_tokens': 47,
        },
      }),
    );
    assert.ok(mapping.llmCall);
    assert.equal(mapping.llmCall.model, 'gpt-4');
    assert.equal(mapping.llmCall.responseModel, null);
    assert.deepEqual(mapping.llmCall.inputMessages, []);
    assert.deepEqual(mapping.llmCall.outputMessages, []);
    assert.equal(mapping.llmCall.inputTokens, 52);
    assert.equal(mapping.llmCall.outputTokens, 47);
  });

  it('does not count agent, tool or embedding spans as LLM calls', () => {
    for (const operation of ['invoke_agent', 'execute_tool', 'embeddings', 'create_agent']) {
      const mapping = mapSpan(
        makeSpan({
          attributes: {
            'gen_ai.operation.name': operation,
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.agent.name': 'booker',
            'gen_ai.tool.name': 'find_rooms',
            'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
          },
        }),
      );
      assert.equal(mapping.llmCall, null, operation);
    }
    const embedding = mapSpan(
      makeSpan({
        name: 'openai.embeddings',
        attributes: { 'llm.request.type': 'embedding', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'text-embedding-3-small' },
      }),
    );
    assert.equal(embedding.llmCall, null);
    // gen_ai attributes that say nothing about a call (no model, tokens or messages).
    assert.equal(mapSpan(makeSpan({ attributes: { 'gen_ai.conversation.id': 'c-1' } })).llmCall, null);
  });
});
