import { allText, choose } from './behaviour.ts';
import type { Behaviour, BehaviourContext } from './behaviour.ts';
import { analyseExperiment, isFailing } from './experiment-analysis.ts';
import type { Finding } from './experiment-analysis.ts';
import { findExperiments } from './experiments.ts';
import type { Experiment } from './experiments.ts';
import type { RuleKey } from './optimizer-rules.ts';
import { findSection } from './prompt-sections.ts';
import { TIE_BREAKS } from './room-rules.ts';
import type { TieBreak } from './room-rules.ts';

const OPTIMIZER_WORDS = /\bcritique|\bgradient|\bfeedback|\bexperiments?\b|\brollouts?\b|\bwhat went wrong|\bimprove/i;

/** The heading under which the critique lists the rules to add; the edit behaviour reads it first. */
export const MISSING_RULES_HEADING = 'Missing rules (add these to the prompt):';

/**
 * APO's "textual gradient" call: a request carrying a prompt template and experiments (the
 * rollouts' messages, rewards and statuses) gets a critique naming, concretely, what the failing
 * rollouts got wrong and which rule the prompt is missing — each failure explained by re-solving
 * the rollout's task with every rule (see `analyseExperiment`).
 */
export const optimizerGradientBehaviour: Behaviour = {
  name: 'optimizer-gradient',
  respond(context) {
    const text = allText(context.request.messages);
    if (!OPTIMIZER_WORDS.test(text) || !/prompt|template|instruction/i.test(text)) return undefined;
    const experiments = findExperiments(text);
    if (experiments.length === 0) return undefined;
    return { content: writeCritique(context, experiments, findSection(text, 'prompt') ?? '') };
  },
};

const RULE_ORDER: RuleKey[] = ['availability', 'capacity', 'equipment', 'accessibility', 'noRoom', ...TIE_BREAKS, 'roomFormat', 'mathInclusive', 'mathFormat'];

const TIE_BREAK_CANONICAL: Record<TieBreak, string> = {
  capacitySlack: 'the smallest capacity slack (capacity minus attendees)',
  extraEquipment: 'the least extra equipment',
  distance: 'the shortest distance',
  bookedSlots: 'the fewest booked slots that day',
};

const RULE_DESCRIPTIONS: Record<Exclude<RuleKey, TieBreak>, string[]> = {
  availability: ['Availability: the prompt does not say the room must be free for the whole slot.'],
  capacity: [
    'Capacity: the prompt does not say the capacity must be at least the number of attendees.',
    'Capacity: nothing in the prompt rules out rooms that are too small for the attendees.',
  ],
  equipment: [
    'Equipment: the prompt does not say the room must have all the required equipment.',
    'Equipment: the required equipment is not stated as a hard constraint.',
  ],
  accessibility: [
    'Accessibility: the prompt does not say to require a wheelchair-accessible room when accessibility is required (pass the accessible_required value and state the rule).',
    'Accessibility: the prompt never asks for an accessible room when the request needs accessibility.',
  ],
  noRoom: [
    'No Room: the prompt does not say to answer "No Room" when no room satisfies every constraint, so the agent settles for a partial match.',
    'No Room: when nothing fits, the agent should answer No Room instead of the closest partial match, but the prompt never says so.',
  ],
  roomFormat: [
    'Answer format: answers are free-form prose; require exactly "final_choice: <ROOM_ID>" followed by a one-line reason, so that a strict grader can read them.',
    'Answer format: the prompt sets no output format; ask for a final_choice line with the room id and a short reason line.',
  ],
  mathInclusive: [
    'Inclusive range: the answers stop one short of N (off by one); say that the range includes both ends, 1 and N, i.e. the sum is n(n+1)/2.',
    'Inclusive range: the prompt should state that "from 1 to N" is inclusive of both ends and give n(n+1)/2.',
  ],
  mathFormat: [
    'Answer format: ask for a final line "Answer: <number>" so the result can be parsed.',
    'Answer format: the prompt sets no output format; require the answer as Answer: <number>.',
  ],
};

