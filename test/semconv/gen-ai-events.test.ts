import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapSpan } from '../../src/semconv/index.ts';
import { EXPECTED_HISTORY } from './booking-conversation.ts';
import { makeSpan } from './span-fixtures.ts';

describe('mapSpan: OpenTelemetry GenAI, deprecated message events', () => {
  it('reads gen_ai.*.message and gen_ai.choice events with tool calls and tool results', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'chat gpt-4o-mini',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': 80,
          'gen_ai.usage.output_tokens': 9,
        },
        events: [
          { name: 'gen_ai.system.message', attributes: { 'gen_ai.system': 'openai', content: 'You are a booking assistant.' } },
          { name: 'gen_ai.user.message', attributes: { 'gen_ai.system': 'openai', content: 'Book a room for 4 people on floor 2.' } },
          {
            name: 'gen_ai.assistant.message',
            attributes: {
              'gen_ai.system': 'openai',
              tool_calls: JSON.stringify([
                { id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: { floor: 2, capacity: 4 } } },
              ]),
            },
          },
          { name: 'gen_ai.tool.message', attributes: { 'gen_ai.system': 'openai', id: 'call_1', content: '{"rooms":["R201","R204"]}' } },
          {
            name: 'gen_ai.choice',
            attributes: {
              'gen_ai.system': 'openai',
              index: 0,
              finish_reason: 'stop',
              message: '{"role":"assistant","content":"Room R201 is free."}',
            },
          },
          { name: 'exception', attributes: { 'exception.message': 'unrelated' } },
        ],
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, EXPECTED_HISTORY);
    assert.deepEqual(mapping.llmCall?.outputMessages, [{ role: 'assistant', content: 'Room R201 is free.' }]);
    assert.deepEqual(mapping.llmCall?.finishReasons, ['stop']);
    assert.equal(mapping.llmCall?.inputTokens, 80);
  });

  it('reads event bodies given as gen_ai.event.content JSON, and choices in index order', () => {
    const mapping = mapSpan(
      makeSpan({
        attributes: { 'gen_ai.system': 'az.ai.inference', 'gen_ai.request.model': 'gpt-4o' },
        events: [
          { name: 'gen_ai.user.message', attributes: { 'gen_ai.event.content': '{"role":"user","content":"hi"}' } },
          {
            name: 'gen_ai.choice',
            attributes: {
              'gen_ai.event.content': JSON.stringify({
                index: 1,
                finish_reason: 'stop',
                message: { content: 'second' },
              }),
            },
          },
          {
            name: 'gen_ai.choice',
            attributes: {
              'gen_ai.event.content': JSON.stringify({
                index: 0,
                finish_reason: 'tool_calls',
                message: { tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
              }),
            },
          },
        ],
      }),
    );
    assert.deepEqual(mapping.llmCall?.inputMessages, [{ role: 'user', content: 'hi' }]);
    assert.deepEqual(mapping.llmCall?.outputMessages, [
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'assistant', content: 'second' },
    ]);
    assert.deepEqual(mapping.llmCall?.finishReasons, ['tool_calls', 'stop']);
  });

  it('reads the older gen_ai.content.prompt / gen_ai.content.completion events, even on a span without gen_ai attributes', () => {
    const mapping = mapSpan(
      makeSpan({
        events: [
          {
            name: 'gen_ai.content.prompt',
            attributes: { 'gen_ai.prompt': '[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"}]' },
          },
          {
            name: 'gen_ai.content.completion',
            attributes: { 'gen_ai.completion': '[{"role":"assistant","content":"4"}]' },
          },
        ],
      }),
    );
    assert.equal(mapping.llmCall?.convention, 'gen_ai');
    assert.deepEqual(mapping.llmCall?.inputMessages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: '2+2?' },
    ]);
    assert.deepEqual(mapping.llmCall?.outputMessages, [{ role: 'assistant', content: '4' }]);
  });
});
