import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectMathRules } from '../../src/sim-llm/index.ts';
import { inclusiveProbability, mathPromptVagueness, mathSlipRate } from '../../src/sim-llm/math-rules.ts';
import { BASELINE_PROMPT } from '../../examples/math-agent/math-agent.ts';
import { mathReward } from '../../examples/math-agent/math-reward.ts';
import { MATH_PARAPHRASE_CHAINS } from './paraphrases.ts';

/**
 * The math agent's prompt effect is graded: the expected reward (the example's own reward, over
 * N = 10…200) rises with every correct rule along the paraphrase chains, and no single cue is a switch.
 */

/** The expected reward of a prompt at `temperature`: right range, off by one, or a slip (forgot to halve). */
function expectedReward(template: string, temperature = 0): number {
  const rules = detectMathRules(template);
  const inclusive = inclusiveProbability(rules);
  const slip = mathSlipRate(mathPromptVagueness(rules), temperature);
  let total = 0;
  let count = 0;
  for (let n = 10; n <= 200; n += 5) {
    const right = (n * (n + 1)) / 2;
    const offByOne = ((n - 1) * n) / 2;
    total += (1 - slip) * (inclusive * mathReward(String(right), right) + (1 - inclusive) * mathReward(String(offByOne), right)) + slip * mathReward(String((n - 1) * n), right) * (1 - inclusive) + slip * inclusive * mathReward(String(n * (n + 1)), right);
    count++;
  }
  return total / count;
}

describe('math agent: a graded prompt effect', () => {
  it('adding a correct rule never lowers the expected reward (paraphrase chains, temperature 0 and 1)', () => {
    for (const chain of MATH_PARAPHRASE_CHAINS) {
      for (const temperature of [0, 1]) {
        const rewards = chain.steps.map((step) => expectedReward(step, temperature));
        for (let index = 1; index < rewards.length; index++) {
          assert.ok(rewards[index] >= rewards[index - 1] - 1e-9, `${chain.name} T=${temperature} step ${index}: ${rewards[index - 1]} → ${rewards[index]}\n${chain.steps[index]}`);
        }
        assert.ok(rewards.at(-1)! > rewards[0] + 0.3, `${chain.name}: the rules help`);
      }
    }
  });

  it('is graded, not a switch: the example baseline is partly right, a hint helps, the rule helps more, nothing reaches 1', () => {
    const baseline = expectedReward(BASELINE_PROMPT);
    const hinted = expectedReward(`${BASELINE_PROMPT}\nWatch the bounds of the range.`);
    const ruled = expectedReward(`${BASELINE_PROMPT}\nThe range is inclusive: add every integer from 1 up to and including N.`);
    assert.ok(baseline > 0.3 && baseline < 0.75, `baseline ${baseline}`);
    assert.ok(hinted > baseline && ruled > hinted && ruled < 1, `${baseline} < ${hinted} < ${ruled} < 1`);
  });
});
