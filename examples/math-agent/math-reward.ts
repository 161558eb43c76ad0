/**
 * The number an answer gives: the value after `Answer:`, `####` or in `\boxed{}` when present,
 * else the last number in the text (thousands separators allowed). `null` when there is none.
 */
export function extractAnswer(text: string | null | undefined): number | null {
  if (!text) return null;
  const marked =
    /answer\s*[:=]\s*\**\s*(-?[\d,]*\d(?:\.\d+)?)/i.exec(text) ??
    /####\s*(-?[\d,]*\d(?:\.\d+)?)/.exec(text) ??
    /\\boxed\{\s*(-?[\d,]*\d(?:\.\d+)?)\s*\}/.exec(text);
  const raw = marked?.[1] ?? [...text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].at(-1)?.[0];
  if (raw === undefined) return null;
  const value = Number(raw.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

/** Relative error up to which an inexact answer still earns partial credit. */
export const PARTIAL_CREDIT_RELATIVE_ERROR = 0.25;
/** The most an inexact answer can earn. */
export const MAX_PARTIAL_CREDIT = 0.5;

/**
 * The reward of an answer, in [0, 1]: 1 for the exact value; an inexact answer within 25 %
 * (relative) of it earns partial credit falling linearly from 0.5 (nearly right) to 0 (25 % off);
 * anything further off, or no number at all, earns 0. The classic off-by-one (1..N−1, which is
 * 2/(N+1) off) thus earns between about 0.1 and 0.5: close, never full marks.
 */
export function mathReward(answerText: string | null | undefined, expected: number): number {
  const value = extractAnswer(answerText);
  if (value === null) return 0;
  if (value === expected) return 1;
  const relativeError = Math.abs(value - expected) / Math.max(1, Math.abs(expected));
  if (relativeError >= PARTIAL_CREDIT_RELATIVE_ERROR) return 0;
  return MAX_PARTIAL_CREDIT * (1 - relativeError / PARTIAL_CREDIT_RELATIVE_ERROR);
}
