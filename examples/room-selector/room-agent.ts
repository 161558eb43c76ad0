import { SpanStatusCode, trace } from '@opentelemetry/api';
import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { rollout } from '../../src/index.ts';
import { exactMatchGrade, llmJudgeGrade } from './grader.ts';
import { getRoomsAndAvailability } from './room-data.ts';
import type { RoomTask } from './room-data.ts';

/** The tutorial's baseline prompt template (the user message). */
export const BASELINE_PROMPT =
  'Find a room on {date} at {time} for {duration_min} minutes, {attendees} attendees. Needs: {needs}. Accessible required: {accessible_required}';

/** The tutorial's tool. */
export const ROOM_TOOL: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_rooms_and_availability',
    description: 'Return meeting rooms with capacity, equipment, accessibility, distance, and booked time slots.',
    parameters: {
      type: 'object',
      properties: {
        date: { type: 'string', description: 'YYYY-MM-DD' },
        time: { type: 'string', description: 'HH:MM 24h local' },
        duration_min: { type: 'integer', description: 'Meeting duration minutes' },
      },
      required: ['date', 'time', 'duration_min'],
    },
  },
};

/** Options of {@link createRoomSelectorAgent}. */
export interface RoomSelectorAgentOptions {
  /** The OpenAI SDK client (any OpenAI-compatible server: OpenAI, vLLM, Ollama, the simulated model). */
  openai: OpenAI;
  /** The agent's model. @default 'gpt-4.1-nano' */
  model?: string;
  /** Grade with an LLM judge instead of exact match. @default false */
  judgeModel?: string | null;
  /**
   * Wrap each chat completion in our own GenAI span. Turn it off when an instrumentation of the
   * OpenAI SDK (e.g. OpenInference's) already records the calls, so that each is counted once.
   * @default true
   */
  traceCalls?: boolean;
}

const tracer = trace.getTracer('room-selector-example');

/**
 * One chat completion in a GenAI span (`gen_ai.*`, the OpenAI message list as JSON), so the
 * collector's `llm_calls` view has the call's messages — what APO's critique reads.
 */
async function tracedChat(openai: OpenAI, request: ChatCompletionCreateParamsNonStreaming): Promise<ChatCompletion> {
  return tracer.startActiveSpan(`chat ${request.model}`, async (span) => {
    span.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': request.model,
      'gen_ai.prompt': JSON.stringify(request.messages),
    });
    if (typeof request.temperature === 'number') span.setAttribute('gen_ai.request.temperature', request.temperature);
    try {
      const completion = await openai.chat.completions.create(request);
      const message = completion.choices[0]?.message;
      span.setAttributes({
        'gen_ai.response.model': completion.model,
        'gen_ai.completion': JSON.stringify(message ? [{ role: 'assistant', content: message.content, tool_calls: message.tool_calls }] : []),
        'gen_ai.usage.input_tokens': completion.usage?.prompt_tokens ?? 0,
        'gen_ai.usage.output_tokens': completion.usage?.completion_tokens ?? 0,
      });
      return completion;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Fills the template with a task (needs joined with ", ", "none" when empty). */
export function taskValues(task: RoomTask): Record<string, unknown> {
  const input = task.task_input;
  return { ...input, needs: input.needs.length > 0 ? input.needs.join(', ') : 'none' };
}

/**
 * The tutorial's agent: the prompt template filled with the task as the user message, a call
 * that asks for the availability tool, the tool's answer, a second call for the final answer;
 * graded against the expected room (the returned number is the rollout's reward).
 */
export function createRoomSelectorAgent(options: RoomSelectorAgentOptions) {
  const model = options.model ?? 'gpt-4.1-nano';
  const chat = (options.traceCalls ?? true)
    ? (request: ChatCompletionCreateParamsNonStreaming) => tracedChat(options.openai, request)
    : (request: ChatCompletionCreateParamsNonStreaming) => options.openai.chat.completions.create(request);
  return rollout(async (task: RoomTask, resources) => {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a scheduling assistant.' },
      { role: 'user', content: resources.prompt.format(taskValues(task)) },
    ];
    const first = await chat({ model, messages, tools: [ROOM_TOOL], tool_choice: 'auto', temperature: 0 });
    const message = first.choices[0]?.message;
    let answer = message?.content ?? null;
    const toolCalls = message?.tool_calls ?? [];
    if (toolCalls.length > 0) {
      messages.push({ role: 'assistant', content: message?.content ?? null, tool_calls: toolCalls });
      for (const call of toolCalls) {
        if (call.type !== 'function') continue;
        let result: unknown;
        try {
          const args = JSON.parse(call.function.arguments) as { date: string; time: string; duration_min: number };
          result = getRoomsAndAvailability(args.date, args.time, Number(args.duration_min));
        } catch (error) {
          result = { error: `bad arguments: ${(error as Error).message}` };
        }
        messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
      }
      const second = await chat({ model, messages, temperature: 0 });
      answer = second.choices[0]?.message?.content ?? null;
    }
    return options.judgeModel ? llmJudgeGrade(options.openai, options.judgeModel, answer, task.expected_choice) : exactMatchGrade(answer, task.expected_choice);
  }, { name: 'room-selector' });
}
