/**
 * The messages of an LLM call recorded with the OpenTelemetry GenAI conventions (see
 * `gen-ai-call.ts` for the forms): inputs and outputs are each taken from the first form that holds
 * any message, outputs with the finish reasons of their choices.
 */
import type { Attributes } from '../spans/index.ts';
import type { ChatMessage, ChatToolCall } from './chat-message.ts';
import {
  groupIndexed,
  isRecord,
  parseArray,
  parseRecord,
  parseStructured,
  readInteger,
  readName,
  readString,
  readText,
  type LooseRecord,
} from './attribute-values.ts';
import {
  collectParts,
  field,
  flattenedContent,
  makeMediaPart,
  makeToolCall,
  makeToolMessage,
  openAiMessage,
  pushAssembled,
  type CollectedParts,
} from './chat-message-builders.ts';
import {
  GEN_AI_ASSISTANT_MESSAGE_EVENT,
  GEN_AI_CHOICE_EVENT,
  GEN_AI_COMPLETION,
  GEN_AI_CONTENT_COMPLETION_EVENT,
  GEN_AI_CONTENT_PROMPT_EVENT,
  GEN_AI_EVENT_CONTENT,
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_PROMPT,
  GEN_AI_SYSTEM_INSTRUCTIONS,
  GEN_AI_SYSTEM_MESSAGE_EVENT,
  GEN_AI_TOOL_MESSAGE_EVENT,
  GEN_AI_USER_MESSAGE_EVENT,
} from './semantic-conventions.ts';

/**
 * A GenAI event: a span event, or a log record seen as one (its event name, and its body map as the
 * attributes), so that both are read by the same code.
 */
export interface GenAiEvent {
  name: string;
  attributes: Attributes;
}

/** What holds a call's GenAI events: a span, or the log records of one span. */
export interface GenAiEventSource {
  readonly events: readonly GenAiEvent[];
}

const MESSAGE_EVENT_ROLES: Record<string, string> = {
  [GEN_AI_SYSTEM_MESSAGE_EVENT]: 'system',
  [GEN_AI_USER_MESSAGE_EVENT]: 'user',
  [GEN_AI_ASSISTANT_MESSAGE_EVENT]: 'assistant',
  [GEN_AI_TOOL_MESSAGE_EVENT]: 'tool',
};

// ── inputs ──────────────────────────────────────────────────────────────────────────────────────

export function readGenAiInputMessages(span: GenAiEventSource, attributes: LooseRecord): ChatMessage[] {
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

function pushEventInputs(messages: ChatMessage[], span: GenAiEventSource): void {
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

export function readGenAiOutputMessages(span: GenAiEventSource, attributes: LooseRecord, finishReasons: string[]): ChatMessage[] {
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
  if (whole !== undefined) pushCompletionList(messages, whole, finishReasons);
  return messages;
}

function pushEventOutputs(messages: ChatMessage[], span: GenAiEventSource, finishReasons: string[]): void {
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
      pushCompletionList(messages, (event.attributes as LooseRecord)[GEN_AI_COMPLETION], finishReasons);
    }
  }
  choices.sort((left, right) => left.index - right.index);
  for (const choice of choices) {
    messages.push(choice.message);
    if (choice.reason !== null) finishReasons.push(choice.reason);
  }
}

/** A whole-list completion (OpenAI-format JSON of messages or choices), with the choices' finish reasons. */
function pushCompletionList(messages: ChatMessage[], raw: unknown, finishReasons: string[]): void {
  pushOpenAiList(messages, raw, 'assistant');
  for (const item of parseArray(raw) ?? []) {
    const reason = isRecord(item) ? readString(item.finish_reason) : null;
    if (reason !== null) finishReasons.push(reason);
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
  pushAssembled(messages, {
    role,
    ...collectParts(raw.parts, readGenAiPart),
    name: readString(raw.name),
    toolCallId: readString(raw.tool_call_id) ?? readString(raw.id),
  });
}

/** Adds one GenAI part (`text`, `reasoning`, `tool_call`, `tool_call_response`, media) to `into`. */
function readGenAiPart(part: LooseRecord, into: CollectedParts): void {
  switch (part.type) {
    case 'text': {
      const text = readText(part.content) ?? readText(part.text);
      if (text !== null) into.parts.push({ type: 'text', text });
      break;
    }
    case 'reasoning':
    case 'thinking': {
      const text = readText(part.content) ?? readText(part.text);
      if (text !== null) into.reasoning += text;
      break;
    }
    case 'tool_call':
      into.toolCalls.push(makeToolCall(part.id, part.name, part.arguments));
      break;
    case 'tool_call_response':
      into.toolResults.push(makeToolMessage(part.id, part.response ?? part.result ?? part.content));
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
      if (media !== null) into.parts.push(media);
      break;
    }
    default:
      // Built-in (server-side) tool calls and custom parts have no OpenAI chat equivalent.
      break;
  }
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
