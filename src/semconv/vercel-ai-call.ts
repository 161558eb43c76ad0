/**
 * Reads an LLM call recorded by the Vercel AI SDK's telemetry (`experimental_telemetry`).
 *
 * The SDK emits an outer span per function call (`ai.generateText`, `ai.streamText`…) and an inner
 * span per provider call (`ai.generateText.doGenerate`, `ai.streamText.doStream`…); only the inner
 * spans are LLM calls, so that a call is not counted twice. Inner spans carry `ai.prompt.messages`
 * (JSON of the SDK's message format), `ai.response.text|toolCalls|reasoning|finishReason`,
 * `ai.usage.*` (`promptTokens`/`completionTokens`, and `inputTokens`/`outputTokens` from v5), and
 * the standard `gen_ai.*` summary attributes as well.
 */
import type { SpanRecord } from '../spans/index.ts';
import type { ChatMessage, ChatToolCall, ChatToolDefinition, JsonValue } from './chat-message.ts';
import type { LlmCallRecord } from './span-mapping.ts';
import {
  isRecord,
  parseArray,
  parseRecord,
  parseStructured,
  readCount,
  readParameter,
  readName,
  readString,
  readStringList,
  readText,
  readTotalTokens,
  stringifyValue,
  type LooseRecord,
} from './attribute-values.ts';
import {
  collectParts,
  field,
  makeImagePart,
  makeMediaPart,
  makeToolCall,
  makeToolMessage,
  pushAssembled,
  toolDefinition,
  type CollectedParts,
} from './chat-message-builders.ts';
import {
  AI_MODEL_ID,
  AI_MODEL_PROVIDER,
  AI_OPERATION_ID,
  AI_PROMPT,
  AI_PROMPT_MESSAGES,
  AI_PROMPT_TOOLS,
  AI_RESPONSE_FINISH_REASON,
  AI_RESPONSE_ID,
  AI_RESPONSE_MODEL,
  AI_RESPONSE_OBJECT,
  AI_RESPONSE_REASONING,
  AI_RESPONSE_TEXT,
  AI_RESPONSE_TOOL_CALLS,
  AI_SETTINGS_PREFIX,
  AI_USAGE_COMPLETION_TOKENS,
  AI_USAGE_INPUT_TOKENS,
  AI_USAGE_OUTPUT_TOKENS,
  AI_USAGE_PROMPT_TOKENS,
  AI_USAGE_TOTAL_TOKENS,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_FREQUENCY_PENALTY,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_PRESENCE_PENALTY,
  GEN_AI_REQUEST_STOP_SEQUENCES,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_REQUEST_TOP_K,
  GEN_AI_REQUEST_TOP_P,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_SYSTEM,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
} from './semantic-conventions.ts';

/**
 * What an AI SDK span is:
 * - `provider-call`: a `*.doGenerate` / `*.doStream` span (or, with no operation id and no `ai.*`
 *   span name, a span carrying `ai.prompt.messages`, which only provider-call spans carry);
 * - `other`: another AI SDK operation (`ai.generateText`, `ai.toolCall`, `ai.embed.doEmbed`…);
 * - `unknown`: not recognisably an AI SDK span.
 */
export type VercelSpanRole = 'provider-call' | 'other' | 'unknown';

/** Classifies a span that carries `ai.*` attributes. */
export function vercelSpanRole(span: SpanRecord): VercelSpanRole {
  const attributes = span.attributes as LooseRecord;
  const operation = readString(attributes[AI_OPERATION_ID]) ?? (span.name.startsWith('ai.') ? span.name : null);
  if (operation !== null) {
    return operation.endsWith('.doGenerate') || operation.endsWith('.doStream') ? 'provider-call' : 'other';
  }
  return attributes[AI_PROMPT_MESSAGES] !== undefined ? 'provider-call' : 'unknown';
}

/** Settings, by name after `ai.settings.`, with their OpenAI names and the `gen_ai.*` fallback. */
const SETTINGS: ReadonlyArray<readonly [string[], string, string, 'number' | 'integer' | 'strings']> = [
  [['temperature'], 'temperature', GEN_AI_REQUEST_TEMPERATURE, 'number'],
  [['topP'], 'top_p', GEN_AI_REQUEST_TOP_P, 'number'],
  [['topK'], 'top_k', GEN_AI_REQUEST_TOP_K, 'number'],
  [['maxOutputTokens', 'maxTokens'], 'max_tokens', GEN_AI_REQUEST_MAX_TOKENS, 'integer'],
  [['frequencyPenalty'], 'frequency_penalty', GEN_AI_REQUEST_FREQUENCY_PENALTY, 'number'],
  [['presencePenalty'], 'presence_penalty', GEN_AI_REQUEST_PRESENCE_PENALTY, 'number'],
  [['stopSequences'], 'stop', GEN_AI_REQUEST_STOP_SEQUENCES, 'strings'],
  [['seed'], 'seed', 'gen_ai.request.seed', 'integer'],
];

