/**
 * Reads an LLM call recorded with the OpenTelemetry GenAI conventions, in any of their forms:
 *
 * 1. current: `gen_ai.input.messages` / `gen_ai.output.messages` (parts-based, JSON string or
 *    structured value) and `gen_ai.system_instructions`;
 * 2. flattened, as OpenLLMetry/Traceloop emit them: `gen_ai.prompt.<i>.*`, `gen_ai.completion.<i>.*`;
 * 3. deprecated span events: `gen_ai.{system,user,assistant,tool}.message`, `gen_ai.choice`, and the
 *    older `gen_ai.content.prompt` / `gen_ai.content.completion`;
 * 4. a whole-list `gen_ai.prompt` / `gen_ai.completion` attribute (OpenAI-format JSON).
 *
 * Inputs and outputs are each taken from the first of these forms that holds any message.
 */
import type { SpanRecord } from '../spans/index.ts';
import type { ChatContentPart, ChatMessage, ChatToolCall, ChatToolDefinition, JsonValue } from './chat-message.ts';
import type { LlmCallRecord } from './span-mapping.ts';
import {
  groupIndexed,
  isRecord,
  parseArray,
  parseRecord,
  parseStructured,
  readCount,
  readInteger,
  readParameter,
  readName,
  readString,
  readStringList,
  readText,
  type LooseRecord,
} from './attribute-values.ts';
import {
  field,
  flattenedContent,
  makeMediaPart,
  makeToolCall,
  makeToolMessage,
  openAiMessage,
  pushAssembled,
  toolDefinition,
  toolDefinitions,
} from './chat-message-builders.ts';
import {
  GEN_AI_ASSISTANT_MESSAGE_EVENT,
  GEN_AI_CHOICE_EVENT,
  GEN_AI_COMPLETION,
  GEN_AI_CONTENT_COMPLETION_EVENT,
  GEN_AI_CONTENT_PROMPT_EVENT,
  GEN_AI_EVENT_CONTENT,
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OPERATION_NAME,
  GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_PROMPT,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_CHOICE_COUNT,
  GEN_AI_REQUEST_FREQUENCY_PENALTY,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_PRESENCE_PENALTY,
  GEN_AI_REQUEST_SEED,
  GEN_AI_REQUEST_STOP_SEQUENCES,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_REQUEST_TOP_K,
  GEN_AI_REQUEST_TOP_P,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_SYSTEM,
  GEN_AI_SYSTEM_INSTRUCTIONS,
  GEN_AI_SYSTEM_MESSAGE_EVENT,
  GEN_AI_TOOL_DEFINITIONS,
  GEN_AI_TOOL_MESSAGE_EVENT,
  GEN_AI_USAGE_COMPLETION_TOKENS,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_USAGE_PROMPT_TOKENS,
  GEN_AI_USER_MESSAGE_EVENT,
  LLM_REQUEST_FUNCTIONS,
  LLM_REQUEST_TYPE,
  LLM_USAGE_TOTAL_TOKENS,
} from './semantic-conventions.ts';

/**
 * `gen_ai.operation.name` values that are a model inference. A span naming another operation
 * (`invoke_agent`, `execute_tool`, `embeddings`…) is not an LLM call, even when it carries messages:
 * an agent span repeats its model calls' messages, and counting it would count them twice.
 */
const INFERENCE_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'completion', 'responses']);
/** OpenLLMetry's `llm.request.type` values that are a model inference. */
const INFERENCE_REQUEST_TYPES = new Set(['chat', 'completion']);

const MESSAGE_EVENT_ROLES: Record<string, string> = {
  [GEN_AI_SYSTEM_MESSAGE_EVENT]: 'system',
  [GEN_AI_USER_MESSAGE_EVENT]: 'user',
  [GEN_AI_ASSISTANT_MESSAGE_EVENT]: 'assistant',
  [GEN_AI_TOOL_MESSAGE_EVENT]: 'tool',
};

/** Request parameters, by attribute: [attribute, OpenAI name, how to read it]. */
const REQUEST_PARAMETERS: ReadonlyArray<readonly [string, string, 'number' | 'integer' | 'strings']> = [
  [GEN_AI_REQUEST_TEMPERATURE, 'temperature', 'number'],
  [GEN_AI_REQUEST_TOP_P, 'top_p', 'number'],
  [GEN_AI_REQUEST_TOP_K, 'top_k', 'number'],
  [GEN_AI_REQUEST_MAX_TOKENS, 'max_tokens', 'integer'],
  [GEN_AI_REQUEST_FREQUENCY_PENALTY, 'frequency_penalty', 'number'],
  [GEN_AI_REQUEST_PRESENCE_PENALTY, 'presence_penalty', 'number'],
  [GEN_AI_REQUEST_STOP_SEQUENCES, 'stop', 'strings'],
  [GEN_AI_REQUEST_SEED, 'seed', 'integer'],
  [GEN_AI_REQUEST_CHOICE_COUNT, 'n', 'integer'],
];

