/**
 * Reads an LLM call recorded with the OpenInference conventions (Arize Phoenix's instrumentations):
 * flattened `llm.input_messages.<i>.message.*` / `llm.output_messages.<i>.message.*`,
 * `llm.model_name`, `llm.token_count.*`, `llm.invocation_parameters`, `llm.tools.<i>.tool.json_schema`.
 */
import type { SpanRecord } from '../spans/index.ts';
import type { ChatContentPart, ChatMessage, ChatToolCall, ChatToolDefinition, JsonValue } from './chat-message.ts';
import type { LlmCallRecord } from './span-mapping.ts';
import {
  groupIndexed,
  isRecord,
  parseRecord,
  readCount,
  readName,
  readStringList,
  readString,
  readText,
  readTotalTokens,
  toJsonValue,
  type LooseRecord,
} from './attribute-values.ts';
import { contentFromParts, flattenedContent, makeImagePart, makeToolCall, toolDefinition } from './chat-message-builders.ts';
import {
  LLM_FINISH_REASON,
  LLM_INPUT_MESSAGES,
  LLM_INVOCATION_PARAMETERS,
  LLM_MODEL_NAME,
  LLM_OUTPUT_MESSAGES,
  LLM_PROVIDER,
  LLM_SYSTEM,
  LLM_TOKEN_COUNT_COMPLETION,
  LLM_TOKEN_COUNT_PROMPT,
  LLM_TOKEN_COUNT_TOTAL,
  LLM_TOOLS,
  INPUT_VALUE,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_VALUE,
} from './semantic-conventions.ts';

/**
 * The LLM call a span records in the OpenInference conventions, or `null` when it is not an LLM
 * span (an `openinference.span.kind` other than `LLM`, or no message, model or token count).
 */
export function readOpenInferenceCall(span: SpanRecord): LlmCallRecord | null {
  const attributes = span.attributes as LooseRecord;
  const kind = readString(attributes[OPENINFERENCE_SPAN_KIND]);
  if (kind !== null && kind.toUpperCase() !== 'LLM') return null;

  const inputMessages: ChatMessage[] = [];
  for (const group of groupIndexed(attributes, `${LLM_INPUT_MESSAGES}.`)) pushMessage(inputMessages, group, 'user');
  const outputMessages: ChatMessage[] = [];
  for (const group of groupIndexed(attributes, `${LLM_OUTPUT_MESSAGES}.`)) pushMessage(outputMessages, group, 'assistant');
  // Some instrumentations (LangChain.js's) flatten no tool-call ids; the request and response they
  // record whole in `input.value` / `output.value` hold them.
  if (lacksToolCallIds(inputMessages)) recoverToolCallIds(inputMessages, requestMessages(attributes[INPUT_VALUE]));
  if (lacksToolCallIds(outputMessages)) recoverToolCallIds(outputMessages, responseMessages(attributes[OUTPUT_VALUE]));
  const model = readString(attributes[LLM_MODEL_NAME]);
  const inputTokens = readCount(attributes[LLM_TOKEN_COUNT_PROMPT]);
  const outputTokens = readCount(attributes[LLM_TOKEN_COUNT_COMPLETION]);
  if (
    kind === null &&
    inputMessages.length === 0 &&
    outputMessages.length === 0 &&
    model === null &&
    inputTokens === null &&
    outputTokens === null
  ) {
    return null;
  }
  return {
    convention: 'openinference',
    model,
    requestModel: model,
    responseModel: null,
    provider: readString(attributes[LLM_PROVIDER]) ?? readString(attributes[LLM_SYSTEM]),
    responseId: null,
    inputMessages,
    outputMessages,
    inputTokens,
    outputTokens,
    totalTokens: readTotalTokens(attributes[LLM_TOKEN_COUNT_TOTAL], inputTokens, outputTokens),
    finishReasons: readStringList(attributes[LLM_FINISH_REASON]),
    requestParameters: readInvocationParameters(attributes[LLM_INVOCATION_PARAMETERS]),
    tools: readTools(attributes),
  };
}

function readInvocationParameters(raw: unknown): Record<string, JsonValue> {
  const record = parseRecord(raw);
  if (record === null) return {};
  const parameters: Record<string, JsonValue> = {};
  for (const key of Object.keys(record)) {
    // The tools are recorded apart (`llm.tools`); the messages are the messages.
    if (key === 'tools' || key === 'messages' || key === 'functions') continue;
    parameters[key] = toJsonValue(record[key]);
  }
  return parameters;
}

function readTools(attributes: LooseRecord): ChatToolDefinition[] {
  const tools: ChatToolDefinition[] = [];
  for (const group of groupIndexed(attributes, `${LLM_TOOLS}.`)) {
    const tool = toolDefinition(group['tool.json_schema'] ?? group['tool.json'] ?? group);
    if (tool !== null) tools.push(tool);
  }
  return tools;
}

