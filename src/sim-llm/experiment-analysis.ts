import { isObject } from './chat-request.ts';
import type { Experiment } from './experiments.ts';
import { extractJsonValues } from './experiments.ts';
import { detectMathRules, parseSumQuestion } from './math-rules.ts';
import type { RuleKey } from './optimizer-rules.ts';
import { chooseRoom, NO_ROOM, parseRooms, tieBreakValue, violations } from './room-choice.ts';
import type { RoomConstraint, RoomInfo } from './room-choice.ts';
import { detectRoomRules, parseRoomTask, TIE_BREAKS } from './room-rules.ts';
import type { RoomTask } from './room-rules.ts';

/** What the optimizer concluded about one experiment. */
export interface Finding {
  experiment: number;
  reward: number | undefined;
  /** The rule the rollout's prompt was missing, when one explains the failure. */
  rule: RuleKey | undefined;
  /** A concrete sentence about what the rollout did. */
  detail: string;
  /** A passing rollout that was right by luck: the rule that decided it is not in the prompt. */
  lucky?: boolean;
}

/** The domain an experiment belongs to. */
export type Domain = 'room' | 'math' | 'unknown';

/** A rollout counts as failing below this reward (rewards are in [0, 1]). */
export const PASSING_REWARD = 1;

/** Whether an experiment failed: a reward below 1, or no reward and a status other than success. */
export function isFailing(experiment: Experiment): boolean {
  if (experiment.reward !== undefined) return experiment.reward < PASSING_REWARD;
  return experiment.status !== undefined && !/^succe/i.test(experiment.status);
}

/**
 * Explains a failing experiment by re-solving its task. For the room task: the task is read from
 * the prompt messages (and from a structured `task_input` in the experiment when there is one, since
 * the prompt may have left facts out), the rooms from the tool result, the chosen room from the last
 * answer; the correct choice is computed with every rule. For math: the N of the question and the
 * number answered. Returns `undefined` when the experiment is neither.
 */
export function analyseExperiment(experiment: Experiment): { domain: Domain; finding: Finding } | undefined {
  return analyseRoom(experiment) ?? analyseMath(experiment);
}

function prompt(experiment: Experiment): string {
  const text = experiment.messages
    .filter((message) => message.role === 'system' || message.role === 'user' || message.role === 'developer')
    .map((message) => message.content)
    .join('\n');
  return text || experiment.text;
}

function finalAnswer(experiment: Experiment): string {
  for (let index = experiment.messages.length - 1; index >= 0; index--) {
    const message = experiment.messages[index];
    if (message.role === 'assistant' && message.content.trim()) return message.content;
  }
  return '';
}

