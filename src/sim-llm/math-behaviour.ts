import { choose, lastUserText, promptText } from './behaviour.ts';
import type { Behaviour } from './behaviour.ts';
import { detectMathRules, parseSumQuestion } from './math-rules.ts';

/**
 * The math agent: "Calculate the sum from 1 to N". Unless the prompt says the range includes both
 * ends (or gives n(n+1)/2), it makes the classic off-by-one and sums 1..N-1; it answers in the
 * format the prompt asks for (`Answer: <n>`, `#### <n>`, `\boxed{n}`), else in a sentence.
 */
export const mathBehaviour: Behaviour = {
  name: 'math',
  respond(context) {
    const n = parseSumQuestion(lastUserText(context.request.messages));
    if (n === undefined) return undefined;
    const rules = detectMathRules(promptText(context.request.messages));
    const last = rules.inclusive ? n : n - 1;
    const sum = (last * (last + 1)) / 2;
    const working = rules.inclusive ? `1 + 2 + … + ${n} = ${n}·${n + 1}/2` : `1 + 2 + … + ${last}`;
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