/**
 * The LLM call a span records in the GenAI conventions, or `null` when the span is not a model
 * inference (another operation, or no message, model or token count at all).
 */
export function readGenAiCall(span: SpanRecord): LlmCallRecord | null {
  const attributes = span.attributes as LooseRecord;
  const operation = readString(attributes[GEN_AI_OPERATION_NAME]);
  if (operation !== null && !INFERENCE_OPERATIONS.has(operation)) return null;
  const requestType = readString(attributes[LLM_REQUEST_TYPE]);
  if (requestType !== null && !INFERENCE_REQUEST_TYPES.has(requestType)) return null;

  const choiceFinishReasons: string[] = [];
  const inputMessages = readInputMessages(span, attributes);
  const outputMessages = readOutputMessages(span, attributes, choiceFinishReasons);
  const requestModel = readString(attributes[GEN_AI_REQUEST_MODEL]);
  const responseModel = readString(attributes[GEN_AI_RESPONSE_MODEL]);
  const inputTokens = readCount(attributes[GEN_AI_USAGE_INPUT_TOKENS] ?? attributes[GEN_AI_USAGE_PROMPT_TOKENS]);
  const outputTokens = readCount(attributes[GEN_AI_USAGE_OUTPUT_TOKENS] ?? attributes[GEN_AI_USAGE_COMPLETION_TOKENS]);
  if (
    operation === null &&
    inputMessages.length === 0 &&
    outputMessages.length === 0 &&
    requestModel === null &&
    responseModel === null &&
    inputTokens === null &&
    outputTokens === null
  ) {
    return null;
  }
  const givenTotal = readCount(attributes[LLM_USAGE_TOTAL_TOKENS]);
  const finishReasons = readStringList(attributes[GEN_AI_RESPONSE_FINISH_REASONS]);
  return {
    convention: 'gen_ai',
    model: responseModel ?? requestModel,
    requestModel,
    responseModel,
    provider: readString(attributes[GEN_AI_PROVIDER_NAME]) ?? readString(attributes[GEN_AI_SYSTEM]),
    responseId: readString(attributes[GEN_AI_RESPONSE_ID]),
    inputMessages,
    outputMessages,
    inputTokens,
    outputTokens,
    totalTokens: givenTotal ?? (inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null),
    finishReasons: finishReasons.length > 0 ? finishReasons : choiceFinishReasons,
    requestParameters: readRequestParameters(attributes),
    tools: readTools(attributes),
  };
}

function readRequestParameters(attributes: LooseRecord): Record<string, JsonValue> {
  const parameters: Record<string, JsonValue> = {};
  for (const [attribute, name, kind] of REQUEST_PARAMETERS) {
    const raw = attributes[attribute];
    if (raw === undefined || raw === null) continue;
    const value = readParameter(raw, kind);
    if (value !== null) parameters[name] = value;
  }
  return parameters;
}

function readTools(attributes: LooseRecord): ChatToolDefinition[] {
  const definitions = attributes[GEN_AI_TOOL_DEFINITIONS];
  if (definitions !== undefined) {
    const tools = toolDefinitions(definitions);
    if (tools.length > 0) return tools;
  }
  const tools: ChatToolDefinition[] = [];
  for (const group of groupIndexed(attributes, `${LLM_REQUEST_FUNCTIONS}.`)) {
    const tool = toolDefinition(group);
    if (tool !== null) tools.push(tool);
  }
  return tools;
}

// ── inputs ──────────────────────────────────────────────────────────────────────────────────────

