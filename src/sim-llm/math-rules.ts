import { mentionsConcept, phrasing } from './prompt-concepts.ts';
import type { Concept } from './prompt-concepts.ts';

/** What a "sum from 1 to N" prompt states, recognised by concept (in paraphrase). */
export interface MathRules {
  /** The prompt says the range includes both ends, or gives the closed form n(n+1)/2. */
  inclusive: boolean;
  /** The prompt warns about the range's bounds without saying which way ("be careful with the bounds"). */
  boundsHint: boolean;
  /** The prompt asks for care in general: step by step, double-check, verify. */
  care: boolean;
  /** The answer format asked for. */
  format: 'answer_line' | 'hashes' | 'boxed' | 'prose';
}

const END = /\b(?:n|N|last|final|upper|top|end\w*|both|1 and n|bounds?|limit)\b/;

const INCLUSIVE_CONCEPT: Concept = [
  phrasing([/\binclusive\b|\bboth ends\b|\bboth endpoints\b|\bup to and including\b|\bclosed[- ]form\b|\bgauss\w*|\barithmetic series formula\b/i], [/\bnot inclusive\b|\bexclusive\b/i]),
  phrasing([/\bn\s*\(\s*n\s*\+\s*1\s*\)|\bn\s*\*\s*\(\s*n\s*\+\s*1\s*\)|\(\s*n\s*\+\s*1\s*\)\s*\*?\s*n\s*\/\s*2/i]),
  phrasing([/\b(?:includ\w*|count\w*|add\w*|part of|belongs?|keep|do not (?:drop|skip|forget|leave out)|don't (?:drop|skip|forget|leave out))\b/i, END], [/\bexclud\w*|\bnot includ\w*/i]),
];

const BOUNDS_CONCEPT: Concept = [
  phrasing([/\b(?:careful|attention|watch|mind|check|pay attention)\b/i, /\b(?:bounds?|endpoints?|ends? of the range|range|limits?|off[- ]by[- ]one|fencepost)\b/i]),
  phrasing([/\boff[- ]by[- ]one\b|\bfencepost\b/i]),
];

const CARE_CONCEPT: Concept = [
  phrasing([/\bstep[- ]by[- ]step\b|\bthink\w*\b[\w ]{0,12}\bthrough\b|\bshow (?:your|the) work\w*\b|\breason\w* carefully\b/i]),
  phrasing([/\b(?:double[- ]check\w*|verif\w*|check (?:your|the) (?:result|answer|work)|re-?check\w*|sanity[- ]check\w*|be careful|carefully)\b/i]),
];

/** Recognises the rules stated in a math prompt. */
export function detectMathRules(text: string): MathRules {
  let format: MathRules['format'] = 'prose';
  if (/\banswer\s*:\s*[<[]|["'`]answer:|\bafter "?answer:?"?/i.test(text) || /\b(?:format|line|form)\b[^.\n]{0,40}\banswer\s*:/i.test(text)) format = 'answer_line';
  else if (/####/.test(text)) format = 'hashes';
  else if (/\\?boxed\b/i.test(text)) format = 'boxed';
  return {
    inclusive: mentionsConcept(text, INCLUSIVE_CONCEPT),
    boundsHint: mentionsConcept(text, BOUNDS_CONCEPT),
    care: mentionsConcept(text, CARE_CONCEPT),
    format,
  };
}

/**
 * How likely the simulated math agent is to sum the whole range 1..N rather than stop at N − 1:
 * 0.3 from a prompt that says nothing about it; each cue the prompt gives removes part of the
 * remaining doubt — general care 20 %, a warning about the bounds 55 %, an explicit inclusive rule
 * 95 % — so the prompt's effect is graded, and more cues never hurt.
 */
export function inclusiveProbability(rules: MathRules): number {
  let doubt = 0.7;
  if (rules.care) doubt *= 0.8;
  if (rules.boundsHint) doubt *= 0.45;
  if (rules.inclusive) doubt *= 0.05;
  return 1 - doubt;
}

/** How vague a math prompt is, from 1 (states nothing) to 0 (inclusive range, answer format, care). */
export function mathPromptVagueness(rules: MathRules): number {
  const range = rules.inclusive ? 0.5 : rules.boundsHint ? 0.25 : 0;
  return 1 - range - (rules.format !== 'prose' ? 0.3 : 0) - (rules.care ? 0.2 : 0);
}

/** The probability of an arithmetic slip (forgetting to halve): 2 % to 8 % at temperature 0 by vagueness, × (1 + T/2) above. */
export function mathSlipRate(vagueness: number, temperature: number): number {
  return (0.02 + 0.06 * vagueness) * (1 + 0.5 * Math.min(2, Math.max(0, temperature)));
}

/** The N of a "sum from 1 to N" question, or `undefined`. */
export function parseSumQuestion(text: string): number | undefined {
  const match =
    /\bsum\b[\w ]{0,40}?\bfrom 1 (?:to|through|until|up to) (\d{1,9})\b/i.exec(text) ??
    /\b1\s*\+\s*2\s*\+\s*(?:\.\.\.|…)\s*\+\s*(\d{1,9})\b/.exec(text) ??
    /\badd (?:up )?(?:all )?(?:the )?(?:integers|numbers) from 1 to (\d{1,9})\b/i.exec(text);
  return match ? Number(match[1]) : undefined;
}
