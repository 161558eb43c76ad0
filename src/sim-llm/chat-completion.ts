import type { ChatRequest, SimulatedReply, ToolCall } from './chat-types.ts';
import { shortHash } from './seeded-random.ts';
import { countPromptTokens, countTokens, promptTokenIds, textTokenIds } from './token-count.ts';

/** Marks every response as coming from the simulator. */
export const SYSTEM_FINGERPRINT = 'agl-sim-llm';

/** One choice, ready for the wire. */
export interface CompletedChoice {
  index: number;
  content: string | null;
  toolCalls: ToolCall[] | undefined;
  finishReason: 'stop' | 'tool_calls' | 'length';
  completionTokens: number;
}

/** The ids of a choice's tokens (its text, or its tool calls' names and arguments). */
function choiceTokenIds(choice: CompletedChoice): number[] {
  if (!choice.toolCalls) return textTokenIds(choice.content ?? '');
  return choice.toolCalls.flatMap((call) => [...textTokenIds(call.function.name), ...textTokenIds(call.function.arguments)]);
}

/** Turns a behaviour's reply into a choice: tool-call ids, `max_tokens` truncation, token count. */
export function completeChoice(request: ChatRequest, reply: SimulatedReply, index: number, requestKey: string): CompletedChoice {
  if (reply.toolCalls && reply.toolCalls.length > 0) {
    const toolCalls: ToolCall[] = reply.toolCalls.map((call, callIndex) => ({
      id: `call_${shortHash([requestKey, index, callIndex], 24)}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
    const tokens = toolCalls.reduce((sum, call) => sum + countTokens(call.function.name) + countTokens(call.function.arguments), 0);
    return { index, content: reply.content, toolCalls, finishReason: 'tool_calls', completionTokens: tokens };
  }
  let content = reply.content ?? '';
  let finishReason: CompletedChoice['finishReason'] = 'stop';
  if (request.maxTokens !== undefined && countTokens(content) > request.maxTokens) {
    content = truncateToTokens(content, request.maxTokens);
    finishReason = 'length';
  }
  return { index, content, toolCalls: undefined, finishReason, completionTokens: countTokens(content) };
}

function truncateToTokens(text: string, maxTokens: number): string {
  let tokens = 0;
  const pieces = text.split(/(\s+)/);
  let result = '';
  for (const piece of pieces) {
    const cost = /\S/.test(piece) ? Math.ceil(piece.length / 4) : 0;
    if (tokens + cost > maxTokens) {
      if (cost > 0 && tokens < maxTokens) result += piece.slice(0, (maxTokens - tokens) * 4);
      break;
    }
    tokens += cost;
    result += piece;
  }
  return result.trimEnd();
}

/** The `usage` object. */
export function usageOf(request: ChatRequest, choices: CompletedChoice[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = countPromptTokens(request);
  const completion = choices.reduce((sum, choice) => sum + choice.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The `chat.completion` object. */
export function completionBody(request: ChatRequest, id: string, created: number, choices: CompletedChoice[]): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created,
    model: request.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: choices.map((choice) => ({
      index: choice.index,
      message: {
        role: 'assistant',
        content: choice.content,
        refusal: null,
        ...(choice.toolCalls ? { tool_calls: choice.toolCalls } : {}),
      },
      logprobs: null,
      finish_reason: choice.finishReason,
      ...(request.returnTokenIds ? { token_ids: choiceTokenIds(choice) } : {}),
    })),
    usage: usageOf(request, choices),
    ...(request.returnTokenIds ? { prompt_token_ids: promptTokenIds(request) } : {}),
  };
}

/** The `chat.completion.chunk` objects of a streamed answer, in order. */
export function completionChunks(request: ChatRequest, id: string, created: number, choices: CompletedChoice[]): Record<string, unknown>[] {
  const chunk = (choicesPart: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: request.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: choicesPart,
    ...extra,
  });
  const chunks: Record<string, unknown>[] = [];
  for (const choice of choices) {
    chunks.push(chunk([{ index: choice.index, delta: { role: 'assistant', content: choice.toolCalls ? null : '' }, logprobs: null, finish_reason: null }]));
    if (choice.toolCalls) {
      choice.toolCalls.forEach((call, callIndex) => {
        chunks.push(
          chunk([{ index: choice.index, delta: { tool_calls: [{ index: callIndex, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, logprobs: null, finish_reason: null }]),
        );
        for (const piece of splitPieces(call.function.arguments, 16)) {
          chunks.push(chunk([{ index: choice.index, delta: { tool_calls: [{ index: callIndex, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }]));
        }
      });
    } else {
      for (const piece of (choice.content ?? '').split(/(?<=\s)/)) {
        if (piece) chunks.push(chunk([{ index: choice.index, delta: { content: piece }, logprobs: null, finish_reason: null }]));
      }
    }
    // As vLLM with `return_token_ids`: the prompt's ids on the first chunk, the choice's on its chunks (here its last).
    const tokenIds = request.returnTokenIds ? { token_ids: choiceTokenIds(choice) } : {};
    chunks.push(chunk([{ index: choice.index, delta: {}, logprobs: null, finish_reason: choice.finishReason, ...tokenIds }]));
  }
  if (request.returnTokenIds && chunks.length > 0) chunks[0] = { ...chunks[0], prompt_token_ids: promptTokenIds(request) };
  if (request.streamIncludeUsage) chunks.push(chunk([], { usage: usageOf(request, choices) }));
  return chunks;
}

function splitPieces(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += size) pieces.push(text.slice(index, index + size));
  return pieces;
}
