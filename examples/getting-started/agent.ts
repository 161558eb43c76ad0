import { LegacyLitAgent } from '../../src/index.ts';
import type { AgentResources } from '../../src/index.ts';

/** A task of this example: a city and the greeting we expect the agent to produce for it. */
export interface GreetingTask {
  city: string;
  expected: string;
}

/**
 * The getting-started guide's agent, in the older shape: `trainingRollout(task, rolloutId, resources)`.
 * It is deterministic (no model call): it fills the prompt template it was given with the task and
 * is rewarded 1 when the result is the expected greeting, else 0 — so the reward depends on the
 * resources the server published.
 */
export class GreetingAgent extends LegacyLitAgent<GreetingTask> {
  override trainingRollout(task: GreetingTask, rolloutId: string, resources: AgentResources): number {
    const greeting = resources.prompt.format({ city: task.city });
    console.log(`[agent] ${rolloutId}: ${greeting}`);
    return greeting === task.expected ? 1 : 0;
  }
}

export default new GreetingAgent();
