/**
 * What a room-booking prompt states, recognised by keyword families rather than exact strings, so
 * that paraphrases count ("break ties by the smallest capacity slack" = "prefer the fewest spare
 * seats"). The simulated agent applies a rule only when the prompt states it.
 */

/** The tie-breaks of the room task, named as in the tutorial's oracle prompt. */
export type TieBreak = 'capacitySlack' | 'extraEquipment' | 'distance' | 'bookedSlots';

/** Every tie-break, in the order the data's rule applies them. */
export const TIE_BREAKS: readonly TieBreak[] = ['capacitySlack', 'extraEquipment', 'distance', 'bookedSlots'];

/** How the prompt asks the answer to be written. */
export type AnswerFormat =
  | { kind: 'final_choice' }
  | { kind: 'keyed'; key: string }
  | { kind: 'bare' }
  | { kind: 'prose' };

/** The rules a prompt states. */
export interface RoomRules {
  /** A general capacity rule ("capacity ≥ attendees"); the agent applies capacity whenever the attendee count is known. */
  capacity: boolean;
  /** A general equipment rule; the agent applies equipment whenever the prompt lists the needs. */
  equipment: boolean;
  /** A general accessibility rule, or the task's "accessible required" value. */
  accessibility: boolean;
  /** Availability for the slot (always applied by the agent: the tool reports it). */
  availability: boolean;
  /** Answer "No Room" when nothing satisfies every constraint. */
  noRoom: boolean;
  /** The stated tie-breaks, in the order they appear in the prompt. */
  tieBreaks: TieBreak[];
  format: AnswerFormat;
}

const TIE_BREAK_PATTERNS: Record<TieBreak, RegExp[]> = {
  capacitySlack: [
    /capacity[ _-]?slack/gi,
    /\b(?:smallest|tightest|snuggest|best[- ]fitting|right[- ]sized)[\w -]{0,20}?\b(?:room|fit|capacity)\b/gi,
    /\bclosest (?:in )?(?:capacity|size)\b|\bclosest fit\b/gi,
    /\b(?:least|fewest|fewer|minimi[sz]e|minimal|minimum|smallest)[\w -]{0,20}?\b(?:spare|unused|empty|wasted|leftover|excess|idle)\s+(?:seats|capacity|space|chairs)/gi,
    /\bcapacity\s*[-−–]\s*attendees\b/gi,
  ],
  extraEquipment: [
    /\bextra[ _-]equipment\b/gi,
    /\b(?:fewest|least|fewer|minimi[sz]e|minimal|minimum)[\w -]{0,20}?\b(?:extra|additional|unneeded|unnecessary|surplus|unused|superfluous|unrequested)\s+(?:equipment|features|amenities|devices|gear|items)/gi,
    /\b(?:provided_equipment_count|equipment count)\b/gi,
  ],
  distance: [
    /\bdistance(?:_m)?\b/gi,
    /\b(?:nearest|nearer|closest (?:room|one|option)|closer to|shortest walk|least walking|proximity)\b/gi,
  ],
  bookedSlots: [
    /\bbooked[ _-](?:slots|blocks|times|time slots)\b/gi,
    /\b(?:fewest|fewer|least|minimi[sz]e|lowest|smallest number of)[\w -]{0,25}?\b(?:bookings|reservations|booked|meetings)\b/gi,
    /\b(?:less|least) (?:busy|booked)\b/gi,
  ],
};

const NO_ROOM_PATTERN =
  /\bno[ _-]?room\b|\bnone of the rooms\b|\bno (?:suitable|qualifying|matching|valid|eligible|acceptable) room\b|\b(?:if|when) (?:no|none)\b[\w ,-]{0,40}?\b(?:fits?|qualif\w*|satisf\w*|suitable|meets?|works?|match\w*)\b|\bnothing (?:fits|qualifies|is suitable|works|matches)\b/i;
const ACCESSIBILITY_PATTERN = /\baccessib\w*|\bwheelchair\b|\bstep[- ]free\b/i;
const EQUIPMENT_PATTERN = /\bequipment\b|\bneeds?\s*:|\brequires?\s*:|\bamenities\b/i;
const CAPACITY_PATTERN = /\bcapacity\b|\bseats? (?:all|every)|\b(?:large|big) enough\b|\baccommodate\b|\battendees\b/i;
const AVAILABILITY_PATTERN = /\bfree\b|\bavailab\w*|\bnot (?:already )?booked\b|\bbooked\b/i;

/** Recognises the rules stated in `text` (the system and user messages of a request, or a template). */
export function detectRoomRules(text: string): RoomRules {
  const positions: { tieBreak: TieBreak; at: number }[] = [];
  for (const tieBreak of TIE_BREAKS) {
    let first = Number.POSITIVE_INFINITY;
    for (const pattern of TIE_BREAK_PATTERNS[tieBreak]) {
      for (const match of text.matchAll(pattern)) {
        // The end of the match orders the tie-breaks: a lazy gap may start a match early.
        first = Math.min(first, match.index + match[0].length);
        break;
      }
    }
    if (Number.isFinite(first)) positions.push({ tieBreak, at: first });
  }
  positions.sort((a, b) => a.at - b.at);
  return {
    capacity: CAPACITY_PATTERN.test(text),
    equipment: EQUIPMENT_PATTERN.test(text),
    accessibility: ACCESSIBILITY_PATTERN.test(text),
    availability: AVAILABILITY_PATTERN.test(text),
    noRoom: NO_ROOM_PATTERN.test(text),
    tieBreaks: positions.map((position) => position.tieBreak),
    format: detectAnswerFormat(text),
  };
}

