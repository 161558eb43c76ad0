import { allText, choose } from './behaviour.ts';
import type { Behaviour, BehaviourContext } from './behaviour.ts';
import { findExperiments } from './experiments.ts';
import { detectMathRules } from './math-rules.ts';
import { MISSING_RULES_HEADING } from './optimizer-gradient-behaviour.ts';
import { CRITIQUE_PATTERNS, GENERIC_CRITIQUE_PATTERNS, GENERIC_RULE_WORDINGS, MATH_RULE_WORDINGS, ROOM_RULE_WORDINGS, TIE_BREAK_FRAMES, TIE_BREAK_PHRASES } from './optimizer-rules.ts';
import type { GenericRuleKey, RuleKey } from './optimizer-rules.ts';
import { findSection } from './prompt-sections.ts';
import { detectRoomRules, TIE_BREAKS } from './room-rules.ts';
import type { TieBreak } from './room-rules.ts';

const EDIT_WORDS = /\b(?:revise|rewrite|improve|edit|update|apply|fix|modify|refine)\w*/i;

/**
 * APO's "apply edit" call: a request carrying a prompt template and a critique gets back a new
 * template — the original text, every `{placeholder}` kept and none invented, with the rules the
 * critique names and the template does not yet state added in natural language (no braces). At
 * temperature > 0 the wording is seeded and varied, and each missing rule may be left out (at least
 * one is always added), so that beam search has different candidates to choose between.
 */
export const optimizerEditBehaviour: Behaviour = {
  name: 'optimizer-edit',
  respond(context) {
    const text = allText(context.request.messages);
    if (!EDIT_WORDS.test(text)) return undefined;
    const critique = findSection(text, 'critique');
    const template = findSection(text, 'prompt');
    if (!critique || !template) return undefined;
    // A request that carries rollout transcripts asks for a critique, not an edit.
    if (findExperiments(text).some((experiment) => experiment.messages.length > 0)) return undefined;
    return { content: applyCritique(context, template, critique) };
  },
};

/** The rules a critique asks for: from its "missing rules" list when it has one, else from all of it. */
export function rulesNamedIn(critique: string): RuleKey[] {
  const at = critique.indexOf(MISSING_RULES_HEADING);
  const scope = at >= 0 ? critique.slice(at + MISSING_RULES_HEADING.length) : critique;
  const rules = (Object.keys(CRITIQUE_PATTERNS) as RuleKey[]).filter((rule) => CRITIQUE_PATTERNS[rule].test(scope));
  if (/\btie[- ]?break/i.test(scope) && !rules.some((rule) => (TIE_BREAKS as readonly string[]).includes(rule))) rules.push(...TIE_BREAKS);
  return rules;
}

