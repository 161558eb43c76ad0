import type { TieBreak } from './room-rules.ts';

/**
 * The rules the simulated optimizer reasons about: the room task's constraints, tie-breaks and
 * answer format, and the math task's inclusive range and answer format.
 */
export type RuleKey =
  | 'availability'
  | 'capacity'
  | 'equipment'
  | 'accessibility'
  | 'noRoom'
  | TieBreak
  | 'roomFormat'
  | 'mathInclusive'
  | 'mathFormat';

/**
 * How a critique names each rule (ours, and a real model's reasonable paraphrases). Deliberately
 * specific: "least extra equipment" names a tie-break, not the equipment constraint.
 */
export const CRITIQUE_PATTERNS: Record<RuleKey, RegExp> = {
  availability: /\b(?:already booked|not free|double[- ]book\w*|free for the (?:whole )?(?:slot|time)|availability rule)\b/i,
  capacity: /\bcapacity (?:must be |of )?at least\b|\bat least the number of attendees\b|\btoo small\b|\bfewer seats than\b|\bcapacity (?:rule|constraint|requirement)\b/i,
  equipment: /\b(?:all (?:the )?)?(?:required|requested|needed|necessary) (?:equipment|amenities)\b|\bequipment (?:rule|constraint|requirement)\b|\bmissing (?:the )?required equipment\b/i,
  accessibility: /\baccessib\w*|\bwheelchair\b|\bstep[- ]free\b/i,
  noRoom: /\bno[ _-]?room\b|\bnone of the rooms\b|\bnothing (?:fits|qualifies)\b/i,
  capacitySlack: /\bcapacity[ _-]?slack\b|\b(?:smallest|tightest) (?:fitting )?(?:room|fit)\b|\bspare seats\b/i,
  extraEquipment: /\bextra[ _-]equipment\b|\b(?:additional|unneeded|unnecessary|surplus) (?:equipment|features|amenities|devices)\b/i,
  distance: /\bdistance\b|\bnearest\b|\bshortest walk\b/i,
  bookedSlots: /\bbooked[ _-](?:slots|blocks)\b|\b(?:fewest|fewer|least) (?:bookings|reservations)\b|\bleast busy\b/i,
  roomFormat: /\bfinal_choice\b|\b(?:answer|output|response) format\b/i,
  mathInclusive: /\binclusive\b|\bboth ends\b|\boff[- ]by[- ]one\b|\bn\s*\(\s*n\s*\+\s*1\s*\)\s*\/\s*2/i,
  mathFormat: /\banswer\s*:\s*<|\b(?:answer|output|response) format\b/i,
};

/** Room rule sentences for the edit, several wordings each; none contains a brace. */
export const ROOM_RULE_WORDINGS: Record<'availability' | 'capacity' | 'equipment' | 'accessibility' | 'noRoom' | 'roomFormat', string[]> = {
  availability: [
    'The room must be free for the whole requested slot.',
    'Only consider rooms that are available for the entire meeting time.',
  ],
  capacity: [
    "The room's capacity must be at least the number of attendees.",
    'Pick a room large enough to seat every attendee.',
    'Exclude rooms whose capacity is below the attendee count.',
  ],
  equipment: [
    'The room must have every piece of required equipment.',
    'Only consider rooms that provide all the needed equipment.',
    'Skip any room that lacks a required item of equipment.',
  ],
  accessibility: [
    'If accessibility is required, only choose a wheelchair-accessible room.',
    'When the request says accessibility is required, the room must be accessible.',
    'Rooms that are not accessible are excluded whenever accessible access is required.',
  ],
  noRoom: [
    'If no room satisfies every constraint, answer "No Room".',
    'When none of the rooms qualifies, return No Room instead of a partial match.',
    'Answer No Room if nothing fits all of the requirements.',
  ],
  roomFormat: [
    'Return strictly two lines:\nfinal_choice: <ROOM_ID>\nreason: <one line stating the decisive criteria>',
    'Answer in exactly this format:\nfinal_choice: <room id>\nreason: <short justification>',
    'Finish with "final_choice: <ROOM_ID>" on its own line, followed by "reason: <one sentence>".',
  ],
};

/** How each tie-break is phrased inside a tie-break sentence. */
export const TIE_BREAK_PHRASES: Record<TieBreak, string[]> = {
  capacitySlack: ['the smallest capacity slack (capacity minus attendees)', 'the fewest spare seats', 'the tightest fit in capacity'],
  extraEquipment: ['the least extra equipment', 'the fewest additional features beyond what is needed', 'the fewest unneeded devices'],
  distance: ['the shortest distance', 'the nearest room', 'the shortest walk (distance_m)'],
  bookedSlots: ['the fewest booked slots that day', 'the least busy calendar that day', 'the fewest bookings on that date'],
};

/** Sentence frames for a tie-break list; `%s` is replaced by the joined phrases. */
export const TIE_BREAK_FRAMES: { first: string[]; more: string[] } = {
  first: ['If several rooms qualify, prefer %s.', 'Break ties in this order: %s.', 'Among the rooms that fit, choose by %s.'],
  more: ['If rooms are still tied, prefer %s.', 'Remaining ties: prefer %s.', 'After that, break ties by %s.'],
};

/** Math rule sentences for the edit. */
export const MATH_RULE_WORDINGS: Record<'mathInclusive' | 'mathFormat', string[]> = {
  mathInclusive: [
    'The range is inclusive: add every integer from 1 up to and including N, which equals N(N+1)/2.',
    'Include both ends of the range (1 and N); the closed form is n(n+1)/2.',
    'Remember that "from 1 to N" includes N itself: use the formula n(n+1)/2.',
  ],
  mathFormat: ['End with a final line "Answer: <number>".', 'Give the result on its own line as Answer: <number>.'],
};

/**
 * The rules of a task the simulator does not know (neither the room selector nor the math agent):
 * it cannot re-solve such a task, so it critiques and edits in general terms only.
 */
export type GenericRuleKey = 'genericRequirements' | 'genericFormat' | 'genericCheck';

/** How a critique names each generic rule. */
export const GENERIC_CRITIQUE_PATTERNS: Record<GenericRuleKey, RegExp> = {
  genericRequirements: /\brequirements?\b|\bexplicit rules?\b|\btask(?:'s)? rules\b/i,
  genericFormat: /\b(?:answer|output|response) format\b|\bform of the answer\b/i,
  genericCheck: /\bself[- ]check\b|\bcheck (?:its|the|your) answer\b|\bverif\w*/i,
};

/**
 * Generic rule sentences for the edit; none contains a brace, and none names anything of the
 * room selector or the math agent (rooms, `final_choice`, No Room, `Answer: <number>`).
 */
export const GENERIC_RULE_WORDINGS: Record<GenericRuleKey, string[]> = {
  genericRequirements: [
    'Read every field of the input and treat each requirement it states as a rule the answer must satisfy.',
    'Apply every requirement given in the input; do not ignore or soften any of them.',
  ],
  genericFormat: [
    'Give the answer in exactly the form the task asks for, on a final line of its own with nothing else on it.',
    'End with a single line that holds only the answer, in the exact form the task requires.',
  ],
  genericCheck: [
    'Before answering, check the answer against each requirement of the task.',
    'Verify that the answer satisfies every stated requirement before giving it.',
  ],
};
