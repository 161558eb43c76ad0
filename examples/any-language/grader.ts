/**
 * The grader of the any-language room selectors (`agl train --command … --grader grader.ts`): the
 * tutorial's exact match on the final answer the model gave in the rollout, as the gateway recorded
 * it — a reward computed from the traces, whatever the agent printed.
 */
import { exactMatchGrade } from '../room-selector/grader.ts';

export default function grade({ task, finalAnswer }: { task: { expected_choice: string }; finalAnswer: string | null }): number {
  return exactMatchGrade(finalAnswer, task.expected_choice);
}
