import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan } from '../../src/semconv/index.ts';
import { EXPECTED_HISTORY } from './booking-conversation.ts';
import { makeSpan } from './span-fixtures.ts';

const FIND_ROOMS_PARAMETERS = {
  type: 'object',
  properties: { floor: { type: 'integer' }, capacity: { type: 'integer' } },
  required: ['floor'],
  additionalProperties: false,
};

/** An AI SDK v4 `generateText` provider call, as `ai@4` records it. */
function v4DoGenerateAttributes(): Record<string, string | number | string[]> {
  return {
    'operation.name': 'ai.generateText.doGenerate room-agent',
    'ai.operationId': 'ai.generateText.doGenerate',
    'ai.model.provider': 'openai.chat',
    'ai.model.id': 'gpt-4o-mini',
    'ai.settings.maxRetries': 2,
    'ai.settings.temperature': 0.3,
    'ai.settings.maxTokens': 256,
    'ai.telemetry.functionId': 'room-agent',
    'resource.name': 'room-agent',
    'ai.prompt.format': 'messages',
    'ai.prompt.messages': JSON.stringify([
      { role: 'system', content: 'You are a booking assistant.' },
      { role: 'user', content: [{ type: 'text', text: 'Book a room for 4 people on floor 2.' }] },
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'find_rooms', args: { floor: 2, capacity: 4 } }],
      },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 'call_1', toolName: 'find_rooms', result: { rooms: ['R201', 'R204'] } }],
      },
    ]),
    'ai.prompt.tools': [
      JSON.stringify({ type: 'function', name: 'find_rooms', description: 'Find free rooms', parameters: FIND_ROOMS_PARAMETERS }),
    ],
    'ai.prompt.toolChoice': '{"type":"auto"}',
    'gen_ai.system': 'openai.chat',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.request.temperature': 0.3,
    'gen_ai.request.max_tokens': 256,
    'ai.response.finishReason': 'stop',
    'ai.response.text': 'Room R201 is free.',
    'ai.response.id': 'chatcmpl-xyz',
    'ai.response.model': 'gpt-4o-mini-2024-07-18',
    'ai.response.timestamp': '2025-01-01T00:00:00.000Z',
    'ai.usage.promptTokens': 97,
    'ai.usage.completionTokens': 8,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.response.id': 'chatcmpl-xyz',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.usage.input_tokens': 97,
    'gen_ai.usage.output_tokens': 8,
  };
}