function readInputMessages(span: SpanRecord, attributes: LooseRecord): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const instructions = attributes[GEN_AI_SYSTEM_INSTRUCTIONS];
  if (instructions !== undefined && instructions !== null) {
    const system = systemInstructionsMessage(instructions);
    if (system !== null) messages.push(system);
  }
  const before = messages.length;

  const current = attributes[GEN_AI_INPUT_MESSAGES];
  if (current !== undefined) {
    for (const raw of parseArray(current) ?? []) pushPartsMessage(messages, raw, 'user');
    if (messages.length > before) return messages;
  }
  for (const group of groupIndexed(attributes, `${GEN_AI_PROMPT}.`)) {
    pushFlattenedMessage(messages, group, 'user');
  }
  if (messages.length > before) return messages;
  if (span.events.length > 0) {
    pushEventInputs(messages, span);
    if (messages.length > before) return messages;
  }
  const whole = attributes[GEN_AI_PROMPT];
  if (whole !== undefined) pushOpenAiList(messages, whole, 'user');
  return messages;
}

function systemInstructionsMessage(raw: unknown): ChatMessage | null {
  const parsed = typeof raw === 'string' ? (parseStructured(raw) ?? raw) : raw;
  if (typeof parsed === 'string') return parsed === '' ? null : { role: 'system', content: parsed };
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const scratch: ChatMessage[] = [];
  pushPartsMessage(scratch, { role: 'system', parts: list }, 'system');
  return scratch[0] ?? null;
}

function pushEventInputs(messages: ChatMessage[], span: SpanRecord): void {
  for (const event of span.events) {
    const role = MESSAGE_EVENT_ROLES[event.name];
    if (role !== undefined) {
      const body = eventBody(event.attributes as LooseRecord);
      const message = openAiMessage(body, role);
      if (message !== null) messages.push(message);
    } else if (event.name === GEN_AI_CONTENT_PROMPT_EVENT) {
      pushOpenAiList(messages, (event.attributes as LooseRecord)[GEN_AI_PROMPT], 'user');
    }
  }
}

/** The body of a deprecated GenAI event: its `gen_ai.event.content` JSON, else its attributes. */
function eventBody(attributes: LooseRecord): LooseRecord {
  const content = attributes[GEN_AI_EVENT_CONTENT];
  if (content !== undefined) {
    const parsed = parseRecord(content);
    if (parsed !== null) return parsed;
  }
  return attributes;
}

function pushOpenAiList(messages: ChatMessage[], raw: unknown, defaultRole: string): void {
  const list = parseArray(raw);
  if (list === null) {
    if (typeof raw === 'string' && raw !== '') messages.push({ role: defaultRole, content: raw });
    return;
  }
  for (const item of list) {
    // A completion list may hold choices (`{message, finish_reason}`) rather than messages.
    const message = openAiMessage(isRecord(item) && isRecord(item.message) ? item.message : item, defaultRole);
    if (message !== null) messages.push(message);
  }
}

// ── outputs ─────────────────────────────────────────────────────────────────────────────────────