function writeCritique(context: BehaviourContext, experiments: Experiment[], template: string): string {
  // A task the simulator cannot re-solve (neither rooms nor sums) gets a critique in general terms:
  // naming the room selector's rules in it would send the edit off writing them into any prompt.
  if (!experiments.some((experiment) => analyseExperiment(experiment) !== undefined)) return writeGenericCritique(context, experiments, template);
  const failing = experiments.filter(isFailing);
  const rewards = experiments.map((experiment) => experiment.reward).filter((reward): reward is number => reward !== undefined);
  const mean = rewards.length > 0 ? rewards.reduce((sum, reward) => sum + reward, 0) / rewards.length : undefined;
  const lines: string[] = [];
  lines.push(
    choose(context, [
      `Critique of the prompt template (simulated optimizer): ${experiments.length} experiments, ${failing.length} failing${mean === undefined ? '' : `, mean reward ${mean.toFixed(2)}`}.`,
      `Simulated review of ${experiments.length} rollouts (${failing.length} below full reward${mean === undefined ? '' : `, average ${mean.toFixed(2)}`}).`,
      `Textual gradient (simulated): ${failing.length} of ${experiments.length} experiments failed${mean === undefined ? '' : `; mean reward ${mean.toFixed(2)}`}.`,
    ]),
  );
  const findings: Finding[] = [];
  const unexplained: Experiment[] = [];
  for (const experiment of failing) {
    const analysis = analyseExperiment(experiment);
    if (analysis) findings.push(analysis.finding);
    else unexplained.push(experiment);
  }
  // Passing rollouts may still show a fixable habit (prose answers), or have been right by luck
  // (the rule that decided them is not in the prompt): count those too.
  for (const experiment of experiments.filter((candidate) => !isFailing(candidate))) {
    const analysis = analyseExperiment(experiment);
    if (analysis?.finding.lucky || analysis?.finding.rule === 'roomFormat' || analysis?.finding.rule === 'mathFormat') findings.push(analysis.finding);
  }
  if (failing.length === 0 && findings.length === 0) {
    lines.push('', 'Every rollout reached full reward: the prompt already states what the task needs. Keep it as it is.', '', MISSING_RULES_HEADING, '- none');
    return lines.join('\n');
  }
  lines.push('', choose(context, ['What the rollouts got wrong:', 'Observed problems:', 'Where the rollouts went wrong:']));
  for (const finding of findings.slice(0, 12)) {
    lines.push(`- Experiment ${finding.experiment}${finding.reward === undefined ? '' : ` (reward ${finding.reward})`}: ${finding.detail}.`);
  }
  for (const experiment of unexplained.slice(0, 4)) {
    lines.push(
      `- Experiment ${experiment.index}${experiment.reward === undefined ? '' : ` (reward ${experiment.reward})`}${experiment.status ? `, status ${experiment.status}` : ''}: the failure is not explained by the transcript; the prompt should state the task's rules and answer format explicitly.`,
    );
  }
  const missing = RULE_ORDER.filter((rule) => findings.some((finding) => finding.rule === rule));
  lines.push('', MISSING_RULES_HEADING);
  const tieBreaks = missing.filter((rule): rule is TieBreak => (TIE_BREAKS as readonly string[]).includes(rule));
  for (const rule of missing) {
    if ((TIE_BREAKS as readonly string[]).includes(rule)) {
      if (rule !== tieBreaks[0]) continue;
      const phrases = tieBreaks.map((tieBreak) => TIE_BREAK_CANONICAL[tieBreak]).join(', then ');
      lines.push(
        `- ${choose(context, [
          `Tie-breaks: when several rooms fit, the prompt gives no order of preference; the failures show it should prefer ${phrases}.`,
          `Tie-breaks: the agent takes the first room that fits; it should rank fitting rooms by ${phrases}.`,
        ])}`,
      );
      continue;
    }
    lines.push(`- ${choose(context, RULE_DESCRIPTIONS[rule as Exclude<RuleKey, TieBreak>])}`);
  }
  if (missing.length === 0) lines.push('- none identified; state the task rules and the answer format explicitly');
  return lines.join('\n');
}