describe('mapSpan: Vercel AI SDK', () => {
  it('reads a v4 doGenerate span (tool-call args, tool-result result)', () => {
    const mapping = mapSpan(makeSpan({ name: 'ai.generateText.doGenerate', attributes: v4DoGenerateAttributes() }));
    assert.deepEqual(mapping.llmCall, {
      convention: 'vercel_ai',
      model: 'gpt-4o-mini-2024-07-18',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      provider: 'openai.chat',
      responseId: 'chatcmpl-xyz',
      inputMessages: EXPECTED_HISTORY,
      outputMessages: [{ role: 'assistant', content: 'Room R201 is free.' }],
      inputTokens: 97,
      outputTokens: 8,
      totalTokens: 105,
      finishReasons: ['stop'],
      requestParameters: { temperature: 0.3, max_tokens: 256 },
      tools: [
        {
          type: 'function',
          function: { name: 'find_rooms', description: 'Find free rooms', parameters: FIND_ROOMS_PARAMETERS },
        },
      ],
    });
  });

  it('reads a v5 doStream span (tool-call input, typed tool-result output, files, reasoning, new usage names)', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'ai.streamText.doStream',
        attributes: {
          'ai.operationId': 'ai.streamText.doStream',
          'ai.model.provider': 'anthropic.messages',
          'ai.model.id': 'claude-sonnet-4-5',
          'ai.settings.maxOutputTokens': 1024,
          'ai.prompt.messages': JSON.stringify([
            { role: 'system', content: 'You are a booking assistant.' },
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Book the room in this photo.' },
                { type: 'file', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
                { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'floorplan.pdf' },
                { type: 'image', image: 'https://example.com/room.png' },
              ],
            },
            {
              role: 'assistant',
              content: [
                { type: 'reasoning', text: 'Need the room list.' },
                { type: 'text', text: 'Looking it up.' },
                { type: 'tool-call', toolCallId: 'call_1', toolName: 'find_rooms', input: { floor: 2 } },
                { type: 'tool-call', toolCallId: 'call_2', toolName: 'weather', input: { city: 'Paris' } },
              ],
            },
            {
              role: 'tool',
              content: [
                { type: 'tool-result', toolCallId: 'call_1', toolName: 'find_rooms', output: { type: 'json', value: ['R201'] } },
                { type: 'tool-result', toolCallId: 'call_2', toolName: 'weather', output: { type: 'text', value: 'rainy' } },
              ],
            },
          ]),
          'ai.response.finishReason': 'tool-calls',
          'ai.response.text': '',
          'ai.response.reasoning': 'R201 fits.',
          'ai.response.toolCalls': JSON.stringify([
            { type: 'tool-call', toolCallId: 'call_3', toolName: 'book_room', input: '{"room":"R201"}' },
          ]),
          'ai.response.model': 'claude-sonnet-4-5-20250929',
          'ai.usage.inputTokens': 1500,
          'ai.usage.outputTokens': 60,
          'ai.usage.totalTokens': 1560,
          'gen_ai.system': 'anthropic.messages',
          'gen_ai.request.model': 'claude-sonnet-4-5',
        },
      }),
    );
    const call = mapping.llmCall;
    assert.ok(call);
    assert.equal(call.convention, 'vercel_ai');
    assert.equal(call.model, 'claude-sonnet-4-5-20250929');
    assert.equal(call.inputTokens, 1500);
    assert.equal(call.outputTokens, 60);
    assert.equal(call.totalTokens, 1560);
    assert.deepEqual(call.finishReasons, ['tool-calls']);
    assert.deepEqual(call.requestParameters, { max_tokens: 1024 });
    assert.deepEqual(call.inputMessages, [
      { role: 'system', content: 'You are a booking assistant.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Book the room in this photo.' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'floorplan.pdf' } },
          { type: 'image_url', image_url: { url: 'https://example.com/room.png' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Looking it up.',
        reasoning_content: 'Need the room list.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: '{"floor":2}' } },
          { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', content: '["R201"]', tool_call_id: 'call_1' },
      { role: 'tool', content: 'rainy', tool_call_id: 'call_2' },
    ]);
    assert.deepEqual(call.outputMessages, [
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'R201 fits.',
        tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'book_room', arguments: '{"room":"R201"}' } }],
      },
    ]);
  });

  it('does not count the outer span or tool spans, whatever else they carry', () => {
    const outer = mapSpan(
      makeSpan({
        name: 'ai.generateText',
        attributes: {
          'ai.operationId': 'ai.generateText',
          'ai.model.id': 'gpt-4o-mini',
          'ai.prompt': '{"system":"You are a booking assistant.","prompt":"Book a room."}',
          'ai.response.text': 'Room R201 is free.',
          'ai.usage.promptTokens': 200,
          'ai.usage.completionTokens': 20,
          'gen_ai.request.model': 'gpt-4o-mini',
        },
      }),
    );
    assert.equal(outer.llmCall, null);
    const toolCall = mapSpan(
      makeSpan({
        name: 'ai.toolCall',
        attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'find_rooms', 'ai.toolCall.args': '{}' },
      }),
    );
    assert.equal(toolCall.llmCall, null);
    const embed = mapSpan(
      makeSpan({ name: 'ai.embed.doEmbed', attributes: { 'ai.operationId': 'ai.embed.doEmbed', 'ai.model.id': 'e' } }),
    );
    assert.equal(embed.llmCall, null);
  });

  it('recognises a provider call by the span name or by ai.prompt.messages when the operation id is missing', () => {
    const attributes = v4DoGenerateAttributes();
    delete attributes['ai.operationId'];
    assert.equal(mapSpan(makeSpan({ name: 'ai.streamText.doStream', attributes })).llmCall?.convention, 'vercel_ai');
    assert.equal(mapSpan(makeSpan({ name: 'renamed by a processor', attributes })).llmCall?.convention, 'vercel_ai');
  });

  it('falls back to ai.prompt when a provider call has no ai.prompt.messages', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'ai.generateText.doGenerate',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.id': 'gpt-4o-mini',
          'ai.prompt': JSON.stringify({
            system: 'Be brief.',
            prompt: 'Hi',
            messages: [{ role: 'user', content: 'And then?' }],
          }),
        },
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'user', content: 'And then?' },
    ]);
    assert.deepEqual(mapping.llmCall?.outputMessages, []);
    assert.equal(mapping.llmCall?.model, 'gpt-4o-mini');
  });

  it('keeps ai.* ahead of the gen_ai.* summary the SDK also writes', () => {
    const mapping = mapSpan(makeSpan({ name: 'ai.generateText.doGenerate', attributes: v4DoGenerateAttributes() }));
    assert.equal(mapping.llmCall?.convention, 'vercel_ai');
  });

  it('records a provider call without inputs or outputs (recordInputs/recordOutputs off) as a vercel_ai call', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'ai.generateText.doGenerate',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.id': 'gpt-4o-mini',
          'ai.usage.promptTokens': 10,
          'ai.usage.completionTokens': 2,
          'gen_ai.request.model': 'gpt-4o-mini',
        },
      }),
    );
    assert.equal(mapping.llmCall?.convention, 'vercel_ai');
    assert.deepEqual(mapping.llmCall?.inputMessages, []);
    assert.equal(mapping.llmCall?.totalTokens, 12);
  });

  it('takes the messages from gen_ai.* when a provider call records them there only', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'ai.generateText.doGenerate',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.id': 'gpt-4o-mini',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        },
      }),
    );
    assert.equal(mapping.llmCall?.convention, 'gen_ai');
    assert.deepEqual(mapping.llmCall?.inputMessages, [{ role: 'user', content: 'hi' }]);
  });
});
