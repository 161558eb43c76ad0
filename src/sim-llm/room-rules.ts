import { clauses, mentionsConcept, phrasing, saysConcept } from './prompt-concepts.ts';
import type { Concept } from './prompt-concepts.ts';

/**
 * What a room-booking prompt states, recognised by concept rather than by keyword, so that
 * paraphrases count ("break ties by the smallest capacity slack" = "leave the fewest empty seats" =
 * "go for the room whose size is closest to the group"). The task's own facts (attendees, needs,
 * accessibility) are read whatever their wording; the rules a model cannot guess (tie-breaks, "No
 * Room", the answer format) change what the simulated agent does only when the prompt states them.
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
  /** An explicit capacity rule ("capacity ≥ attendees"); the agent applies capacity whenever the attendee count is known, the rule only makes the prompt clearer. */
  capacity: boolean;
  /** An explicit equipment rule; the agent applies the needs whenever the prompt lists them. */
  equipment: boolean;
  /** An explicit accessibility rule ("only accessible rooms when it is required"). */
  accessibility: boolean;
  /** An explicit availability rule (the agent always applies availability: the tool reports it). */
  availability: boolean;
  /** Answer "No Room" when nothing satisfies every constraint. */
  noRoom: boolean;
  /** The stated tie-breaks, in the order they appear in the prompt. */
  tieBreaks: TieBreak[];
  format: AnswerFormat;
}

const LESS = /\b(?:least|fewest|fewer|less|smallest|smaller|lowest|lower|lightest|minimi[sz]\w*|minimal|minimum|min|reduce\w*|tightest|tighter|snug\w*)\b/i;
const SIZE = /\b(?:capacity|seats?|seating|size[ds]?|chairs|space|headroom|fits?|fitting|group|headcount|people|attendees)\b/i;
const SURPLUS_SEATS = /\b(?:spare|empty|unused|wasted?|surplus|excess|leftover|idle|extra|unoccupied|free)\b[\w ]{0,12}\b(?:seats?|capacity|space|chairs|places)\b/i;
const EQUIPMENT_NOUN = /\b(?:equipment|features?|amenit\w*|devices?|gear|extras|items?|tech\w*|facilit\w*)\b/i;
const WALK = /\b(?:distance\w*|walk\w*|near\w*|clos(?:er|est)|proximity|far\w*|nearby|travel\w*)\b/i;
const BOOKING_NOUN = /\b(?:bookings?|booked|reservations?|reserved|busy|load|meetings|schedule\w*|calendar\w*|occupied)\b/i;
const NOT_SIZE = [EQUIPMENT_NOUN, /\b(?:distance\w*|walk\w*|proximity|travel\w*)\b/i, BOOKING_NOUN];

