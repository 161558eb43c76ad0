/**
 * The prompts the custom algorithm tries on the math agent, in order. Each is a template with a
 * `{question}` placeholder (the user message). On the simulated model the first two leave most of
 * its off-by-one in place; the third and fourth say the range is inclusive and score far higher, so
 * one of them — the first of the best — is kept.
 */
export const CANDIDATE_PROMPTS: readonly string[] = [
  'Solve this math problem: {question}\nEnd with a line of the form "Answer: <number>".',
  'Calculate carefully, step by step: {question}',
  'Solve this math problem: {question}\nThe range is inclusive: count both ends, 1 and N.\nEnd with a line of the form "Answer: <number>".',
  'Solve: {question}\nUse the closed form n(n+1)/2 and finish with "#### <number>".',
];