/** The answer format a prompt asks for (prose when it asks for none). */
export function detectAnswerFormat(text: string): AnswerFormat {
  if (/\bfinal[_ ]choice\b/i.test(text)) return { kind: 'final_choice' };
  for (const match of text.matchAll(/(?:^|[\s"'`])([A-Za-z][A-Za-z_ ]{1,28}?)\s*:\s*[<[][^>\]\n]{1,40}[>\]]/g)) {
    const key = match[1].trim();
    if (/^(?:reason|why|explanation|justification|note)$/i.test(key)) continue;
    return { kind: 'keyed', key };
  }
  if (
    /\b(?:reply|respond|answer|return|output|give|state)\b[\w ]{0,12}?\b(?:only|just)\b[\w ]{0,10}?\broom(?:'s)?\s*(?:id|name|identifier)\b/i.test(text) ||
    /\bonly the room(?:'s)? (?:id|name)\b/i.test(text)
  ) {
    return { kind: 'bare' };
  }
  return { kind: 'prose' };
}

/** A booking request as the agent reads it from the prompt; a field is `undefined` when the prompt does not give it. */
export interface RoomTask {
  date?: string;
  time?: string;
  durationMin?: number;
  attendees?: number;
  /** The required equipment; `undefined` when the prompt states no needs at all (not the same as "none"). */
  needs?: string[];
  /** `true`/`false` when the prompt says whether accessibility is required. */
  accessibleRequired?: boolean;
}

const EQUIPMENT_SYNONYMS: Record<string, string[]> = {
  confphone: ['conference phone', 'conf phone', 'conference-phone', 'speakerphone'],
  ledwall: ['led wall', 'led-wall'],
  tv: ['television'],
  whiteboard: ['white board', 'white-board'],
  projector: ['beamer'],
};

/**
 * Reads the booking request from the prompt text. `equipmentNames` is the vocabulary to look for in
 * the needs (the equipment the rooms have, from the tool result, plus the tutorial's own names).
 */
export function parseRoomTask(text: string, equipmentNames: Iterable<string> = []): RoomTask {
  const task: RoomTask = {};
  const date = /\b(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (date) task.date = date[1];
  const time = /\b([01]?\d|2[0-3]):([0-5]\d)\b/.exec(text.slice(date ? date.index : 0)) ?? /\b([01]?\d|2[0-3]):([0-5]\d)\b/.exec(text);
  if (time) task.time = `${time[1].padStart(2, '0')}:${time[2]}`;
  const duration = /\b(\d{1,4})\s*(?:-\s*)?(?:minutes?|mins?)\b/i.exec(text) ?? /\bduration(?:_min)?\W{1,4}(\d{1,4})\b/i.exec(text);
  if (duration) task.durationMin = Number(duration[1]);
  const attendees =
    /\b(\d{1,4})\s+(?:attendees|people|persons|participants|guests|members|colleagues|heads)\b/i.exec(text) ??
    /\b(?:attendees|headcount|participants)\W{1,4}(\d{1,4})\b/i.exec(text);
  if (attendees) task.attendees = Number(attendees[1]);

  const vocabulary = new Set<string>([...Object.keys(EQUIPMENT_SYNONYMS), ...[...equipmentNames].map((name) => name.toLowerCase())]);
  for (const match of text.matchAll(/\b(?:needs?|needing|requires?|required equipment|equipment(?: needed| required)?)\b\s*:?\s*([^\n.;]*)/gi)) {
    const segment = match[1].toLowerCase();
    const found = [...vocabulary]
      .map((name) => ({ name, at: mentionAt(segment, name) }))
      .filter((item) => item.at >= 0)
      .sort((a, b) => a.at - b.at)
      .map((item) => item.name);
    if (found.length > 0) {
      task.needs = found;
      break;
    }
    if (/^\W*(?:none|nothing|n\/a|-|\[\s*\]|no equipment)?\W*$/.test(segment) && /:/.test(match[0])) {
      task.needs = [];
      break;
    }
  }
  const accessible = /accessib\w*[\s_-]*(?:required|needed|requirement)?\W{0,3}\s*[:=]\s*["']?(true|false|yes|no)\b/i.exec(text);
  if (accessible) task.accessibleRequired = /^(?:true|yes)$/i.test(accessible[1]);
  return task;
}

/** Where `segment` first mentions `name` (or a synonym) as a whole word, or -1. */
function mentionAt(segment: string, name: string): number {
  let first = -1;
  for (const variant of [name, ...(EQUIPMENT_SYNONYMS[name] ?? [])]) {
    const match = new RegExp(`(?:^|[^a-z])${variant.replace(/[-]/g, '\\-')}(?:$|[^a-z])`).exec(segment);
    if (match && (first < 0 || match.index < first)) first = match.index;
  }
  return first;
}