function readOutputMessages(span: SpanRecord, attributes: LooseRecord, finishReasons: string[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const current = attributes[GEN_AI_OUTPUT_MESSAGES];
  if (current !== undefined) {
    for (const raw of parseArray(current) ?? []) {
      pushPartsMessage(messages, raw, 'assistant');
      if (isRecord(raw)) {
        const reason = readString(raw.finish_reason);
        if (reason !== null) finishReasons.push(reason);
      }
    }
    if (messages.length > 0) return messages;
    finishReasons.length = 0;
  }
  for (const group of groupIndexed(attributes, `${GEN_AI_COMPLETION}.`)) {
    pushFlattenedMessage(messages, group, 'assistant');
    const reason = readString(group.finish_reason);
    if (reason !== null) finishReasons.push(reason);
  }
  if (messages.length > 0) return messages;
  finishReasons.length = 0;
  if (span.events.length > 0) {
    pushEventOutputs(messages, span, finishReasons);
    if (messages.length > 0) return messages;
    finishReasons.length = 0;
  }
  const whole = attributes[GEN_AI_COMPLETION];
  if (whole !== undefined) {
    pushOpenAiList(messages, whole, 'assistant');
    for (const item of parseArray(whole) ?? []) {
      const reason = isRecord(item) ? readString(item.finish_reason) : null;
      if (reason !== null) finishReasons.push(reason);
    }
  }
  return messages;
}

function pushEventOutputs(messages: ChatMessage[], span: SpanRecord, finishReasons: string[]): void {
  const choices: Array<{ index: number; message: ChatMessage; reason: string | null }> = [];
  for (const event of span.events) {
    if (event.name === GEN_AI_CHOICE_EVENT) {
      const body = eventBody(event.attributes as LooseRecord);
      const rawMessage = parseRecord(body.message) ?? {
        role: body.role,
        content: body.content,
        tool_calls: body.tool_calls,
      };
      const message = openAiMessage(rawMessage, 'assistant');
      if (message === null) continue;
      choices.push({
        index: readInteger(body.index) ?? choices.length,
        message,
        reason: readString(body.finish_reason),
      });
    } else if (event.name === GEN_AI_CONTENT_COMPLETION_EVENT) {
      const whole = (event.attributes as LooseRecord)[GEN_AI_COMPLETION];
      pushOpenAiList(messages, whole, 'assistant');
      for (const item of parseArray(whole) ?? []) {
        const reason = isRecord(item) ? readString(item.finish_reason) : null;
        if (reason !== null) finishReasons.push(reason);
      }
    }
  }
  choices.sort((left, right) => left.index - right.index);
  for (const choice of choices) {
    messages.push(choice.message);
    if (choice.reason !== null) finishReasons.push(choice.reason);
  }
}

// ── message forms ───────────────────────────────────────────────────────────────────────────────

/**
 * One parts-based message (`{role, parts: [...], name?}`). A message without `parts` is read as
 * OpenAI format, which some instrumentations put in these attributes.
 */
function pushPartsMessage(messages: ChatMessage[], raw: unknown, defaultRole: string): void {
  if (!isRecord(raw) || !Array.isArray(raw.parts)) {
    const message = openAiMessage(raw, defaultRole);
    if (message !== null) messages.push(message);
    return;
  }
  const role = readName(raw.role) ?? defaultRole;
  const parts: ChatContentPart[] = [];
  const toolCalls: ChatToolCall[] = [];
  const toolResults: ChatMessage[] = [];
  let reasoning = '';
  for (const part of raw.parts) {
    if (typeof part === 'string') {
      parts.push({ type: 'text', text: part });
      continue;
    }
    if (!isRecord(part)) continue;
    switch (part.type) {
      case 'text': {
        const text = readText(part.content) ?? readText(part.text);
        if (text !== null) parts.push({ type: 'text', text });
        break;
      }
      case 'reasoning':
      case 'thinking': {
        const text = readText(part.content) ?? readText(part.text);
        if (text !== null) reasoning += text;
        break;
      }
      case 'tool_call':
        toolCalls.push(makeToolCall(part.id, part.name, part.arguments));
        break;
      case 'tool_call_response':
        toolResults.push(makeToolMessage(part.id, part.response ?? part.result ?? part.content));
        break;
      case 'blob':
      case 'uri':
      case 'file':
      case 'file_data': {
        const media = makeMediaPart({
          modality: field(part, 'modality'),
          mimeType: field(part, 'mime_type', 'mimeType'),
          data: part.type === 'blob' ? part.content : undefined,
          uri: field(part, 'uri'),
          fileId: field(part, 'file_id'),
          filename: field(part, 'filename', 'name'),
        });
        if (media !== null) parts.push(media);
        break;
      }
      default:
        // Built-in (server-side) tool calls and custom parts have no OpenAI chat equivalent.
        break;
    }
  }
  pushAssembled(messages, {
    role,
    parts,
    toolCalls,
    toolResults,
    reasoning,
    name: readString(raw.name),
    toolCallId: readString(raw.tool_call_id) ?? readString(raw.id),
  });
}

/**
 * One flattened message group: `role`, `content`, `name`, `tool_call_id`,
 * `tool_calls.<j>.id|name|arguments` (or `.function.name|arguments`), legacy `function_call.*`.
 */
function pushFlattenedMessage(messages: ChatMessage[], group: LooseRecord, defaultRole: string): void {
  const role = readName(group.role) ?? defaultRole;
  const message: ChatMessage = { role, content: flattenedContent(group.content) };
  const name = readString(group.name);
  if (name !== null) message.name = name;
  const toolCalls: ChatToolCall[] = [];
  for (const call of groupIndexed(group, 'tool_calls.')) {
    toolCalls.push(
      makeToolCall(call.id, call.name ?? call['function.name'], call.arguments ?? call['function.arguments']),
    );
  }
  if (group['function_call.name'] !== undefined) {
    toolCalls.push(makeToolCall(group['function_call.id'], group['function_call.name'], group['function_call.arguments']));
  }
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const toolCallId = readString(group.tool_call_id);
  if (toolCallId !== null || role === 'tool') message.tool_call_id = toolCallId ?? '';
  // A group with neither content nor calls (a role or a finish reason only: content capture off) carries no message.
  if ((group.content === undefined || group.content === null) && toolCalls.length === 0) return;
  messages.push(message);
}
