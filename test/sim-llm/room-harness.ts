import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { answerDistribution, detectRoomRules, parseRoomTask, parseRooms, roomAnswerModel, SimLlmServer } from '../../src/sim-llm/index.ts';
import type { SimLlmOptions } from '../../src/sim-llm/index.ts';
import { ROOM_TOOL } from '../../examples/room-selector/room-agent.ts';
import type { Room, RoomTask as RoomTaskRecord, RoomTaskInput } from '../../examples/room-selector/room-data.ts';

/**
 * The APO tutorial's room-selector agent, written against the OpenAI SDK exactly as it would be for
 * a real model, plus the real data from ../shared/data/room-selector.
 */

const DATA = new URL('../../../shared/data/room-selector/', import.meta.url);

// The data's types are the room-selector example's own.
export type { Room, RoomTaskInput, Slot } from '../../examples/room-selector/room-data.ts';
export type { RoomTask as RoomTaskRecord } from '../../examples/room-selector/room-data.ts';

export const ROOMS: Room[] = JSON.parse(readFileSync(new URL('rooms.json', DATA), 'utf8')).rooms;
export const TASKS: RoomTaskRecord[] = readFileSync(new URL('room_tasks.jsonl', DATA), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));

/** The tutorial's tool: the room selector example's own. */
export { ROOM_TOOL };

/** The tutorial's baseline template. */
export const BASELINE_TEMPLATE =
  'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}';

/** A template that states every rule (the tutorial's oracle prompt, in our own words). */
export const FULL_RULES_TEMPLATE = [
  'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}.',
  'Only rooms free for the whole slot, with capacity of at least the attendee count, all required equipment, and wheelchair access when accessibility is required, qualify.',
  'Break ties by the smallest capacity slack, then the least extra equipment, then the shortest distance, then the fewest booked slots that day.',
  'If no room qualifies, answer No Room.',
  'Return strictly:',
  'final_choice: <ROOM_ID>',
  'reason: <one line>',
].join('\n');

function minutes(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
}

/** The tool's implementation: every room with a `free` flag for the slot. */
export function getRoomsAndAvailability(date: string, time: string, durationMin: number): { rooms: (Room & { free: boolean })[] } {
  return {
    rooms: ROOMS.map((room) => ({
      ...room,
      free: room.booked.every(
        (slot) => slot.date !== date || Math.max(minutes(slot.time), minutes(time)) >= Math.min(minutes(slot.time) + slot.duration_min, minutes(time) + durationMin),
      ),
    })),
  };
}

/** Fills `{name}` placeholders (needs joined with ", ", "none" when empty). */
export function fillTemplate(template: string, input: RoomTaskInput): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = (input as unknown as Record<string, unknown>)[name];
    if (value === undefined) return whole;
    if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : 'none';
    return String(value);
  });
}

/** The room an answer names: its `final_choice:` value, else the first room id or "No Room" in the text. */
export function gradeChoice(answer: string | null | undefined): string | undefined {
  if (!answer) return undefined;
  const keyed = /final_choice\s*:\s*(.+)/i.exec(answer);
  if (keyed) return keyed[1].trim();
  let first: { id: string; at: number } | undefined;
  for (const id of [...ROOMS.map((room) => room.id), 'No Room']) {
    const at = answer.search(new RegExp(`\\b${id}\\b`));
    if (at >= 0 && (!first || at < first.at)) first = { id, at };
  }
  return first?.id;
}

export interface RoomRun {
  messages: ChatCompletionMessageParam[];
  toolCalled: boolean;
  answer: string | null;
  reward: number;
}

