import type { RoomRules, RoomTask, TieBreak } from './room-rules.ts';
import { isObject } from './chat-request.ts';

/** A room as the availability tool reports it, normalised. */
export interface RoomInfo {
  id: string;
  capacity: number;
  equipment: string[];
  accessible: boolean;
  distanceM: number;
  /** Booked slots on the task's date (all slots when the date is unknown). */
  bookedSlotsThatDay: number;
  /** Free for the whole requested slot: the tool's `free` flag, or computed from the booked slots. */
  free: boolean;
}

/** The constraints a room can violate. */
export type RoomConstraint = 'availability' | 'capacity' | 'equipment' | 'accessibility';

/** Which constraints the agent applies: availability always, the rest when the prompt gives the needed facts. */
export interface AppliedConstraints {
  capacity: boolean;
  equipment: boolean;
  accessibility: boolean;
}

/** The agent's decision. */
export interface RoomDecision {
  /** A room id, or `No Room`. */
  choice: string;
  room?: RoomInfo;
  /** Whether the chosen room satisfies every applied constraint. */
  fits: boolean;
  /** The applied constraints the chosen room violates (a partial fit). */
  violations: RoomConstraint[];
  /** How many rooms satisfied every applied constraint. */
  candidates: number;
  /** The tie-breaks that were used, in order. */
  tieBreaks: TieBreak[];
}

/** The answer string for "nothing fits", as the tutorial's data spells it. */
export const NO_ROOM = 'No Room';

/**
 * Reads the rooms from a tool result: `{rooms: [...]}` or a bare array; each room with `id` (or
 * `name`), `capacity`, `equipment`, `accessible`, `distance_m`, `booked` (tuples `[date, time,
 * minutes]` as the tutorial's tool returns, or objects `{date, time, duration_min}`), and optionally
 * `free`. Returns `undefined` when the content holds no rooms.
 */
export function parseRooms(content: unknown, task: RoomTask): RoomInfo[] | undefined {
  let value = content;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const list = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.rooms) ? value.rooms : undefined;
  if (!list || list.length === 0) return undefined;
  const rooms: RoomInfo[] = [];
  for (const item of list) {
    if (!isObject(item)) return undefined;
    const id = item.id ?? item.name ?? item.room_id;
    if (typeof id !== 'string' || typeof item.capacity !== 'number') return undefined;
    const booked = (Array.isArray(item.booked) ? item.booked : []).map(readSlot).filter((slot) => slot !== undefined);
    const sameDay = booked.filter((slot) => task.date === undefined || slot.date === task.date);
    const computedFree =
      task.time === undefined || task.durationMin === undefined
        ? true
        : sameDay.every((slot) => !overlaps(task.time!, task.durationMin!, slot.time, slot.durationMin));
    rooms.push({
      id,
      capacity: item.capacity,
      equipment: (Array.isArray(item.equipment) ? item.equipment : Array.isArray(item.amenities) ? item.amenities : [])
        .filter((name): name is string => typeof name === 'string')
        .map((name) => name.toLowerCase()),
      accessible: item.accessible === true,
      distanceM: typeof item.distance_m === 'number' ? item.distance_m : typeof item.distance === 'number' ? item.distance : 0,
      bookedSlotsThatDay: sameDay.length,
      free: typeof item.free === 'boolean' ? item.free : computedFree,
    });
  }
  return rooms;
}

function readSlot(slot: unknown): { date: string; time: string; durationMin: number } | undefined {
  if (Array.isArray(slot) && slot.length >= 3) return { date: String(slot[0]), time: String(slot[1]), durationMin: Number(slot[2]) };
  if (isObject(slot)) {
    return { date: String(slot.date), time: String(slot.time ?? slot.start), durationMin: Number(slot.duration_min ?? slot.duration) };
  }
  return undefined;
}

function minutes(time: string): number {
  const [hours, mins] = time.split(':').map(Number);
  return hours * 60 + mins;
}

function overlaps(start: string, duration: number, otherStart: string, otherDuration: number): boolean {
  const a0 = minutes(start);
  const b0 = minutes(otherStart);
  return Math.max(a0, b0) < Math.min(a0 + duration, b0 + otherDuration);
}

/** The constraints the agent can apply to `task`: capacity, equipment and accessibility only when the prompt states the facts. */
export function appliedConstraints(task: RoomTask): AppliedConstraints {
  return {
    capacity: task.attendees !== undefined,
    equipment: task.needs !== undefined && task.needs.length > 0,
    accessibility: task.accessibleRequired === true,
  };
}

/** The applied constraints `room` violates. */
export function violations(room: RoomInfo, task: RoomTask, applied: AppliedConstraints): RoomConstraint[] {
  const found: RoomConstraint[] = [];
  if (!room.free) found.push('availability');
  if (applied.capacity && room.capacity < task.attendees!) found.push('capacity');
  if (applied.equipment && !task.needs!.every((need) => room.equipment.includes(need))) found.push('equipment');
  if (applied.accessibility && !room.accessible) found.push('accessibility');
  return found;
}

/** The value of a tie-break for a room (lower is better). */
export function tieBreakValue(tieBreak: TieBreak, room: RoomInfo, task: RoomTask): number {
  switch (tieBreak) {
    case 'capacitySlack':
      return room.capacity - (task.attendees ?? 0);
    case 'extraEquipment':
      return room.equipment.filter((name) => !(task.needs ?? []).includes(name)).length;
    case 'distance':
      return room.distanceM;
    case 'bookedSlots':
      return room.bookedSlotsThatDay;
  }
}

/**
 * Chooses a room applying only what `rules` and `task` state: among rooms violating nothing applied,
 * the stated tie-breaks in their stated order, then list order; when no room fits, `No Room` if the
 * prompt says so, else the room with the fewest violations (list order among equals).
 */
export function chooseRoom(task: RoomTask, rooms: RoomInfo[], rules: Pick<RoomRules, 'noRoom' | 'tieBreaks'>): RoomDecision {
  const applied = appliedConstraints(task);
  const fitting = rooms.filter((room) => violations(room, task, applied).length === 0);
  if (fitting.length === 0) {
    if (rules.noRoom) return { choice: NO_ROOM, fits: true, violations: [], candidates: 0, tieBreaks: [] };
    let best = rooms[0];
    let bestViolations = violations(best, task, applied);
    for (const room of rooms.slice(1)) {
      const roomViolations = violations(room, task, applied);
      if (roomViolations.length < bestViolations.length) {
        best = room;
        bestViolations = roomViolations;
      }
    }
    return { choice: best.id, room: best, fits: false, violations: bestViolations, candidates: 0, tieBreaks: [] };
  }
  const ranked = [...fitting].sort((a, b) => {
    for (const tieBreak of rules.tieBreaks) {
      const difference = tieBreakValue(tieBreak, a, task) - tieBreakValue(tieBreak, b, task);
      if (difference !== 0) return difference;
    }
    return 0;
  });
  return { choice: ranked[0].id, room: ranked[0], fits: true, violations: [], candidates: fitting.length, tieBreaks: rules.tieBreaks };
}
