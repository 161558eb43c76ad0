import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import type { TracerProvider } from '@opentelemetry/api';
import { z } from 'zod';
import { rollout } from '../../../src/index.ts';
import { exactMatchGrade } from '../../room-selector/grader.ts';
import { ROOM_TOOL, taskValues } from '../../room-selector/room-agent.ts';
import { getRoomsAndAvailability } from '../../room-selector/room-data.ts';
import type { RoomTask } from '../../room-selector/room-data.ts';
import type { ModelEndpoint, ThirdPartyAgentSpec } from '../train-third-party.ts';

/**
 * Turns on OpenInference's LangChain.js instrumentation: a tracer added to every callback
 * manager, so each run (chat model, tool, chain) becomes a span; chat model runs are
 * `openinference.span.kind = LLM` with `llm.input_messages.*` / `llm.output_messages.*` (tool
 * calls included) and `llm.token_count.*`. LangChain has no module the `require` hook can patch,
 * so the callback manager module is instrumented by hand, as the instrumentation's README says.
 */
export function instrumentLangChain(provider: TracerProvider): LangChainInstrumentation {
  const instrumentation = new LangChainInstrumentation({ tracerProvider: provider });
  instrumentation.manuallyInstrument(CallbackManagerModule);
  return instrumentation;
}

/** The tutorial's tool as a LangChain tool: its name, description and arguments are the room selector's. */
const roomTool = tool(async ({ date, time, duration_min }) => JSON.stringify(getRoomsAndAvailability(date, time, duration_min)), {
  name: ROOM_TOOL.function.name,
  description: ROOM_TOOL.function.description,
  schema: z.object({
    date: z.string().describe('YYYY-MM-DD'),
    time: z.string().describe('HH:MM 24h local'),
    duration_min: z.number().int().describe('Meeting duration minutes'),
  }),
});

/**
 * The APO tutorial's room selector on LangChain.js: `ChatOpenAI` with the tool bound asks for
 * the rooms, the tool runs, the model (without tools) gives the final answer.
 */
export function createLangChainRoomAgent(endpoint: ModelEndpoint) {
  const model = new ChatOpenAI({ model: endpoint.model, temperature: 0, apiKey: endpoint.apiKey, configuration: { baseURL: endpoint.baseURL }, maxRetries: 2 });
  const withTools = model.bindTools([roomTool], { tool_choice: 'auto' });
  return rollout(
    async (task: RoomTask, resources) => {
      const messages: BaseMessage[] = [new SystemMessage('You are a scheduling assistant.'), new HumanMessage(resources.prompt.format(taskValues(task)))];
      const first = await withTools.invoke(messages);
      messages.push(first);
      let answer = first.text;
      if ((first.tool_calls ?? []).length > 0) {
        for (const call of first.tool_calls ?? []) {
          const result: ToolMessage = await roomTool.invoke(call);
          messages.push(result);
        }
        answer = (await model.invoke(messages)).text;
      }
      return exactMatchGrade(answer, task.expected_choice);
    },
    { name: 'room-selector-langchain' },
  );
}

/** This example for the shared trainer and command line. */
export const LANGCHAIN_AGENT: ThirdPartyAgentSpec = {
  name: 'langchain',
  instrument: (provider) => void instrumentLangChain(provider),
  createAgent: createLangChainRoomAgent,
};