/** One `message.*` group. */
function pushMessage(messages: ChatMessage[], group: LooseRecord, defaultRole: string): void {
  const role = readName(group['message.role']) ?? defaultRole;
  let content: ChatMessage['content'] = null;
  const contents = groupIndexed(group, 'message.contents.');
  if (contents.length > 0) {
    const parts: ChatContentPart[] = [];
    for (const item of contents) {
      const part = contentPart(item);
      if (part !== null) parts.push(part);
    }
    content = contentFromParts(parts);
  } else if (group['message.content'] !== undefined) {
    content = flattenedContent(group['message.content']);
  }
  const toolCalls: ChatToolCall[] = [];
  for (const call of groupIndexed(group, 'message.tool_calls.')) {
    toolCalls.push(
      makeToolCall(call['tool_call.id'], call['tool_call.function.name'], call['tool_call.function.arguments']),
    );
  }
  const functionName = group['message.function_call_name'];
  if (functionName !== undefined) {
    toolCalls.push(makeToolCall(null, functionName, group['message.function_call_arguments_json']));
  }
  if (content === null && toolCalls.length === 0 && group['message.content'] === undefined) {
    if (readName(group['message.role']) === null) return;
  }
  // OpenAI's format has `null` content for a turn that only calls tools; LangChain's instrumentation records `''`.
  if (content === '' && toolCalls.length > 0) content = null;
  const message: ChatMessage = { role, content };
  const name = readString(group['message.name']);
  if (name !== null) message.name = name;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const toolCallId = readString(group['message.tool_call_id']);
  if (toolCallId !== null || role === 'tool') message.tool_call_id = toolCallId ?? '';
  messages.push(message);
}

/** One `message_content.*` group: `type` `text` (`text`) or `image` (`image.image.url`). */
function contentPart(item: LooseRecord): ChatContentPart | null {
  const type = readString(item['message_content.type']);
  const text = readText(item['message_content.text']);
  const imageUrl = item['message_content.image.image.url'] ?? imageUrlOf(item['message_content.image']);
  if ((type === 'image' || type === null) && imageUrl !== undefined && imageUrl !== null) {
    return makeImagePart(imageUrl, null);
  }
  if (text !== null) return { type: 'text', text };
  return null;
}

function imageUrlOf(image: unknown): unknown {
  if (!isRecord(image)) return undefined;
  if (isRecord(image.image)) return image.image.url;
  return image['image.url'] ?? image.url;
}

/** Whether a tool call or a tool message among `messages` has an empty id. */
function lacksToolCallIds(messages: readonly ChatMessage[]): boolean {
  for (const message of messages) {
    if (message.role === 'tool' && message.tool_call_id === '') return true;
    if (message.tool_calls?.some((call) => call.id === '')) return true;
  }
  return false;
}

/** The ids a message of `input.value` / `output.value` holds. */
interface MessageIds {
  toolCalls: { id: string | null; name: string | null }[];
  toolCallId: string | null;
}

/**
 * The ids of one recorded message: OpenAI's format (`tool_calls[].id`, `tool_call_id`) or
 * LangChain's serialised message (`{lc: 1, kwargs: {tool_calls: [{id, name}], tool_call_id}}`, with
 * OpenAI's calls also under `kwargs.additional_kwargs.tool_calls`).
 */
function messageIds(raw: unknown): MessageIds | null {
  if (!isRecord(raw)) return null;
  const fields = isRecord(raw.kwargs) && raw.lc !== undefined ? raw.kwargs : raw;
  let calls = Array.isArray(fields.tool_calls) ? fields.tool_calls : [];
  if (calls.length === 0 && isRecord(fields.additional_kwargs) && Array.isArray(fields.additional_kwargs.tool_calls)) {
    calls = fields.additional_kwargs.tool_calls;
  }
  const toolCalls = calls.filter(isRecord).map((call) => ({
    id: readString(call.id),
    name: readString(call.name) ?? (isRecord(call.function) ? readString(call.function.name) : null),
  }));
  return { toolCalls, toolCallId: readString(fields.tool_call_id) };
}

function idsOf(list: unknown): MessageIds[] {
  if (!Array.isArray(list)) return [];
  const ids: MessageIds[] = [];
  for (const item of list) {
    const found = messageIds(item);
    if (found !== null) ids.push(found);
  }
  return ids;
}

/** The messages of a recorded request: OpenAI's `{messages: [...]}`, or LangChain's `{messages: [[...]]}` (the first prompt of the batch). */
function requestMessages(raw: unknown): MessageIds[] {
  const request = parseRecord(raw);
  if (request === null || !Array.isArray(request.messages)) return [];
  const messages = request.messages;
  return idsOf(Array.isArray(messages[0]) ? messages[0] : messages);
}

/** The messages of a recorded response: OpenAI's `choices[].message`, or LangChain's `generations[0][].message`. */
function responseMessages(raw: unknown): MessageIds[] {
  const response = parseRecord(raw);
  if (response === null) return [];
  if (Array.isArray(response.choices)) return idsOf(response.choices.map((choice) => (isRecord(choice) ? choice.message : null)));
  if (Array.isArray(response.generations) && Array.isArray(response.generations[0])) {
    return idsOf(response.generations[0].map((generation) => (isRecord(generation) ? generation.message : null)));
  }
  return [];
}

/**
 * Fills the empty tool-call ids of `messages` from `recorded`, matching the tool calls in order
 * (and by name when both have one), and the tool messages' `tool_call_id` in order, each only when
 * both sides count the same number: ids are never guessed.
 */
function recoverToolCallIds(messages: ChatMessage[], recorded: readonly MessageIds[]): void {
  if (recorded.length === 0) return;
  const calls = messages.flatMap((message) => message.tool_calls ?? []);
  const recordedCalls = recorded.flatMap((message) => message.toolCalls);
  if (calls.length === recordedCalls.length) {
    calls.forEach((call, index) => {
      const source = recordedCalls[index]!;
      if (call.id !== '' || source.id === null) return;
      if (source.name !== null && call.function.name !== '' && source.name !== call.function.name) return;
      call.id = source.id;
    });
  }
  const toolMessages = messages.filter((message) => message.role === 'tool');
  const recordedResults = recorded.filter((message) => message.toolCallId !== null);
  if (toolMessages.length === recordedResults.length) {
    toolMessages.forEach((message, index) => {
      if (message.tool_call_id === '') message.tool_call_id = recordedResults[index]!.toolCallId!;
    });
  }
}
