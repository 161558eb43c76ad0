/** What a "sum from 1 to N" prompt states, recognised by keyword families. */
export interface MathRules {
  /** The prompt says the range includes both ends, or gives the closed form n(n+1)/2. */
  inclusive: boolean;
  /** The answer format asked for. */
  format: 'answer_line' | 'hashes' | 'boxed' | 'prose';
}

const INCLUSIVE_PATTERN =
  /\binclusive\b|\bboth ends\b|\bincluding (?:both|n\b|the (?:last|final|upper)|1 and n)|\bup to and including\b|\bn\s*\(\s*n\s*\+\s*1\s*\)\s*\/\s*2|\bn\s*\*\s*\(\s*n\s*\+\s*1\s*\)|\bgauss\w*|\bclosed[- ]form\b|\barithmetic series formula\b|\binclude (?:n|the (?:last|upper|final) (?:number|term|bound)|both)\b/i;

/** Recognises the rules stated in a math prompt. */
export function detectMathRules(text: string): MathRules {
  let format: MathRules['format'] = 'prose';
  if (/\banswer\s*:\s*[<[]|["'`]answer:/i.test(text) || /\bformat\b[^.\n]{0,40}\banswer:/i.test(text)) format = 'answer_line';
  else if (/####/.test(text)) format = 'hashes';
  else if (/\\?boxed\b/i.test(text)) format = 'boxed';
  return { inclusive: INCLUSIVE_PATTERN.test(text), format };
}

/** The N of a "sum from 1 to N" question, or `undefined`. */
export function parseSumQuestion(text: string): number | undefined {
  const match =
    /\bsum\b[\w ]{0,40}?\bfrom 1 (?:to|through|until|up to) (\d{1,9})\b/i.exec(text) ??
    /\b1\s*\+\s*2\s*\+\s*(?:\.\.\.|…)\s*\+\s*(\d{1,9})\b/.exec(text) ??
    /\badd (?:up )?(?:all )?(?:the )?(?:integers|numbers) from 1 to (\d{1,9})\b/i.exec(text);
  return match ? Number(match[1]) : undefined;
}
