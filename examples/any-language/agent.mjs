// The room selector as a Node program on the plain `openai` SDK, with no instrumentation and no
// Agent Lightning code: `new OpenAI()` reads OPENAI_BASE_URL (the collector's gateway for the
// rollout) and OPENAI_API_KEY; the task comes on stdin, the prompt being tried in AGL_PROMPT. It
// prints its answer; the grader (grader.ts) scores the recorded final answer.
//
//   npx agl train --command "node examples/any-language/agent.mjs" --grader examples/any-language/grader.ts \
//     --dataset examples/room-selector/data/room_tasks.jsonl --val-fraction 0.5 --prompt-file examples/any-language/baseline-prompt.txt
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const ROOMS = JSON.parse(readFileSync(new URL('../room-selector/data/rooms.json', import.meta.url), 'utf8')).rooms;
const minutes = (time) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
function roomsAndAvailability(date, time, durationMin) {
  const start = minutes(time);
  const end = start + Number(durationMin);
  return { rooms: ROOMS.map((room) => ({ ...room, free: room.booked.every((slot) => slot.date !== date || minutes(slot.time) >= end || minutes(slot.time) + slot.duration_min <= start) })) };
}
const tool = {
  type: 'function',
  function: {
    name: 'get_rooms_and_availability',
    description: 'Return meeting rooms with capacity, equipment, accessibility, distance, and booked time slots.',
    parameters: { type: 'object', properties: { date: { type: 'string' }, time: { type: 'string' }, duration_min: { type: 'integer' } }, required: ['date', 'time', 'duration_min'] },
  },
};

const openai = new OpenAI();
const model = process.env.AGENT_MODEL || 'gpt-4.1-nano';
JSON.parse(readFileSync(0, 'utf8')); // the task (the prompt in AGL_PROMPT is already rendered with it)
const messages = [
  { role: 'system', content: 'You are a scheduling assistant.' },
  { role: 'user', content: process.env.AGL_PROMPT },
];
let message = (await openai.chat.completions.create({ model, messages, tools: [tool], tool_choice: 'auto', temperature: 0 })).choices[0].message;
if (message.tool_calls?.length) {
  messages.push({ role: 'assistant', content: message.content, tool_calls: message.tool_calls });
  for (const call of message.tool_calls) {
    const args = JSON.parse(call.function.arguments);
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(roomsAndAvailability(args.date, args.time, args.duration_min)) });
  }
  message = (await openai.chat.completions.create({ model, messages, temperature: 0 })).choices[0].message;
}
console.log(message.content);