/** How a prompt can state each tie-break (one clause each; a list of preferences is split at commas and "then"). */
const TIE_BREAK_CONCEPTS: Record<TieBreak, Concept> = {
  capacitySlack: [
    phrasing([/\bcapacity[ _-]?slack\b|\bslack\b/i]),
    phrasing([/\bcapacity\s*(?:-|−|–|minus)\s*(?:attendees|people|headcount|participants)\b/i]),
    phrasing([LESS, SURPLUS_SEATS], [EQUIPMENT_NOUN]),
    phrasing([/\b(?:smallest|tightest|snuggest|tighter|best[- ]fitting|right[- ]sized?|best fit)\b/i, /\b(?:rooms?|one|fit\w*|capacity|size\w*|option)\b/i], NOT_SIZE),
    phrasing([/\b(?:clos(?:est|er)|nearest|match\w*)\b/i, /\b(?:size|capacity|headcount|group size|number of (?:attendees|people|participants))\b/i], [EQUIPMENT_NOUN, BOOKING_NOUN]),
    phrasing([LESS, SIZE], [EQUIPMENT_NOUN, WALK, BOOKING_NOUN]),
  ],
  extraEquipment: [
    phrasing([/\bextra[ _-]equipment\b|\bprovided_equipment_count\b|\bequipment count\b/i]),
    phrasing([LESS, EQUIPMENT_NOUN], [/\brequired equipment\b|\bevery (?:piece|item)\b|\ball (?:the )?(?:required|requested|needed)\b/i]),
    phrasing([/\b(?:extra|additional|unneeded|unnecessary|surplus|superfluous|unrequested|unused|beyond|not (?:requested|needed|asked)|did not ask|didn't ask)\b/i, EQUIPMENT_NOUN, /\b(?:prefer|avoid|least|fewest|fewer|less|minimi\w*|penali[sz]\w*|lower)\b/i]),
  ],
  distance: [
    phrasing([/\bdistance(?:_m)?\b|\bproximity\b|\bnearest\b|\bnearer\b|\bwalk\w*\b|\bnearby\b/i], [SIZE]),
    phrasing([/\bclos(?:est|er)\b/i, /\b(?:rooms?|one|option|by|to (?:us|the (?:office|team|desk|attendees)))\b/i], [SIZE, /\bmatch\b/i]),
    phrasing([/\b(?:shortest|shorter|less|least|minimi\w*)\b/i, /\b(?:walk|trip|way|journey|travel)\b/i]),
  ],
  bookedSlots: [
    phrasing([/\bbooked[ _-](?:slots|blocks|times|time slots)\b/i]),
    phrasing([LESS, BOOKING_NOUN], [/\bat the (?:requested|meeting) time\b|\bduring the meeting\b/i]),
    phrasing([/\b(?:less|least|not as) (?:busy|booked)\b|\bemptiest calendar\b|\bquietest\b/i]),
  ],
};

const NO_ROOM_CONCEPT: Concept = [
  phrasing([/\bno[ _-]?room\b/i], [/\bno room for\b/i]),
  phrasing(
    [
      /\b(?:no|none|nothing|neither|not (?:a single|one|any)|every (?:room|option|candidate) fails|all (?:rooms|options) fail|cannot find|can't find|unable to find)\b/i,
      /\b(?:fits?|fitting|qualif\w*|satisf\w*|suitable|meets?|works?|matches|valid|eligible|host|available|requirements?|constraints?)\b/i,
      /\b(?:say|said|answer|reply|respond|return|report|output|state|tell|declare|write)\w*\b|\bthe answer is\b/i,
    ],
    [/\b(?:partial|compromise|closest match|best available|anyway|nonetheless)\b/i],
  ),
  phrasing([/\b(?:do not|don't|never|rather than|instead of)\b[\w ]{0,20}\b(?:suggest|propose|pick|choose|recommend|offer)\w*\b/i, /\b(?:partial|compromise|closest|imperfect|near[- ]miss|that fails|unsuitable)\b/i]),
];

/** Explicit rules for the constraints (the task's facts are applied without them; a rule makes the prompt clearer). */
const RULE_CUE = /\b(?:must|only|has to|have to|need(?:s)? to|should|exclude\w*|skip\w*|discard\w*|out|qualif\w*|ensure|make sure|check|cover|hold|enough|whenever|require[sd]?|never|lacks?|below|will do|required)\b/i;
const CONSTRAINT_CONCEPTS: Record<'availability' | 'capacity' | 'equipment' | 'accessibility', Concept> = {
  availability: [
    phrasing([/\b(?:free|availab\w*|open|not (?:already )?(?:reserved|booked|taken)|double[- ]book\w*|conflict\w*|(?:booked|reserved|taken) (?:during|at|for|in)\b)/i, RULE_CUE], [LESS]),
    phrasing([/\b(?:booked|reserved|taken|busy)\b/i, /\b(?:are|is) out\b|\bexclude\w*|\bskip\w*|\bignore\b|\bdiscard\w*/i]),
  ],
  capacity: [
    phrasing([/\b(?:capacity|seats?|seating|hold|fit|big enough|large enough|accommodate|room for|space for)\b/i, /\b(?:attendees?|people|everyone|everybody|headcount|group|participants|all)\b|\{attendees\}|\b\d+ (?:attendees|people|participants)\b/i, RULE_CUE], [LESS]),
  ],
  equipment: [
    phrasing([/\b(?:equipment|equipped|items?|features|amenities|provides?|offers?|has|have|lacks?)\b/i, /\b(?:required|requested|needed|listed|all|every|asked)\b/i, RULE_CUE], [/\b(?:extra|additional|unneeded|unnecessary|surplus|beyond)\b/i, LESS]),
  ],
  accessibility: [
    phrasing([/\baccessib\w*|\bwheelchair\b|\bstep[- ]free\b/i, /\b(?:only|must|when|if|whenever|exclude\w*|will do|has to|needs to be|required to)\b/i]),
  ],
};

/** Recognises the rules stated in `text` (the system and user messages of a request, or a template). */
export function detectRoomRules(text: string): RoomRules {
  const positions: { tieBreak: TieBreak; at: number }[] = [];
  const fine = clauses(text, true);
  for (const tieBreak of TIE_BREAKS) {
    const clause = fine.find((candidate) => saysConcept(candidate.text, TIE_BREAK_CONCEPTS[tieBreak]));
    if (clause) positions.push({ tieBreak, at: clause.at });
  }
  positions.sort((a, b) => a.at - b.at);
  return {
    capacity: mentionsConcept(text, CONSTRAINT_CONCEPTS.capacity),
    equipment: mentionsConcept(text, CONSTRAINT_CONCEPTS.equipment),
    accessibility: mentionsConcept(text, CONSTRAINT_CONCEPTS.accessibility),
    availability: mentionsConcept(text, CONSTRAINT_CONCEPTS.availability),
    noRoom: mentionsConcept(text, NO_ROOM_CONCEPT),
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
 * Reads the booking request from the prompt text, whatever its wording: "12 attendees", "a group of
 * 12", "headcount 12"; the needs as the equipment names the text mentions (`equipmentNames` is the
 * vocabulary: the equipment the rooms have, from the tool result, plus the tutorial's own names) or
 * an explicit "none"; accessibility from "accessible required: true", "wheelchair access needed?
 * yes", "must be accessible"…
 */
export function parseRoomTask(text: string, equipmentNames: Iterable<string> = []): RoomTask {
  const task: RoomTask = {};
  const date = /\b(\d{4}-\d{2}-\d{2})\b/.exec(text);
  if (date) task.date = date[1];
  const time = /\b([01]?\d|2[0-3]):([0-5]\d)\b/.exec(text.slice(date ? date.index : 0)) ?? /\b([01]?\d|2[0-3]):([0-5]\d)\b/.exec(text);
  if (time) task.time = `${time[1].padStart(2, '0')}:${time[2]}`;
  const duration = /\b(\d{1,4})\s*(?:-\s*)?(?:minutes?|mins?)\b/i.exec(text) ?? /\bduration(?:_min)?\W{1,4}(\d{1,4})\b/i.exec(text);
  if (duration) task.durationMin = Number(duration[1]);
  const attendees = ATTENDEE_PATTERNS.map((pattern) => pattern.exec(text)).find((match) => match !== null);
  if (attendees) task.attendees = Number(attendees[1]);

  const vocabulary = new Set<string>([...Object.keys(EQUIPMENT_SYNONYMS), ...[...equipmentNames].map((name) => name.toLowerCase())]);
  const lower = text.toLowerCase();
  const found = [...vocabulary]
    .map((name) => ({ name, at: mentionAt(lower, name) }))
    .filter((item) => item.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((item) => item.name);
  if (found.length > 0) task.needs = found;
  else if (NO_NEEDS_PATTERN.test(text)) task.needs = [];
  task.accessibleRequired = readAccessibility(text);
  if (task.accessibleRequired === undefined) delete task.accessibleRequired;
  return task;
}

/** How prompts give the attendee count, most specific first. */
const ATTENDEE_PATTERNS: RegExp[] = [
  /\b(\d{1,4})\s*(?:-\s*)?(?:attendees|people|persons|participants|guests|members|colleagues|heads|invitees|employees|staff|person|pax)\b/i,
  /\b(?:attendees|attendee count|headcount|head count|participants|number of (?:attendees|people|participants)|party size|group size)\W{1,4}(?:is\s+|of\s+)?(\d{1,4})\b/i,
  /\b(?:group|party|team|crew|gathering|meeting) of (?:about |around )?(\d{1,4})\b/i,
  /\b(?:seat(?:s|ing)?|accommodate|hold|fit) (?:all )?(\d{1,4})\b/i,
];

/** "Needs: none", "no equipment", "nothing special" — the task states that it needs nothing. */
const NO_NEEDS_PATTERN = /\b(?:needs?|requires?|required equipment|equipment(?: needed| required)?|must offer all of|must (?:have|offer|provide))\b\s*:?\s*(?:none|nothing|n\/a|-|\[\s*\])\W*(?:$|[.\n;])|\bno (?:special )?equipment\b/im;

/** Whether the prompt says accessibility is required (`undefined` when it does not say). */
function readAccessibility(text: string): boolean | undefined {
  const valued = /(?:accessib\w*|wheelchair[\w -]{0,12}|step[- ]free[\w -]{0,12})[\w ]{0,25}?(?:[:=?]|\bis\b)?\s*["'`]?(true|false|yes|no)\b/i.exec(text);
  if (valued) return /^(?:true|yes)$/i.test(valued[1]);
  for (const sentence of text.split(/[.!?\n]/)) {
    // A conditional ("if accessibility is required…") is a rule, not the task's value.
    if (/\b(?:if|when|whenever|unless|in case)\b/i.test(sentence)) continue;
    if (/\baccessib\w*\W{0,3}(?:is )?not (?:required|needed)\b/i.test(sentence)) return false;
    if (/\b(?:must|has to|needs? to|should) be (?:wheelchair[- ])?accessible\b|\b(?:accessib\w*|wheelchair access|step[- ]free access)\W{0,3}(?:is )?(?:required|needed|a must)\b/i.test(sentence)) return true;
  }
  return undefined;
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
