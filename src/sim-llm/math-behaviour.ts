import { choose, decisionRandom, lastUserText, promptText } from './behaviour.ts';
import type { Behaviour } from './behaviour.ts';
import { detectMathRules, inclusiveProbability, mathPromptVagueness, mathSlipRate, parseSumQuestion } from './math-rules.ts';

/**
 * The math agent: "Calculate the sum from 1 to N". It makes the classic off-by-one (sums 1..N−1)
 * unless it gets the range right, which it does more often the more the prompt says about it
 * ({@link inclusiveProbability}); now and then, more often for a vague prompt or at a higher
 * temperature, it slips and forgets to halve. It answers in the format the prompt asks for
 * (`Answer: <n>`, `#### <n>`, `\boxed{n}`), else in a sentence ending with the number.
 */
export const mathBehaviour: Behaviour = {
  name: 'math',
  respond(context) {
    const n = parseSumQuestion(lastUserText(context.request.messages));
    if (n === undefined) return undefined;
    const rules = detectMathRules(promptText(context.request.messages));
    const random = decisionRandom(context, 'math-decision', n);
    const inclusive = random.chance(inclusiveProbability(rules));
    const slipped = random.chance(mathSlipRate(mathPromptVagueness(rules), context.request.temperature));
    const last = inclusive ? n : n - 1;
    const sum = slipped ? last * (last + 1) : (last * (last + 1)) / 2;
    const working = `${inclusive ? `1 + 2 + … + ${n}` : `1 + 2 + … + ${last}`} = ${last}·${last + 1}${slipped ? '' : '/2'}`;
    switch (rules.format) {
      case 'answer_line':
        return { content: `${working}\nAnswer: ${sum}` };
      case 'hashes':
        return { content: `${working}\n#### ${sum}` };
      case 'boxed':
        return { content: `${working} = \\boxed{${sum}}` };
      case 'prose':
        return {
          content: choose(context, [
            `Adding the numbers gives ${working} = ${sum}.`,
            `Summing them up: ${working}, which is ${sum}.`,
            `Working it out, ${working} comes to ${sum}.`,
          ]),
        };
    }
  },
};