/** The LLM call of an AI SDK provider-call span (see {@link vercelSpanRole}). */
export function readVercelAiCall(span: SpanRecord): LlmCallRecord {
  const attributes = span.attributes as LooseRecord;
  const requestModel = readString(attributes[AI_MODEL_ID]) ?? readString(attributes[GEN_AI_REQUEST_MODEL]);
  const responseModel = readString(attributes[AI_RESPONSE_MODEL]) ?? readString(attributes[GEN_AI_RESPONSE_MODEL]);
  const inputTokens = readCount(
    attributes[AI_USAGE_INPUT_TOKENS] ?? attributes[AI_USAGE_PROMPT_TOKENS] ?? attributes[GEN_AI_USAGE_INPUT_TOKENS],
  );
  const outputTokens = readCount(
    attributes[AI_USAGE_OUTPUT_TOKENS] ?? attributes[AI_USAGE_COMPLETION_TOKENS] ?? attributes[GEN_AI_USAGE_OUTPUT_TOKENS],
  );
  const finishReason = readString(attributes[AI_RESPONSE_FINISH_REASON]);
  return {
    convention: 'vercel_ai',
    model: responseModel ?? requestModel,
    requestModel,
    responseModel,
    provider:
      readString(attributes[AI_MODEL_PROVIDER]) ??
      readString(attributes[GEN_AI_PROVIDER_NAME]) ??
      readString(attributes[GEN_AI_SYSTEM]),
    responseId: readString(attributes[AI_RESPONSE_ID]) ?? readString(attributes[GEN_AI_RESPONSE_ID]),
    inputMessages: readInputMessages(attributes),
    outputMessages: readOutputMessages(attributes),
    inputTokens,
    outputTokens,
    totalTokens: readTotalTokens(attributes[AI_USAGE_TOTAL_TOKENS], inputTokens, outputTokens),
    finishReasons: finishReason !== null ? [finishReason] : readStringList(attributes[GEN_AI_RESPONSE_FINISH_REASONS]),
    requestParameters: readSettings(attributes),
    tools: readTools(attributes[AI_PROMPT_TOOLS]),
  };
}

function readSettings(attributes: LooseRecord): Record<string, JsonValue> {
  const parameters: Record<string, JsonValue> = {};
  for (const [names, openAiName, fallback, kind] of SETTINGS) {
    let raw: unknown;
    for (const name of names) {
      raw = attributes[`${AI_SETTINGS_PREFIX}.${name}`];
      if (raw !== undefined && raw !== null) break;
    }
    if (raw === undefined || raw === null) raw = attributes[fallback];
    if (raw === undefined || raw === null) continue;
    const value = readParameter(raw, kind);
    if (value !== null) parameters[openAiName] = value;
  }
  return parameters;
}

function readTools(raw: unknown): ChatToolDefinition[] {
  // A string array of JSON tool definitions; tolerate a JSON string of the whole list too.
  const list = Array.isArray(raw) ? raw : parseArray(raw);
  if (list === null) return [];
  const tools: ChatToolDefinition[] = [];
  for (const item of list) {
    const tool = toolDefinition(typeof item === 'string' ? parseStructured(item) : item);
    if (tool !== null) tools.push(tool);
  }
  return tools;
}

// ── inputs ──────────────────────────────────────────────────────────────────────────────────────