function analyseRoom(experiment: Experiment): { domain: Domain; finding: Finding } | undefined {
  const toolMessage = [...experiment.messages].reverse().find((message) => message.role === 'tool' && /"rooms"|^\s*\[/.test(message.content));
  const promptFacts = prompt(experiment);
  const probe = parseRoomTask(promptFacts);
  const rooms = toolMessage ? parseRooms(toolMessage.content, probe) : undefined;
  if (!rooms) return undefined;
  const vocabulary = new Set(rooms.flatMap((room) => room.equipment));
  const stated = parseRoomTask(promptFacts, vocabulary);
  const known: RoomTask = { ...stated, ...structuredTask(experiment) };
  const full = parseRooms(toolMessage!.content, known)!;
  const ideal = chooseRoom(known, full, { noRoom: true, tieBreaks: [...TIE_BREAKS] });
  const answer = finalAnswer(experiment);
  const chosen = extractRoomChoice(answer, full.map((room) => room.id));
  const base = { experiment: experiment.index, reward: experiment.reward };
  const say = (rule: RuleKey | undefined, detail: string) => ({ domain: 'room' as const, finding: { ...base, rule, detail } });

  if (chosen === undefined) {
    return say('roomFormat', `the answer names no room the grader can read (${quote(answer)}); the correct choice was ${ideal.choice}`);
  }
  if (chosen === ideal.choice) {
    const rules = detectRoomRules(promptFacts);
    // Right, but by luck: a reviewer who re-solves the task sees the prompt never said how to decide it.
    if (ideal.choice === NO_ROOM && !rules.noRoom) {
      return { domain: 'room', finding: { ...base, rule: 'noRoom', lucky: true, detail: `answered No Room, which is right, but the prompt never says to when no room satisfies every constraint; elsewhere the agent offers a partial match` } };
    }
    const deciding = ideal.room ? decidingTieBreak(ideal.room, full, known) : undefined;
    if (deciding && !rules.tieBreaks.includes(deciding.tieBreak)) {
      const label = TIE_BREAK_LABELS[deciding.tieBreak];
      return {
        domain: 'room',
        finding: { ...base, rule: deciding.tieBreak, lucky: true, detail: `chose ${chosen}, which is right, but ${deciding.fitting} rooms fit and the prompt gives no order of preference; ${chosen} wins on ${label} (${deciding.mine} against ${deciding.theirs} for ${deciding.other})` },
      };
    }
    return rules.format.kind === 'prose'
      ? say('roomFormat', `chose ${chosen}, which is right, but wrote it as free prose, which a strict grader does not accept`)
      : say(undefined, `chose ${chosen}, the correct room, yet was scored ${experiment.reward}`);
  }
  if (chosen === NO_ROOM) return say(undefined, `answered No Room although ${ideal.choice} satisfies every requirement`);
  const room = full.find((candidate) => candidate.id === chosen)!;
  const broken = violations(room, known, { capacity: known.attendees !== undefined, equipment: (known.needs ?? []).length > 0, accessibility: known.accessibleRequired === true });
  const unstated = broken.filter((constraint) => !factStated(constraint, stated));
  if (unstated.length > 0) return say(unstated[0], violationDetail(chosen, room, known, unstated[0], ideal.choice));
  // With the No Room rule stated, a partial match is a slip on a constraint, not a missing rule.
  if (ideal.choice === NO_ROOM && !detectRoomRules(promptFacts).noRoom) {
    return say('noRoom', `chose ${chosen}, a partial match that fails on ${broken.join(' and ')}, although no room satisfies every constraint: the right answer was No Room`);
  }
  if (broken.length > 0) return say(broken[0], violationDetail(chosen, room, known, broken[0], ideal.choice));
  const best = ideal.room!;
  for (const tieBreak of TIE_BREAKS) {
    const mine = tieBreakValue(tieBreak, room, known);
    const theirs = tieBreakValue(tieBreak, best, known);
    if (mine === theirs) continue;
    const label = TIE_BREAK_LABELS[tieBreak];
    return say(tieBreak, `chose ${chosen} (${label} ${mine}) although ${best.id} also fits and wins on ${label} (${theirs})`);
  }
  return say(undefined, `chose ${chosen} instead of ${ideal.choice}`);
}

const TIE_BREAK_LABELS = { capacitySlack: 'capacity slack', extraEquipment: 'extra equipment', distance: 'distance', bookedSlots: 'booked slots that day' } as const;

/** The first tie-break (in the data's order) that separates the best fitting room from another fitting room, if several fit. */
function decidingTieBreak(best: RoomInfo, rooms: RoomInfo[], task: RoomTask): { tieBreak: (typeof TIE_BREAKS)[number]; fitting: number; other: string; mine: number; theirs: number } | undefined {
  const applied = { capacity: task.attendees !== undefined, equipment: (task.needs ?? []).length > 0, accessibility: task.accessibleRequired === true };
  const fitting = rooms.filter((room) => violations(room, task, applied).length === 0);
  let tied = fitting.filter((room) => room.id !== best.id);
  for (const tieBreak of TIE_BREAKS) {
    const mine = tieBreakValue(tieBreak, best, task);
    const beaten = tied.find((room) => tieBreakValue(tieBreak, room, task) > mine);
    if (beaten) return { tieBreak, fitting: fitting.length, other: beaten.id, mine, theirs: tieBreakValue(tieBreak, beaten, task) };
    tied = tied.filter((room) => tieBreakValue(tieBreak, room, task) === mine);
  }
  return undefined;
}

function factStated(constraint: RoomConstraint, stated: RoomTask): boolean {
  switch (constraint) {
    case 'availability':
      return true;
    case 'capacity':
      return stated.attendees !== undefined;
    case 'equipment':
      return stated.needs !== undefined;
    case 'accessibility':
      return stated.accessibleRequired !== undefined;
  }
}

function violationDetail(chosen: string, room: RoomInfo, task: RoomTask, constraint: RoomConstraint, correct: string): string {
  switch (constraint) {
    case 'accessibility':
      return `chose ${chosen}, which is not wheelchair accessible, although accessibility was required (correct: ${correct})`;
    case 'equipment':
      return `chose ${chosen}, which lacks required equipment (${(task.needs ?? []).filter((need) => !room.equipment.includes(need)).join(', ')}) (correct: ${correct})`;
    case 'capacity':
      return `chose ${chosen}, whose ${room.capacity} seats are too small for ${task.attendees} attendees (correct: ${correct})`;
    case 'availability':
      return `chose ${chosen}, which is already booked for that slot (correct: ${correct})`;
  }
}

/** The task input an experiment carries as data (`task_input`, `input`, `task`), if any. */
function structuredTask(experiment: Experiment): RoomTask {
  let found: Record<string, unknown> | undefined;
  const visit = (value: unknown, depth: number): void => {
    if (found || depth > 6) return;
    if (Array.isArray(value)) return value.forEach((item) => visit(item, depth + 1));
    if (!isObject(value)) return;
    if ('attendees' in value && ('accessible_required' in value || 'needs' in value)) {
      found = value;
      return;
    }
    for (const [key, child] of Object.entries(value)) if (key !== 'messages') visit(child, depth + 1);
  };
  for (const value of extractJsonValues(experiment.text)) visit(value, 0);
  if (!found) return {};
  const task: RoomTask = {};
  if (typeof found.attendees === 'number') task.attendees = found.attendees;
  if (Array.isArray(found.needs)) task.needs = found.needs.filter((need): need is string => typeof need === 'string').map((need) => need.toLowerCase());
  if (typeof found.accessible_required === 'boolean') task.accessibleRequired = found.accessible_required;
  return task;
}

function analyseMath(experiment: Experiment): { domain: Domain; finding: Finding } | undefined {
  const userText = experiment.messages.filter((message) => message.role === 'user').map((message) => message.content).join('\n') || experiment.text;
  const n = parseSumQuestion(userText);
  if (n === undefined) return undefined;
  const answer = finalAnswer(experiment);
  const numbers = [...answer.matchAll(/-?\d[\d,]*/g)].map((match) => Number(match[0].replace(/,/g, '')));
  const given = numbers.at(-1);
  const correct = (n * (n + 1)) / 2;
  const base = { experiment: experiment.index, reward: experiment.reward };
  const say = (rule: RuleKey | undefined, detail: string) => ({ domain: 'math' as const, finding: { ...base, rule, detail } });
  if (given === (n * (n - 1)) / 2) {
    return say('mathInclusive', `answered ${given} for the sum from 1 to ${n}: it stopped at ${n - 1} (off by one), the correct sum is ${correct}`);
  }
  if (given === correct) {
    return detectMathRules(prompt(experiment)).format === 'prose'
      ? say('mathFormat', `answered ${correct}, which is right, but without a fixed answer format`)
      : say(undefined, `answered ${correct}, which is right, yet was scored ${experiment.reward}`);
  }
  return say(undefined, `answered ${given ?? 'no number'} for the sum from 1 to ${n}; the correct sum is ${correct}`);
}

/**
 * The room an answer names: the value of a `final_choice:` (or other `key: value`) line, else the
 * first room id or `No Room` mentioned in the text. `undefined` when it names none.
 */
export function extractRoomChoice(answer: string, roomIds: readonly string[]): string | undefined {
  const candidates = [...roomIds, NO_ROOM];
  const keyed = /\bfinal[_ ]choice\s*[:=]\s*(.+)/i.exec(answer);
  if (keyed) {
    const value = keyed[1].trim().replace(/^["'`*<]+|["'`*>.]+$/g, '');
    return candidates.find((candidate) => candidate.toLowerCase() === value.toLowerCase()) ?? value;
  }
  let first: { id: string; at: number } | undefined;
  for (const id of candidates) {
    const match = new RegExp(`\\b${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).exec(answer);
    if (match && (!first || match.index < first.at)) first = { id, at: match.index };
  }
  return first?.id;
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return `"${flat.length > 80 ? `${flat.slice(0, 77)}...` : flat}"`;
}