/** Adds the critique's missing rules to `template`. */
export function applyCritique(context: BehaviourContext, template: string, critique: string): string {
  const named = rulesNamedIn(critique);
  const isMath = named.includes('mathInclusive') || (!named.some((rule) => rule in ROOM_RULE_WORDINGS || (TIE_BREAKS as readonly string[]).includes(rule)) && /\bsum\b|\bcalculat|\bmath/i.test(template));
  const additions: { rule: string; text: string }[] = [];
  const random = context.random;
  const varied = context.request.temperature > 0;

  const generic = !isMath && !isRoomEdit(template, critique, named);
  if (generic) {
    // A task the simulator does not know: only general rules, in words that belong to no particular task.
    const stated: Record<GenericRuleKey, boolean> = {
      genericRequirements: false,
      genericFormat: /\bformat\b|\bexactly\b/i.test(template),
      genericCheck: /\bcheck\b|\bverif/i.test(template),
    };
    for (const rule of genericRulesNamedIn(critique)) {
      // The format rule goes last, as the room and math formats do.
      if (!stated[rule]) additions.push({ rule: rule === 'genericFormat' ? 'format' : rule, text: choose(context, GENERIC_RULE_WORDINGS[rule]) });
    }
  } else if (isMath) {
    const stated = detectMathRules(template);
    if (named.includes('mathInclusive') && !stated.inclusive) additions.push({ rule: 'mathInclusive', text: choose(context, MATH_RULE_WORDINGS.mathInclusive) });
    if ((named.includes('mathFormat') || named.includes('roomFormat')) && stated.format === 'prose') {
      additions.push({ rule: 'mathFormat', text: choose(context, MATH_RULE_WORDINGS.mathFormat) });
    }
  } else {
    const stated = detectRoomRules(template);
    const statedFlags: Record<string, boolean> = {
      availability: stated.availability,
      capacity: stated.capacity,
      equipment: stated.equipment,
      accessibility: stated.accessibility,
      noRoom: stated.noRoom,
      roomFormat: stated.format.kind !== 'prose',
    };
    for (const rule of ['availability', 'capacity', 'equipment', 'accessibility', 'noRoom'] as const) {
      if (named.includes(rule) && !statedFlags[rule]) additions.push({ rule, text: choose(context, ROOM_RULE_WORDINGS[rule]) });
    }
    const newTieBreaks = TIE_BREAKS.filter((tieBreak) => named.includes(tieBreak) && !stated.tieBreaks.includes(tieBreak));
    if (newTieBreaks.length > 0) additions.push({ rule: 'tieBreaks', text: tieBreakSentence(context, newTieBreaks, stated.tieBreaks.length > 0) });
    if (named.includes('roomFormat') && !statedFlags.roomFormat) additions.push({ rule: 'roomFormat', text: choose(context, ROOM_RULE_WORDINGS.roomFormat) });
  }

  let kept = additions;
  if (varied && additions.length > 1) {
    // Sometimes only some of the missing rules make it in: beam search then has real choices.
    const dropChance = 0.35 * Math.min(1, context.request.temperature);
    kept = additions.filter(() => !random.chance(dropChance));
    if (kept.length === 0) kept = [random.pick(additions)];
  }
  if (kept.length === 0 && (named.length === 0 || generic)) {
    kept = [{ rule: 'generic', text: choose(context, GENERIC_ADVICE) }];
  }
  if (kept.length === 0) return template;
  const format = kept.filter((addition) => addition.rule === 'roomFormat' || addition.rule === 'mathFormat' || addition.rule === 'format');
  const rules = kept.filter((addition) => !format.includes(addition));
  const layout = varied ? random.integer(2) : 0;
  const body = rules.length === 0 ? '' : layout === 0 ? rules.map((addition) => addition.text).join(' ') : `Rules:\n${rules.map((addition) => `- ${addition.text}`).join('\n')}`;
  const parts = [template.trimEnd(), body, ...format.map((addition) => addition.text)].filter(Boolean);
  return joinWithoutNewBraces(parts);
}

/** Room-specific rules (the constraints and tie-breaks): naming one makes an edit a room edit. */
const ROOM_SPECIFIC: readonly RuleKey[] = ['availability', 'capacity', 'equipment', 'accessibility', 'noRoom', ...TIE_BREAKS];

/**
 * Whether an edit is the room selector's: the critique names a room-specific rule or the
 * `final_choice` line, or the template speaks of rooms. "Answer format" alone is not enough: every
 * task has one.
 */
function isRoomEdit(template: string, critique: string, named: readonly RuleKey[]): boolean {
  return named.some((rule) => ROOM_SPECIFIC.includes(rule)) || /\bfinal_choice\b|\bROOM_ID\b/.test(critique) || /\brooms?\b/i.test(template);
}

/** The generic rules a critique asks for (from its "missing rules" list when it has one). */
function genericRulesNamedIn(critique: string): GenericRuleKey[] {
  const at = critique.indexOf(MISSING_RULES_HEADING);
  const scope = at >= 0 ? critique.slice(at + MISSING_RULES_HEADING.length) : critique;
  return (Object.keys(GENERIC_CRITIQUE_PATTERNS) as GenericRuleKey[]).filter((rule) => GENERIC_CRITIQUE_PATTERNS[rule].test(scope));
}

const GENERIC_ADVICE = [
  'Follow every requirement stated in the task exactly and answer in the requested format.',
  'Check each requirement of the task before answering, and keep the answer in the requested format.',
];

function tieBreakSentence(context: BehaviourContext, tieBreaks: TieBreak[], more: boolean): string {
  const phrases = tieBreaks.map((tieBreak) => choose(context, TIE_BREAK_PHRASES[tieBreak]));
  const frame = choose(context, more ? TIE_BREAK_FRAMES.more : TIE_BREAK_FRAMES.first);
  return frame.replace('%s', phrases.join(', then '));
}

/** Joins the parts; the added text never carries braces, so the template's placeholders are exactly the original's. */
function joinWithoutNewBraces(parts: string[]): string {
  const [original, ...added] = parts;
  return [original, ...added.map((text) => text.replace(/[{}]/g, ''))].join('\n\n');
}
