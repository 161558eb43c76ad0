/**
 * OpenAI Chat Completions messages → the OpenTelemetry GenAI message schema
 * (`gen_ai.input.messages` / `gen_ai.output.messages`: `{role, parts: [...]}`, parts `text`,
 * `tool_call`, `tool_call_response`, `uri`; output messages with a `finish_reason`).
 */

/** One message part in the GenAI schema. */
export type GenAiPart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string | null; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string | null; response: unknown }
  | { type: 'uri'; modality: string; uri: string }
  | { type: string; [field: string]: unknown };

/** An input message in the GenAI schema. */
export interface GenAiInputMessage {
  role: string;
  parts: GenAiPart[];
  name?: string;
}

/** An output message (one choice) in the GenAI schema. */
export interface GenAiOutputMessage extends GenAiInputMessage {
  finish_reason: string;
}

/** A tool call as OpenAI writes it in a message. */
export interface OpenAiToolCall {
  id?: string | null;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** One choice as the gateway saw it (from a whole answer or assembled from stream chunks). */
export interface AssembledChoice {
  index: number;
  role: string;
  content: string | null;
  reasoning: string | null;
  toolCalls: OpenAiToolCall[];
  finishReason: string | null;
  /** vLLM's `token_ids` of the choice, when returned. */
  tokenIds: number[] | null;
}

/** OpenAI's `finish_reason` in the GenAI `FinishReason` vocabulary (`tool_calls` → `tool_call`). */
export function genAiFinishReason(reason: string | null): string {
  if (reason === null) return 'error';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_call';
  return reason;
}

/** A chat request's `messages` in the GenAI input schema; anything not a message object is skipped. */
export function toGenAiInputMessages(messages: unknown): GenAiInputMessage[] {
  if (!Array.isArray(messages)) return [];
  const result: GenAiInputMessage[] = [];
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const role = typeof message.role === 'string' ? message.role : 'user';
    const parts: GenAiPart[] = [];
    if (role === 'tool') {
      parts.push({ type: 'tool_call_response', id: stringOrNull(message.tool_call_id), response: contentText(message.content) });
    } else {
      pushContentParts(parts, message.content);
      if (Array.isArray(message.tool_calls)) for (const call of message.tool_calls) pushToolCall(parts, call);
      if (isRecord(message.function_call)) pushToolCall(parts, { id: null, function: message.function_call });
    }
    const converted: GenAiInputMessage = { role, parts };
    if (typeof message.name === 'string') converted.name = message.name;
    result.push(converted);
  }
  return result;
}

/** A legacy completions `prompt` (a string or a list of strings) as one user message per prompt. */
export function promptToGenAiInputMessages(prompt: unknown): GenAiInputMessage[] {
  const prompts = Array.isArray(prompt) ? prompt : [prompt];
  return prompts
    .filter((item): item is string => typeof item === 'string')
    .map((text) => ({ role: 'user', parts: [{ type: 'text', content: text }] }));
}

/** Choices in the GenAI output schema. */
export function toGenAiOutputMessages(choices: readonly AssembledChoice[]): GenAiOutputMessage[] {
  return choices.map((choice) => {
    const parts: GenAiPart[] = [];
    if (choice.reasoning) parts.push({ type: 'reasoning', content: choice.reasoning });
    if (choice.content !== null && choice.content !== '') parts.push({ type: 'text', content: choice.content });
    for (const call of choice.toolCalls) pushToolCall(parts, call);
    return { role: choice.role, parts, finish_reason: genAiFinishReason(choice.finishReason) };
  });
}

/** The choices of a whole (not streamed) chat or text completion answer. */
export function choicesOfAnswer(answer: Record<string, unknown>): AssembledChoice[] {
  if (!Array.isArray(answer.choices)) return [];
  const choices: AssembledChoice[] = [];
  for (const [position, raw] of answer.choices.entries()) {
    if (!isRecord(raw)) continue;
    const message = isRecord(raw.message) ? raw.message : null;
    const content = message ? contentText(message.content) : typeof raw.text === 'string' ? raw.text : null;
    const reasoning = message ? (stringOrNull(message.reasoning_content) ?? stringOrNull(message.reasoning)) : null;
    choices.push({
      index: typeof raw.index === 'number' ? raw.index : position,
      role: message && typeof message.role === 'string' ? message.role : 'assistant',
      content,
      reasoning,
      toolCalls: message && Array.isArray(message.tool_calls) ? (message.tool_calls.filter(isRecord) as OpenAiToolCall[]) : [],
      finishReason: stringOrNull(raw.finish_reason),
      tokenIds: tokenIdList(raw.token_ids),
    });
  }
  return choices;
}

/** A list of token ids, or `null` when `value` is not one. */
export function tokenIdList(value: unknown): number[] | null {
  if (!Array.isArray(value)) return null;
  for (const item of value) if (!Number.isInteger(item)) return null;
  return value as number[];
}

function pushContentParts(parts: GenAiPart[], content: unknown): void {
  if (typeof content === 'string') {
    parts.push({ type: 'text', content });
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (!isRecord(part)) continue;
    if ((part.type === 'text' || part.type === 'input_text') && typeof part.text === 'string') {
      parts.push({ type: 'text', content: part.text });
    } else if (part.type === 'image_url' && isRecord(part.image_url) && typeof part.image_url.url === 'string') {
      parts.push({ type: 'uri', modality: 'image', uri: part.image_url.url });
    } else if (part.type === 'refusal' && typeof part.refusal === 'string') {
      parts.push({ type: 'text', content: part.refusal });
    } else if (typeof part.type === 'string') {
      // Audio, files and other parts kept as they came (a GenAI "generic part").
      parts.push({ ...part, type: part.type });
    }
  }
}

function pushToolCall(parts: GenAiPart[], call: unknown): void {
  if (!isRecord(call)) return;
  const fn = isRecord(call.function) ? call.function : {};
  const name = typeof fn.name === 'string' ? fn.name : '';
  parts.push({ type: 'tool_call', id: stringOrNull(call.id), name, arguments: parseArguments(fn.arguments) });
}

/** Tool-call arguments as the JSON value they encode (the schema's form), or the text when it is not JSON. */
function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The text of a message content: a string, or its text parts joined. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  let text = '';
  for (const part of content) if (isRecord(part) && typeof part.text === 'string') text += part.text;
  return text;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Whether `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
