/**
 * Paraphrased prompts for the simulated model's monotonicity test, written before the simulator's
 * paraphrase recognition was built and never used to tune it. Each chain starts from a prompt that
 * states the task and adds one correct rule per step, in words of its own; the expected score must
 * never fall along a chain. "Correct" means true of the data: the constraints, "No Room" when
 * nothing qualifies, the tie-breaks in the data's order (capacity slack, then extra equipment, then
 * distance, then booked slots), and a `final_choice:` answer line.
 *
 * Placeholders are the task's fields: `{date}`, `{time}`, `{duration_min}`, `{attendees}`,
 * `{needs}`, `{accessible_required}` (room) and `{question}` (math).
 */

/** A chain of prompts, each the previous one plus one correct rule. */
export interface ParaphraseChain {
  /** What the chain varies, for failure messages. */
  name: string;
  /** The prompts, from the barest to the most complete. */
  steps: string[];
}

/** Builds a chain by appending each addition to the previous step. */
function chain(name: string, base: string, additions: string[], separator = ' '): ParaphraseChain {
  const steps = [base];
  for (const addition of additions) steps.push(`${steps.at(-1)}${separator}${addition}`);
  return { name, steps };
}

/** Room-selector chains. */
export const ROOM_PARAPHRASE_CHAINS: ParaphraseChain[] = [
  chain(
    'issue 16 paraphrase',
    'Please book a room on {date} at {time} for {duration_min} minutes for a group of {attendees}. It has to seat everyone and must offer all of: {needs}. Accessibility needed: {accessible_required}. Check which rooms are open first.',
    [
      'Should no room meet all of that, tell me "No Room" rather than suggesting one.',
      'If more than one room works, go for the one whose size is closest to the group, leaving the fewest empty seats.',
      'Still tied? Take the room carrying the least equipment we did not ask for.',
      'After that, the shorter walk wins.',
      'Last resort: the room with fewer reservations on that day.',
      'Write your answer as final_choice: <room id> followed by a reason line.',
    ],
  ),
  chain(
    'terse bullet list',
    'Meeting {date} {time}, {duration_min} min, headcount {attendees}, equipment: {needs}, wheelchair access required: {accessible_required}.',
    [
      '- Rooms that are booked during the meeting are out.',
      '- Capacity has to cover the headcount.',
      '- Every requested item of equipment must be present.',
      '- Accessible rooms only when access is required.',
      '- Nothing suitable -> output No Room.',
      '- Tie-break 1: least surplus capacity.',
      '- Tie-break 2: fewest unrequested extras.',
      '- Tie-break 3: proximity (distance_m, smaller first).',
      '- Tie-break 4: fewest bookings that day.',
      '- Output format: final_choice: <ROOM_ID>',
    ],
    '\n',
  ),
  chain(
    'format first, then No Room, then ties',
    'We need somewhere to meet: {date}, starting {time}, {duration_min} minutes long, {attendees} people coming. They need {needs}. Must it be accessible? {accessible_required}.',
    [
      'Reply on one line in the form "final_choice: <ROOM_ID>" and then a short reason.',
      'If every room fails a requirement, the right answer is No Room.',
      'When several rooms qualify, minimise wasted seats (capacity minus people).',
      'Then minimise extra equipment the meeting does not need.',
      'Then choose the closer room.',
      'Then the one that is booked least often that day.',
    ],
  ),
  chain(
    'constraints spelled out as prose',
    'A colleague asks for a room. Date {date}, time {time}, length {duration_min} minutes, {attendees} attendees, required equipment {needs}, accessibility requirement {accessible_required}.',
    [
      'Make sure the room is not already reserved at that time.',
      'It must hold all {attendees} attendees.',
      'It must be equipped with what was requested.',
      'If the accessibility requirement is true, only an accessible room will do.',
      'Among rooms satisfying all of this, pick the smallest one that still fits.',
      'In case nothing satisfies the requirements, the answer is No Room.',
    ],
  ),
  chain(
    'numbered policy',
    'Task: choose a meeting room. Details: {attendees} participants; {date} at {time}; {duration_min} minutes; needs {needs}; accessible required = {accessible_required}.',
    [
      '1. When no room satisfies the constraints, respond with No Room.',
      '2. Among valid rooms prefer the tightest fit in capacity.',
      '3. Next prefer fewer features beyond the requested ones.',
      '4. Next prefer the nearest room.',
      '5. Next prefer the room with the lightest booking load that day.',
      '6. Answer with the line final_choice: <ROOM_ID> and a line reason: <why>.',
    ],
    '\n',
  ),
  chain(
    'tutorial baseline, rules added one at a time',
    'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}',
    [
      '. If none of the rooms can host this meeting, say No Room.',
      'Should several rooms be possible, the one with the least spare capacity wins.',
      'Ties after that go to the room with the fewest additional devices.',
      'Any remaining tie: shortest distance.',
      'And then the room with the fewest booked slots on that date.',
      'Format: final_choice: <ROOM_ID>',
    ],
  ),
];

/** Math-agent chains ("Calculate the sum from 1 to N"). */
export const MATH_PARAPHRASE_CHAINS: ParaphraseChain[] = [
  chain('bare question', '{question}', [
    'Think it through step by step.',
    'Note that the range includes N itself.',
    'Put the result on a final line as Answer: <number>.',
  ], '\n'),
  chain('format first', 'Solve this math problem: {question}', [
    'End with a line of the form "Answer: <number>".',
    'Both endpoints, 1 and N, are part of the sum.',
    'Double-check the result with the formula n(n+1)/2 before answering.',
  ], '\n'),
  chain('careful solver', 'You will be given an arithmetic question. {question}', [
    'Be careful with the bounds of the range.',
    'Count the last number too: the sum runs up to and including N.',
    'Give only the number after "Answer:".',
  ], '\n'),
];
