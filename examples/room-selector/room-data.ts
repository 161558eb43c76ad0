import { readFileSync } from 'node:fs';

/** A booked slot of a room. */
export interface Slot {
  date: string;
  time: string;
  duration_min: number;
}

/** A room of `data/rooms.json`. */
export interface Room {
  id: string;
  capacity: number;
  equipment: string[];
  accessible: boolean;
  distance_m: number;
  booked: Slot[];
}

/** What a meeting needs (the tutorial's task input). */
export interface RoomTaskInput extends Slot {
  attendees: number;
  needs: string[];
  accessible_required: boolean;
}

/** One of the 57 tasks of `data/room_tasks.jsonl`. */
export interface RoomTask {
  id: string;
  task_input: RoomTaskInput;
  expected_choice: string;
}

const DATA = new URL('./data/', import.meta.url);

/** The room database (copied from Agent Lightning's APO tutorial data). */
export const ROOMS: readonly Room[] = JSON.parse(readFileSync(new URL('rooms.json', DATA), 'utf8')).rooms;

/** The 57 tasks, in file order. */
export const ROOM_TASKS: readonly RoomTask[] = readFileSync(new URL('room_tasks.jsonl', DATA), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as RoomTask);

/** The tutorial's split: the first 28 tasks train, the last 29 validate. */
export const TRAIN_TASKS: readonly RoomTask[] = ROOM_TASKS.slice(0, 28);
export const VAL_TASKS: readonly RoomTask[] = ROOM_TASKS.slice(28);

function minutes(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** The tool: every room, with `free` telling whether it is free for the whole slot. */
export function getRoomsAndAvailability(date: string, time: string, durationMin: number): { rooms: (Room & { free: boolean })[] } {
  const start = minutes(time);
  const end = start + durationMin;
  return {
    rooms: ROOMS.map((room) => ({
      ...room,
      free: room.booked.every((slot) => slot.date !== date || minutes(slot.time) >= end || minutes(slot.time) + slot.duration_min <= start),
    })),
  };
}
