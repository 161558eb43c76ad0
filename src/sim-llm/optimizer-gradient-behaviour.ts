import { allText, choose } from './behaviour.ts';
import type { Behaviour, BehaviourContext } from './behaviour.ts';
import { analyseExperiment, isFailing } from './experiment-analysis.ts';
import type { Finding } from './experiment-analysis.ts';
import { findExperiments } from './experiments.ts';
import type { Experiment } from './experiments.ts';
import type { RuleKey } from './optimizer-rules.ts';
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
    return { content: writeCritique(context, experiments) };
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

function writeCritique(context: BehaviourContext, experiments: Experiment[]): string {
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
  // Passing rollouts may still show a fixable habit (prose answers): count it too.
  for (const experiment of experiments.filter((candidate) => !isFailing(candidate))) {
    const analysis = analyseExperiment(experiment);
    if (analysis?.finding.rule === 'roomFormat' || analysis?.finding.rule === 'mathFormat') findings.push(analysis.finding);
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
