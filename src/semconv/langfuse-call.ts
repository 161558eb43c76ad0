/**
 * Reads an LLM call recorded by Langfuse's OpenTelemetry SDK (`@langfuse/tracing`, and the
 * integrations built on it such as `@langfuse/openai`): no `gen_ai.*` at all; a generation is a span
 * with `langfuse.observation.type = generation` and JSON attributes `langfuse.observation.input`,
 * `.output`, `.model.name`, `.model.parameters`, `.usage_details`.
 */
import type { SpanRecord } from '../spans/index.ts';
import type { ChatMessage, JsonValue } from './chat-message.ts';
import type { LlmCallRecord } from './span-mapping.ts';
import { isRecord, parseRecord, parseStructured, readCount, readString, toJsonValue, type LooseRecord } from './attribute-values.ts';
import { openAiMessage, toolDefinitions } from './chat-message-builders.ts';
import {
  LANGFUSE_GENERATION,
  LANGFUSE_OBSERVATION_INPUT,
  LANGFUSE_OBSERVATION_MODEL_NAME,
  LANGFUSE_OBSERVATION_MODEL_PARAMETERS,
  LANGFUSE_OBSERVATION_OUTPUT,
  LANGFUSE_OBSERVATION_TYPE,
  LANGFUSE_OBSERVATION_USAGE_DETAILS,
} from './semantic-conventions.ts';

/** The LLM call a Langfuse generation records, or `null` for any other observation (or no observation). */
export function readLangfuseCall(span: SpanRecord): LlmCallRecord | null {
  const attributes = span.attributes as LooseRecord;
  if (readString(attributes[LANGFUSE_OBSERVATION_TYPE]) !== LANGFUSE_GENERATION) return null;
  const input = parseStructured(attributes[LANGFUSE_OBSERVATION_INPUT]);
  const request = isRecord(input) && !isMessage(input) ? input : null;
  const inputMessages = messagesOf(request !== null ? (request.messages ?? request.input ?? request.prompt) : input, 'user');
  const outputMessages = messagesOf(parseStructured(attributes[LANGFUSE_OBSERVATION_OUTPUT]), 'assistant');
  const usage = parseRecord(attributes[LANGFUSE_OBSERVATION_USAGE_DETAILS]);
  const inputTokens = usage === null ? null : tokens(usage, 'input', 'prompt_tokens');
  const outputTokens = usage === null ? null : tokens(usage, 'output', 'completion_tokens');
  const model = readString(attributes[LANGFUSE_OBSERVATION_MODEL_NAME]);
  return {
    convention: 'langfuse',
    model,
    requestModel: model,
    responseModel: null,
    provider: null,
    responseId: null,
    inputMessages,
    outputMessages,
    inputTokens,
    outputTokens,
    totalTokens: readCount(usage?.total ?? usage?.total_tokens) ?? (inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null),
    finishReasons: [],
    requestParameters: modelParameters(attributes[LANGFUSE_OBSERVATION_MODEL_PARAMETERS]),
    tools: request === null ? [] : toolDefinitions(request.tools ?? request.functions),
  };
}

/** Whether a record is one message rather than a request holding messages. */
function isMessage(record: LooseRecord): boolean {
  return typeof record.role === 'string' || ('content' in record && !('messages' in record));
}

/** Messages from a list of them, one message, or a plain string (a text message of `defaultRole`). */
function messagesOf(raw: unknown, defaultRole: string): ChatMessage[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const messages: ChatMessage[] = [];
  for (const item of list) {
    const message = openAiMessage(item, defaultRole);
    if (message !== null) messages.push(message);
  }
  return messages;
}

/**
 * A token count of the usage: `key` plus its `key_<detail>` breakdown (Langfuse's OpenAI integration
 * takes cached, audio and reasoning tokens out of `input` / `output` and records them apart), else
 * OpenAI's own name for it.
 */
function tokens(usage: LooseRecord, key: string, openAiKey: string): number | null {
  const base = readCount(usage[key]);
  if (base === null) return readCount(usage[openAiKey]);
  let count = base;
  const prefix = `${key}_`;
  for (const name of Object.keys(usage)) {
    if (name.startsWith(prefix)) count += readCount(usage[name]) ?? 0;
  }
  return count;
}

/** The model parameters as given, less empty values (`@langfuse/openai` records `response_format: ""`). */
function modelParameters(raw: unknown): Record<string, JsonValue> {
  const record = parseRecord(raw);
  if (record === null) return {};
  const parameters: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === '' || value === null || value === undefined) continue;
    parameters[key] = toJsonValue(value);
  }
  return parameters;
}
