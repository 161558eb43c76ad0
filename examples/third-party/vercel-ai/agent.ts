import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { rollout } from '../../../src/index.ts';
import { exactMatchGrade } from '../../room-selector/grader.ts';
import { ROOM_TOOL, taskValues } from '../../room-selector/room-agent.ts';
import { getRoomsAndAvailability } from '../../room-selector/room-data.ts';
import type { RoomTask } from '../../room-selector/room-data.ts';
import type { ModelEndpoint, ThirdPartyAgentSpec } from '../train-third-party.ts';

/** The tutorial's tool as an AI SDK tool: its name, description and arguments are the room selector's. */
const roomTool = tool({
  description: ROOM_TOOL.function.description,
  inputSchema: z.object({
    date: z.string().describe('YYYY-MM-DD'),
    time: z.string().describe('HH:MM 24h local'),
    duration_min: z.number().int().describe('Meeting duration minutes'),
  }),
  execute: async ({ date, time, duration_min }) => getRoomsAndAvailability(date, time, duration_min),
});

/**
 * The APO tutorial's room selector on the Vercel AI SDK, telemetry on. One `generateText` call in
 * two steps: the model asks for the tool, the SDK runs it and sends the result back, the model
 * answers. The SDK makes its own spans (`ai.generateText`, one `ai.generateText.doGenerate` per
 * step with `ai.prompt.messages`, `ai.response.toolCalls` / `ai.response.text`, `ai.usage.*`, and
 * `ai.toolCall`) through the global OpenTelemetry API; the collector counts the `doGenerate` ones
 * as LLM calls (convention `vercel_ai`).
 */
export function createVercelAiRoomAgent(endpoint: ModelEndpoint) {
  const provider = createOpenAI({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey });
  return rollout(
    async (task: RoomTask, resources) => {
      const { text } = await generateText({
        model: provider.chat(endpoint.model),
        system: 'You are a scheduling assistant.',
        prompt: resources.prompt.format(taskValues(task)),
        tools: { [ROOM_TOOL.function.name]: roomTool },
        stopWhen: stepCountIs(2),
        temperature: 0,
        maxRetries: 2,
        experimental_telemetry: { isEnabled: true, functionId: 'room-selector', metadata: { task_id: task.id } },
      });
      return exactMatchGrade(text, task.expected_choice);
    },
    { name: 'room-selector-vercel-ai' },
  );
}

/** This example for the shared trainer and command line (the AI SDK finds the global tracer itself). */
export const VERCEL_AI_AGENT: ThirdPartyAgentSpec = { name: 'vercel-ai', createAgent: createVercelAiRoomAgent };
