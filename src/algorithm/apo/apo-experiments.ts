import type { AlgorithmData } from '../algorithm.ts';
import { readFinalRewards } from '../rollout-reward.ts';
import type { ScoredRollout } from './apo-candidate.ts';
import { sqlString } from './apo-data.ts';

/** One rollout as the critique request shows it. */
export interface ApoExperiment {
  rollout_id: string;
  status: string;
  final_reward: number | null;
  task_input: unknown;
  llm_calls: { input_messages: unknown; output_messages: unknown }[];
}

/** The hint for critiques written blind: what makes an agent's model calls visible. */
export const NO_LLM_CALLS_HINT =
  "The agent's model calls are not reaching the collector. An agent on the plain `openai` SDK records nothing by itself: " +
  "instrument the SDK in the agent module — `import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai'; " +
  'new OpenAIInstrumentation().manuallyInstrument(OpenAI);` — or wrap each call in a GenAI span (`gen_ai.*` attributes).';

/**
 * The experiments of a critique request, read with SQL: each rollout's LLM messages (its latest
 * attempt's), final reward and status, and its task as `taskInput` shows it.
 */
export async function readExperiments<TTask>(
  data: AlgorithmData,
  rollouts: readonly ScoredRollout<TTask>[],
  taskInput: (task: TTask) => unknown,
): Promise<ApoExperiment[]> {
  if (rollouts.length === 0) return [];
  const ids = rollouts.map((rollout) => sqlString(rollout.rolloutId)).join(', ');
  // The latest attempt's calls only: a retried rollout's earlier attempt is not what the reward scored.
  const calls = await data.query(
    `SELECT rollout_id, input_messages, output_messages FROM llm_calls WHERE rollout_id IN (${ids})
     QUALIFY attempt_id = arg_max(attempt_id, start_time) OVER (PARTITION BY rollout_id)
     ORDER BY rollout_id, sequence_id, start_time`,
  );
  const rewards = await readFinalRewards(data, rollouts.map((rollout) => rollout.rolloutId));
  return rollouts.map((rollout) => ({
    rollout_id: rollout.rolloutId,
    status: rollout.status,
    final_reward: rewards.get(rollout.rolloutId) ?? null,
    task_input: taskInput(rollout.task),
    llm_calls: calls
      .filter((call) => call.rollout_id === rollout.rolloutId)
      .map((call) => ({ input_messages: call.input_messages, output_messages: call.output_messages })),
  }));
}
