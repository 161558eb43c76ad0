import type { ChatMessage } from '../../src/semconv/index.ts';

/** The `find_rooms` tool's JSON schema, as the fixtures declare it. */
export const FIND_ROOMS_SCHEMA = {
  type: 'object',
  properties: { floor: { type: 'integer' }, capacity: { type: 'integer' } },
  required: ['floor'],
};

/** What every fixture's conversation comes to in OpenAI format. */
export const EXPECTED_HISTORY: ChatMessage[] = [
  { role: 'system', content: 'You are a booking assistant.' },
  { role: 'user', content: 'Book a room for 4 people on floor 2.' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: '{"floor":2,"capacity":4}' } }],
  },
  { role: 'tool', content: '{"rooms":["R201","R204"]}', tool_call_id: 'call_1' },
];
