import { choose, decisionRandom, promptText } from './behaviour.ts';
import type { Behaviour, BehaviourContext } from './behaviour.ts';
import type { ChatRequest, SimulatedReply, ToolDefinition } from './chat-types.ts';
import { isObject } from './chat-request.ts';
import { decideRoom } from './room-answer-model.ts';
import { appliedConstraints, NO_ROOM, parseRooms, tieBreakValue } from './room-choice.ts';
import type { RoomDecision, RoomInfo } from './room-choice.ts';
import { detectRoomRules, parseRoomTask } from './room-rules.ts';
import type { RoomRules, RoomTask, TieBreak } from './room-rules.ts';

const ROOM_TOOL_PATTERN = /room|availab|calendar|booking/i;

/**
 * The room-selector agent of Agent Lightning's APO tutorial. With the availability tool offered and
 * a booking task in the prompt, it first calls the tool (`get_rooms_and_availability` with
 * `{date, time, duration_min}` in the tutorial); once a tool result with rooms is in the messages,
 * it chooses a room as a capable model would (see `room-answer-model.ts`: the task's constraints
 * always, the tie-breaks and "No Room" as the prompt states them, occasional slips), and answers in
 * the format the prompt asks for (prose when it asks for none).
 */
export const roomSelectorBehaviour: Behaviour = {
  name: 'room-selector',
  respond(context) {
    const { request } = context;
    const text = promptText(request.messages);
    const toolResult = findRoomsResult(request);
    if (toolResult) {
      const task = parseRoomTask(text, toolResult.vocabulary);
      const rooms = parseRooms(toolResult.content, task);
      if (!rooms) return undefined;
      const rules = detectRoomRules(text);
      const decision = decideRoom(task, rooms, rules, request.temperature, decisionRandom(context, 'room-decision', [task, toolResult.content]));
      return { content: writeAnswer(context, task, rules, decision) };
    }
    if (request.toolChoice === 'none') return undefined;
    const tool = pickRoomTool(request);
    if (!tool) return undefined;
    const task = parseRoomTask(text);
    if (task.date === undefined && task.time === undefined) return undefined;
    return { content: null, toolCalls: [{ name: tool.name, arguments: JSON.stringify(toolArguments(tool, task)) }] };
  },
};

function findRoomsResult(request: ChatRequest): { content: string; vocabulary: string[] } | undefined {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index];
    if (message.role !== 'tool' && message.role !== 'function') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.content);
    } catch {
      continue;
    }
    const list = Array.isArray(parsed) ? parsed : isObject(parsed) && Array.isArray(parsed.rooms) ? parsed.rooms : undefined;
    if (!list) continue;
    const vocabulary = new Set<string>();
    for (const room of list) {
      if (isObject(room) && Array.isArray(room.equipment)) for (const name of room.equipment) if (typeof name === 'string') vocabulary.add(name.toLowerCase());
    }
    return { content: message.content, vocabulary: [...vocabulary] };
  }
  return undefined;
}

function pickRoomTool(request: ChatRequest): ToolDefinition | undefined {
  const choice = request.toolChoice;
  if (typeof choice === 'object') return request.tools.find((tool) => tool.name === choice.name);
  return request.tools.find((tool) => ROOM_TOOL_PATTERN.test(tool.name) || ROOM_TOOL_PATTERN.test(tool.description));
}

/** Fills the tool's declared parameters from the task (the tutorial's shape when it declares none). */
function toolArguments(tool: ToolDefinition, task: RoomTask): Record<string, unknown> {
  const properties = isObject(tool.parameters.properties) ? Object.keys(tool.parameters.properties) : ['date', 'time', 'duration_min'];
  const args: Record<string, unknown> = {};
  for (const name of properties) {
    if (/date|day/i.test(name) && task.date !== undefined) args[name] = task.date;
    else if (/duration|minutes|length/i.test(name) && task.durationMin !== undefined) args[name] = task.durationMin;
    else if (/time|start/i.test(name) && task.time !== undefined) args[name] = task.time;
    else if (/attendees|people|size/i.test(name) && task.attendees !== undefined) args[name] = task.attendees;
  }
  return args;
}

const TIE_BREAK_WORDS: Record<TieBreak, string> = {
  capacitySlack: 'capacity slack',
  extraEquipment: 'extra equipment',
  distance: 'distance',
  bookedSlots: 'booked slots',
};

function describeRoom(room: RoomInfo, task: RoomTask): string {
  const parts = [`free at ${task.time ?? 'the requested time'}`];
  parts.push(task.attendees !== undefined ? `seats ${room.capacity} for ${task.attendees}` : `seats ${room.capacity}`);
  if (task.needs && task.needs.length > 0) parts.push(`has ${task.needs.join(' and ')}`);
  if (task.accessibleRequired) parts.push('accessible');
  parts.push(`${room.distanceM} m away`);
  return parts.join(', ');
}

function decisiveCriteria(decision: RoomDecision, task: RoomTask): string {
  if (decision.choice === NO_ROOM) {
    const applied = appliedConstraints(task);
    const checked = ['free for the slot', applied.capacity ? 'capacity' : '', applied.equipment ? 'required equipment' : '', applied.accessibility ? 'accessibility' : '']
      .filter(Boolean)
      .join(', ');
    return `no room satisfies every constraint (${checked})`;
  }
  const room = decision.room!;
  if (!decision.fits) return `closest partial match, but it fails on ${decision.violations.join(' and ')}`;
  const base = describeRoom(room, task);
  if (decision.candidates <= 1) return `${base}; the only room that fits`;
  if (decision.tieBreaks.length === 0) return `${base}; the first of ${decision.candidates} rooms that fit`;
  const values = decision.tieBreaks.map((tieBreak) => `${TIE_BREAK_WORDS[tieBreak]} ${tieBreakValue(tieBreak, room, task)}`);
  return `${base}; best of ${decision.candidates} fitting rooms by ${values.join(', ')}`;
}

function writeAnswer(context: BehaviourContext, task: RoomTask, rules: RoomRules, decision: RoomDecision): string {
  const reason = decisiveCriteria(decision, task);
  switch (rules.format.kind) {
    case 'final_choice':
      return `final_choice: ${decision.choice}\nreason: ${reason}`;
    case 'keyed':
      return `${rules.format.key}: ${decision.choice}\nreason: ${reason}`;
    case 'bare':
      return decision.choice;
    case 'prose':
      return proseAnswer(context, task, decision);
  }
}

/** A free-form answer, as a model writes without a format instruction: names the room first, never another room. */
function proseAnswer(context: BehaviourContext, task: RoomTask, decision: RoomDecision): string {
  if (decision.choice === NO_ROOM) {
    return choose(context, [
      'No Room: none of the rooms satisfies every requirement for this slot.',
      'No Room. Nothing available meets all of the requirements at that time.',
      'No Room — every candidate fails at least one requirement.',
    ]);
  }
  const room = decision.room!;
  if (!decision.fits) {
    const failing = decision.violations.join(' and ');
    return choose(context, [
      `Nothing matches every requirement; the closest match is ${room.id}, although it falls short on ${failing}.`,
      `The nearest fit I can find is ${room.id}, which misses on ${failing}.`,
      `I'd suggest ${room.id} as a compromise: it does not meet the ${failing} requirement, but it is the closest match.`,
    ]);
  }
  const details = describeRoom(room, task);
  return choose(context, [
    `I recommend ${room.id}: it is ${details}.`,
    `${room.id} works well for this meeting (${details}).`,
    `Let's book ${room.id}. It is ${details}.`,
  ]);
}
