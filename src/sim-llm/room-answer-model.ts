import { NO_ROOM, appliedConstraints, tieBreakValue, violations } from './room-choice.ts';
import type { RoomDecision, RoomInfo } from './room-choice.ts';
import type { RoomRules, RoomTask, TieBreak } from './room-rules.ts';
import type { SeededRandom } from './seeded-random.ts';

/**
 * How the simulated room agent answers, as a probability distribution: what a capable model does
 * with a booking task and the tool's rooms.
 *
 * - The task's own constraints (free for the slot, seats the attendees, the listed equipment,
 *   accessibility when the task says it is required) are always honoured: a model reads them in the
 *   task, whatever the wording.
 * - What it cannot guess depends on the prompt: the stated tie-breaks rank the fitting rooms in the
 *   stated order; remaining ties go to the model's own habits ({@link TIE_HABITS}); when nothing
 *   fits it answers "No Room" if the prompt says so, otherwise only sometimes
 *   ({@link UNPROMPTED_NO_ROOM}) and else offers the closest partial match.
 * - It slips now and then (overlooks one constraint and picks a near miss), more often the vaguer
 *   the prompt and the higher the temperature ({@link slipRate}).
 */
export interface RoomAnswerModel {
  /** The answers the agent means to give, with their probabilities (summing to 1). */
  intended: Map<string, number>;
  /** The probability of a slip. */
  slipRate: number;
  /** The answers a slip lands on, equally likely: rooms that miss one more constraint than necessary, never the right answer. */
  slips: string[];
}

/** Without a tie-break rule a model still has habits: the first room listed, the smallest, the nearest, or any. */
export const TIE_HABITS: readonly { habit: 'first' | 'smallest' | 'nearest' | 'any'; weight: number }[] = [
  { habit: 'first', weight: 0.35 },
  { habit: 'smallest', weight: 0.25 },
  { habit: 'nearest', weight: 0.25 },
  { habit: 'any', weight: 0.15 },
];

/** How often a model says "No Room" on its own when nothing fits (it usually offers a compromise). */
export const UNPROMPTED_NO_ROOM = 0.4;

/** How much each stated rule makes the prompt clearer (they sum to 1). */
const CLARITY = { constraint: 0.05, noRoom: 0.2, tieBreak: 0.1, format: 0.2 };

/**
 * How vague a room prompt is, from 1 (states nothing a model could not guess) to 0 (states every
 * constraint as a rule, "No Room", the four tie-breaks and the answer format).
 */
export function roomPromptVagueness(rules: RoomRules): number {
  const constraints = [rules.availability, rules.capacity, rules.equipment, rules.accessibility].filter(Boolean).length;
  const clarity =
    CLARITY.constraint * constraints +
    (rules.noRoom ? CLARITY.noRoom : 0) +
    CLARITY.tieBreak * Math.min(4, rules.tieBreaks.length) +
    (rules.format.kind !== 'prose' ? CLARITY.format : 0);
  return Math.max(0, 1 - clarity);
}

/**
 * The probability of a slip for a prompt of the given vagueness: 3 % for a prompt that states
 * everything, 12 % for one that states nothing, at temperature 0; × (1 + T/2) above (temperature
 * capped at 2).
 */
export function slipRate(vagueness: number, temperature: number): number {
  return (0.02 + 0.08 * vagueness) * (1 + 0.5 * Math.min(2, Math.max(0, temperature)));
}