function readInputMessages(attributes: LooseRecord): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const promptMessages = attributes[AI_PROMPT_MESSAGES];
  if (promptMessages !== undefined) {
    for (const raw of parseArray(promptMessages) ?? []) pushSdkMessage(messages, raw, 'user');
    if (messages.length > 0) return messages;
  }
  // The outer span's `ai.prompt`: `{system?, prompt?, messages?}`; a fallback when a provider call lacks its own.
  const prompt = attributes[AI_PROMPT];
  if (prompt === undefined) return messages;
  const record = parseRecord(prompt);
  if (record === null) {
    if (typeof prompt === 'string' && prompt !== '') messages.push({ role: 'user', content: prompt });
    return messages;
  }
  const system = readText(record.system);
  if (system !== null && system !== '') messages.push({ role: 'system', content: system });
  if (typeof record.prompt === 'string') messages.push({ role: 'user', content: record.prompt });
  else if (Array.isArray(record.prompt)) for (const raw of record.prompt) pushSdkMessage(messages, raw, 'user');
  if (Array.isArray(record.messages)) for (const raw of record.messages) pushSdkMessage(messages, raw, 'user');
  return messages;
}

/** One message of the AI SDK's format (`LanguageModelV1/V2Prompt` or `ModelMessage`). */
function pushSdkMessage(messages: ChatMessage[], raw: unknown, defaultRole: string): void {
  if (typeof raw === 'string') {
    messages.push({ role: defaultRole, content: raw });
    return;
  }
  if (!isRecord(raw)) return;
  const role = readName(raw.role) ?? defaultRole;
  const content = raw.content;
  if (!Array.isArray(content)) {
    messages.push({ role, content: content === undefined || content === null ? null : stringifyValue(content) });
    return;
  }
  pushAssembled(messages, {
    role,
    ...collectParts(content, readSdkPart),
    name: null,
    toolCallId: null,
  });
}

/** Adds one AI SDK part (`text`, `reasoning`, `image`, `file`, `tool-call`, `tool-result`) to `into`. */
function readSdkPart(part: LooseRecord, into: CollectedParts): void {
  switch (part.type) {
    case 'text': {
      const text = readText(part.text);
      if (text !== null) into.parts.push({ type: 'text', text });
      break;
    }
    case 'reasoning': {
      const text = readText(part.text);
      if (text !== null) into.reasoning += text;
      break;
    }
    case 'image': {
      const image = makeImagePart(part.image, field(part, 'mediaType', 'mimeType'));
      if (image !== null) into.parts.push(image);
      break;
    }
    case 'file': {
      const file = makeMediaPart({
        modality: null,
        mimeType: field(part, 'mediaType', 'mimeType'),
        data: part.data,
        filename: field(part, 'filename'),
      });
      if (file !== null) into.parts.push(file);
      break;
    }
    case 'tool-call':
      into.toolCalls.push(makeToolCall(part.toolCallId, part.toolName, part.input ?? part.args));
      break;
    case 'tool-result':
      into.toolResults.push(makeToolMessage(part.toolCallId, toolResultValue(part)));
      break;
    default:
      // `redacted-reasoning`, tool approvals and provider-specific parts have no OpenAI equivalent.
      break;
  }
}

/**
 * A tool result's value: v4's `result`, or v5's typed `output` (`{type: 'text'|'json'|'error-text'|
 * 'error-json'|'content', value}`).
 */
function toolResultValue(part: LooseRecord): unknown {
  if (part.output === undefined) return part.result;
  const output = part.output;
  if (!isRecord(output) || typeof output.type !== 'string' || !('value' in output)) return output;
  if (output.type === 'content' && Array.isArray(output.value)) {
    const texts: string[] = [];
    for (const item of output.value) {
      if (isRecord(item) && typeof item.text === 'string') texts.push(item.text);
    }
    return texts.join('\n');
  }
  return output.value;
}

// ── outputs ─────────────────────────────────────────────────────────────────────────────────────

function readOutputMessages(attributes: LooseRecord): ChatMessage[] {
  const text = readText(attributes[AI_RESPONSE_TEXT]);
  const reasoning = readText(attributes[AI_RESPONSE_REASONING]);
  const object = attributes[AI_RESPONSE_OBJECT];
  const toolCalls: ChatToolCall[] = [];
  for (const item of parseArray(attributes[AI_RESPONSE_TOOL_CALLS]) ?? []) {
    if (!isRecord(item)) continue;
    toolCalls.push(makeToolCall(item.toolCallId ?? item.id, item.toolName ?? item.name, item.input ?? item.args));
  }
  const content = text !== null && text !== '' ? text : object !== undefined && object !== null ? stringifyValue(object) : null;
  if (content === null && toolCalls.length === 0 && (reasoning === null || reasoning === '')) {
    return text === '' ? [{ role: 'assistant', content: '' }] : [];
  }
  const message: ChatMessage = { role: 'assistant', content };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== null && reasoning !== '') message.reasoning_content = reasoning;
  return [message];
}
