import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import { rollout } from '../../src/index.ts';
import type { JsonFileMemory } from './agent-memory.ts';
import type { AgentConfig } from './config.ts';
import type { MathTask } from './math-dataset.ts';
import { mathReward } from './math-reward.ts';

/**
 * The starting prompt template (the user message; `{question}` is the task). It asks for the
 * answer format but says nothing about the range including N — the simulated model makes its
 * off-by-one most of the time until APO adds that rule.
 */
export const BASELINE_PROMPT = 'Solve this math problem: {question}\nEnd with a line of the form "Answer: <number>".';

/** The system message (fixed; only the template is optimised). */
export const SYSTEM_PROMPT = 'You are a careful math assistant.';

/** Options of {@link createMathAgent}. */
export interface MathAgentOptions {
  config: AgentConfig;
  /** Where solved problems are remembered. @default none */
  memory?: JsonFileMemory | null;
}

/**
 * The math agent, written with the Vercel AI SDK as any AI SDK user would, telemetry on. The SDK
 * makes its own spans (`ai.generateText` and the provider call `ai.generateText.doGenerate`, with
 * `ai.prompt.messages`, `ai.response.text`, `ai.usage.*`) through the global OpenTelemetry API; the
 * rollout's span processor stamps them with the rollout's ids and the collector maps them into
 * `llm_calls` (convention `vercel_ai`). Nothing here knows about Agent Lightning but the wrapper:
 * the template comes in as a resource, the reward goes out as the return value.
 */
export function createMathAgent(options: MathAgentOptions) {
  const { config, memory } = options;
  const provider = createOpenAI({ baseURL: config.baseURL, apiKey: config.apiKey });
  return rollout(
    async (task: MathTask, resources) => {
      const { text } = await generateText({
        model: provider.chat(config.model),
        system: SYSTEM_PROMPT,
        prompt: resources.prompt.format({ question: task.question }),
        temperature: config.temperature,
        maxRetries: 2,
        experimental_telemetry: { isEnabled: true, functionId: 'math-agent', metadata: { task_id: task.id } },
      });
      const reward = mathReward(text, task.answer);
      await memory?.remember({ question: task.question, answer: text, reward, resourcesId: resources.resourcesId, solvedAt: new Date().toISOString() });
      return reward;
    },
    { name: 'math-agent' },
  );
}