/** The agent's answer model for one task. */
export function roomAnswerModel(task: RoomTask, rooms: RoomInfo[], rules: RoomRules, temperature: number): RoomAnswerModel {
  const applied = appliedConstraints(task);
  const counted = rooms.map((room) => ({ room, broken: violations(room, task, applied).length }));
  const fitting = counted.filter((entry) => entry.broken === 0).map((entry) => entry.room);
  const misses = counted.filter((entry) => entry.broken > 0);
  const fewest = Math.min(...misses.map((entry) => entry.broken));
  const nearMisses = misses.filter((entry) => entry.broken === fewest).map((entry) => entry.room.id);
  const intended = new Map<string, number>();
  if (fitting.length === 0) {
    const partial = nearMisses[0];
    if (rules.noRoom) intended.set(NO_ROOM, 1);
    else {
      intended.set(NO_ROOM, UNPROMPTED_NO_ROOM);
      intended.set(partial, 1 - UNPROMPTED_NO_ROOM);
    }
  } else {
    const tied = narrow(fitting, rules.tieBreaks, task);
    for (const { habit, weight } of TIE_HABITS) {
      if (habit === 'any') for (const room of tied) add(intended, room.id, weight / tied.length);
      else add(intended, habitChoice(habit, tied, task).id, weight);
    }
  }
  return { intended, slipRate: slipRate(roomPromptVagueness(rules), temperature), slips: nearMisses.length > 0 ? nearMisses : [NO_ROOM] };
}

/** The probability of each answer (intended answers and slips together). */
export function answerDistribution(model: RoomAnswerModel): Map<string, number> {
  const distribution = new Map<string, number>();
  for (const [choice, probability] of model.intended) add(distribution, choice, probability * (1 - model.slipRate));
  for (const choice of model.slips) add(distribution, choice, model.slipRate / model.slips.length);
  return distribution;
}

/**
 * Draws the agent's decision from its answer model. `random` is the request's seeded stream at
 * temperature > 0, and a stream seeded by the request's content alone at temperature 0 (a greedy
 * model answers the same input the same way, right or wrong).
 */
export function decideRoom(task: RoomTask, rooms: RoomInfo[], rules: RoomRules, temperature: number, random: SeededRandom): RoomDecision {
  const model = roomAnswerModel(task, rooms, rules, temperature);
  const slipped = random.chance(model.slipRate);
  const choice = slipped ? random.pick(model.slips) : draw(model.intended, random.next());
  const applied = appliedConstraints(task);
  const fitting = rooms.filter((room) => violations(room, task, applied).length === 0);
  // A slip is an oversight: the agent believes its answer satisfies everything, and says so.
  if (slipped) return { choice, room: rooms.find((candidate) => candidate.id === choice), fits: true, violations: [], candidates: 1, tieBreaks: [] };
  if (choice === NO_ROOM) return { choice, fits: fitting.length === 0, violations: [], candidates: fitting.length, tieBreaks: [] };
  const room = rooms.find((candidate) => candidate.id === choice)!;
  const broken = violations(room, task, applied);
  return { choice, room, fits: broken.length === 0, violations: broken, candidates: fitting.length, tieBreaks: broken.length === 0 ? rules.tieBreaks : [] };
}

/** The rooms left tied after the stated tie-breaks, in list order. */
function narrow(rooms: RoomInfo[], tieBreaks: readonly TieBreak[], task: RoomTask): RoomInfo[] {
  let left = rooms;
  for (const tieBreak of tieBreaks) {
    const best = Math.min(...left.map((room) => tieBreakValue(tieBreak, room, task)));
    left = left.filter((room) => tieBreakValue(tieBreak, room, task) === best);
  }
  return left;
}

function habitChoice(habit: 'first' | 'smallest' | 'nearest', rooms: RoomInfo[], task: RoomTask): RoomInfo {
  if (habit === 'first') return rooms[0];
  const key = habit === 'smallest' ? 'capacitySlack' : 'distance';
  return rooms.reduce((best, room) => (tieBreakValue(key, room, task) < tieBreakValue(key, best, task) ? room : best));
}

function add(distribution: Map<string, number>, choice: string, probability: number): void {
  distribution.set(choice, (distribution.get(choice) ?? 0) + probability);
}

function draw(distribution: Map<string, number>, u: number): string {
  let total = 0;
  let last = '';
  for (const [choice, probability] of distribution) {
    total += probability;
    last = choice;
    if (u < total) return choice;
  }
  return last;
}