/** Runs the tutorial's agent on one task: tool call, tool result, final answer; exact-match reward. */
export async function runRoomTask(client: OpenAI, template: string, task: RoomTaskRecord, model = 'gpt-4.1-nano'): Promise<RoomRun> {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are a scheduling assistant.' },
    { role: 'user', content: fillTemplate(template, task.task_input) },
  ];
  const first = await client.chat.completions.create({ model, messages, tools: [ROOM_TOOL], tool_choice: 'auto', temperature: 0 });
  const message = first.choices[0].message;
  let answer = message.content;
  const toolCalls = message.tool_calls ?? [];
  if (toolCalls.length > 0) {
    messages.push({ role: 'assistant', content: message.content, tool_calls: toolCalls });
    for (const call of toolCalls) {
      if (call.type !== 'function') throw new Error('not a function call');
      const args = JSON.parse(call.function.arguments) as { date: string; time: string; duration_min: number };
      messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(getRoomsAndAvailability(args.date, args.time, args.duration_min)) });
    }
    const second = await client.chat.completions.create({ model, messages, temperature: 0 });
    answer = second.choices[0].message.content;
    messages.push({ role: 'assistant', content: answer });
  }
  return { messages, toolCalled: toolCalls.length > 0, answer, reward: gradeChoice(answer) === task.expected_choice ? 1 : 0 };
}

/** The mean reward of a template over tasks, run a few at a time. */
export async function scoreTemplate(client: OpenAI, template: string, tasks: RoomTaskRecord[] = TASKS): Promise<{ score: number; runs: RoomRun[] }> {
  const runs: RoomRun[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < tasks.length) {
        const index = next++;
        runs[index] = await runRoomTask(client, template, tasks[index]);
      }
    }),
  );
  return { score: runs.reduce((sum, run) => sum + run.reward, 0) / runs.length, runs };
}

/** A simulator on a free port and an SDK client pointed at it. */
export async function startSim(options: SimLlmOptions = {}, clientOptions: { maxRetries?: number } = {}): Promise<{ server: SimLlmServer; client: OpenAI }> {
  const server = await SimLlmServer.start({ port: 0, ...options });
  const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'sim', maxRetries: clientOptions.maxRetries ?? 2 });
  return { server, client };
}

/** The `{placeholder}` names of a template, sorted. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
}

/** Whether every brace is part of a balanced pair, with no nesting. */
export function bracesBalanced(template: string): boolean {
  let depth = 0;
  for (const char of template) {
    if (char === '{') depth++;
    if (char === '}') depth--;
    if (depth < 0 || depth > 1) return false;
  }
  return depth === 0;
}

/**
 * An independent oracle for the tests: the rooms that satisfy the given constraints for a task,
 * in list order (written separately from the simulator, from the data README's rule).
 */
export function fittingRooms(input: RoomTaskInput, apply: { equipment?: boolean; accessibility?: boolean } = {}): Room[] {
  const { rooms } = getRoomsAndAvailability(input.date, input.time, input.duration_min);
  return rooms.filter(
    (room) =>
      room.free &&
      room.capacity >= input.attendees &&
      (apply.equipment === false || input.needs.every((need) => room.equipment.includes(need))) &&
      (apply.accessibility === false || !input.accessible_required || room.accessible),
  );
}

/**
 * The simulator's expected exact-match score for a template on `tasks` at `temperature`: the mean
 * probability of the expected answer under the room agent's answer model, read from the same
 * messages the agent sends (system message, filled template, the tool's rooms). It does not depend
 * on the seed, so it measures the prompt, not the draw.
 */
export function expectedScore(template: string, temperature = 0, tasks: RoomTaskRecord[] = TASKS): number {
  let total = 0;
  for (const task of tasks) {
    const text = `You are a scheduling assistant.\n${fillTemplate(template, task.task_input)}`;
    const { rooms: listed } = getRoomsAndAvailability(task.task_input.date, task.task_input.time, task.task_input.duration_min);
    const vocabulary = [...new Set(listed.flatMap((room) => room.equipment))];
    const roomTask = parseRoomTask(text, vocabulary);
    const rooms = parseRooms(JSON.stringify({ rooms: listed }), roomTask)!;
    const distribution = answerDistribution(roomAnswerModel(roomTask, rooms, detectRoomRules(text), temperature));
    total += distribution.get(task.expected_choice) ?? 0;
  }
  return total / tasks.length;
}