/** States an output form: "format", "exactly", "reply with", "answer with", "return only"... */
const STATES_FORMAT = /\bformat\b|\bexactly\b|\b(?:reply|respond|answer) (?:with|in)\b|\breturn (?:only|just|the)\b|\bonly the\b/i;
/** Asks for a check before answering. */
const STATES_CHECK = /\bcheck\b|\bverif\w*|\bdouble[- ]check/i;

/**
 * The critique of a task the simulator does not know: what the failing rollouts answered (quoted,
 * beside what passing ones answered), and general rules — state the task's requirements as rules,
 * fix the answer's form when the template does not, check the answer before giving it. It names
 * nothing of any particular task, so the edit stays in the task's own terms.
 */
function writeGenericCritique(context: BehaviourContext, experiments: Experiment[], template: string): string {
  const failing = experiments.filter(isFailing);
  const passing = experiments.filter((experiment) => !isFailing(experiment));
  const rewards = experiments.map((experiment) => experiment.reward).filter((reward): reward is number => reward !== undefined);
  const mean = rewards.length > 0 ? rewards.reduce((sum, reward) => sum + reward, 0) / rewards.length : undefined;
  const lines: string[] = [
    choose(context, [
      `Critique of the prompt template (simulated optimizer, general review: the task is not one the simulator can re-solve): ${experiments.length} experiments, ${failing.length} failing${mean === undefined ? '' : `, mean reward ${mean.toFixed(2)}`}.`,
      `Simulated general review of ${experiments.length} rollouts (${failing.length} below full reward${mean === undefined ? '' : `, average ${mean.toFixed(2)}`}); the simulator cannot check this task's answers itself.`,
    ]),
  ];
  if (failing.length === 0) {
    lines.push('', 'Every rollout reached full reward: the prompt already states what the task needs. Keep it as it is.', '', MISSING_RULES_HEADING, '- none');
    return lines.join('\n');
  }
  lines.push('', choose(context, ['What the rollouts got wrong:', 'Observed problems:']));
  for (const experiment of failing.slice(0, 8)) {
    const answer = lastAnswer(experiment);
    const scored = experiment.reward === undefined ? `status ${experiment.status ?? 'unknown'}` : `reward ${experiment.reward}`;
    const words = answer ? answer.split(/\s+/).length : 0;
    const detail = !answer
      ? 'gave no answer'
      : words > 60
        ? `answered at length (${words} words), starting ${quote(answer)}`
        : `answered ${quote(answer)}`;
    lines.push(`- Experiment ${experiment.index} (${scored}): ${detail}.`);
  }
  const reference = passing.map(lastAnswer).find(Boolean);
  if (reference) lines.push(`- For comparison, a rollout with full reward answered ${quote(reference)}.`);
  lines.push('', MISSING_RULES_HEADING);
  lines.push(
    `- ${choose(context, [
      "Requirements: the prompt does not turn the task's requirements into explicit rules; state each one the answer must satisfy.",
      'Requirements: the failing answers ignore part of the input; the prompt should say that every requirement in it must be met.',
    ])}`,
  );
  if (!STATES_FORMAT.test(template)) {
    lines.push(
      `- ${choose(context, [
        'Answer format: the prompt does not fix the form of the answer; ask for the answer alone, on a final line, in the form the task expects.',
        'Answer format: answers vary in form; the prompt should say exactly what the final line must contain.',
      ])}`,
    );
  }
  if (!STATES_CHECK.test(template)) lines.push('- Self-check: ask the agent to check its answer against every requirement before giving it.');
  return lines.join('\n');
}

/** The last assistant message's text, whitespace folded. */
function lastAnswer(experiment: Experiment): string {
  for (let index = experiment.messages.length - 1; index >= 0; index--) {
    const message = experiment.messages[index];
    if (message.role === 'assistant' && message.content.trim()) return message.content.replace(/\s+/g, ' ').trim();
  }
  return '';
}

function quote(text: string): string {
  return `"${text.length > 100 ? `${text.slice(0, 97)}...` : text}"`;
}
