/**
 * Building blocks shared by the convention readers: they turn whatever a convention recorded into
 * OpenAI chat-format messages, tool calls and content parts.
 */
import type {
  ChatContentPart,
  ChatImagePart,
  ChatMessage,
  ChatToolCall,
  ChatToolDefinition,
} from './chat-message.ts';
import {
  isRecord,
  parseRecord,
  parseStructured,
  readName,
  readString,
  readText,
  stringifyValue,
  toJsonValue,
  type LooseRecord,
} from './attribute-values.ts';

/** Collects parts; reduces them to OpenAI's content shape. */
export function contentFromParts(parts: ChatContentPart[]): string | null | ChatContentPart[] {
  if (parts.length === 0) return null;
  if (parts.length === 1 && parts[0]!.type === 'text') return parts[0]!.text;
  return parts;
}

/** Tool call arguments as the JSON string OpenAI uses: strings as is, anything else serialised. */
function argumentsToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '{}';
  return JSON.stringify(toJsonValue(value));
}

/** A tool call; a missing id becomes `''`, a missing name `''`. */
export function makeToolCall(id: unknown, name: unknown, args: unknown): ChatToolCall {
  return {
    id: readString(id) ?? '',
    type: 'function',
    function: { name: readString(name) ?? '', arguments: argumentsToString(args) },
  };
}

/** A `tool` message answering `toolCallId`. */
export function makeToolMessage(toolCallId: unknown, result: unknown): ChatMessage {
  return { role: 'tool', content: stringifyValue(result), tool_call_id: readString(toolCallId) ?? '' };
}

/** Whether `value` starts with a URL scheme (`https:`, `data:`, `gs:`…). */
function hasScheme(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(value);
}

function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A `data:` URL from base64 (or bytes); a value that already is a URL is returned as is. */
function dataUrl(data: unknown, mimeType: string | null): string | null {
  const base64 = data instanceof Uint8Array ? bytesToBase64(data) : readText(data);
  if (base64 === null || base64 === '') return null;
  if (hasScheme(base64)) return base64;
  return `data:${mimeType ?? 'application/octet-stream'};base64,${base64}`;
}

/** An image part from a URL or base64 data. */
export function makeImagePart(urlOrData: unknown, mimeType: string | null): ChatImagePart | null {
  const url = dataUrl(urlOrData, mimeType ?? 'image/png');
  return url === null ? null : { type: 'image_url', image_url: { url } };
}

const AUDIO_FORMATS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
};

/**
 * A media part from inline data or a reference, by modality or MIME type: images become
 * `image_url`, audio `input_audio` (inline data only), anything else a `file` part.
 */
export function makeMediaPart(options: {
  modality: string | null;
  mimeType: string | null;
  data?: unknown;
  uri?: string | null;
  fileId?: string | null;
  filename?: string | null;
}): ChatContentPart | null {
  const { modality, mimeType, data, uri, fileId, filename } = options;
  const kind = modality ?? (mimeType === null ? null : mimeType.split('/')[0]!);
  if (kind === 'image' && (uri || data !== undefined)) return makeImagePart(uri ?? data, mimeType);
  if (kind === 'audio' && data !== undefined && !uri) {
    const base64 = data instanceof Uint8Array ? bytesToBase64(data) : readText(data);
    if (base64 !== null && base64 !== '' && !hasScheme(base64)) {
      const format = (mimeType !== null ? AUDIO_FORMATS[mimeType] : undefined) ?? mimeType?.split('/')[1] ?? 'wav';
      return { type: 'input_audio', input_audio: { data: base64, format } };
    }
  }
  const file: { file_id?: string; file_data?: string; filename?: string; url?: string } = {};
  if (fileId) file.file_id = fileId;
  if (uri) {
    if (uri.startsWith('data:')) file.file_data = uri;
    else file.url = uri;
  }
  if (data !== undefined) {
    const url = dataUrl(data, mimeType);
    if (url !== null) {
      if (url.startsWith('data:')) file.file_data = url;
      else file.url = url;
    }
  }
  if (filename) file.filename = filename;
  if (file.file_id === undefined && file.file_data === undefined && file.url === undefined) return null;
  return { type: 'file', file };
}

/** One OpenAI content part (as sent to OpenAI, or close to it); `null` when unreadable. */
function openAiPart(raw: unknown): ChatContentPart | null {
  if (typeof raw === 'string') return { type: 'text', text: raw };
  if (!isRecord(raw)) return null;
  switch (raw.type) {
    case 'text':
    case 'input_text':
    case 'output_text': {
      const text = readText(raw.text) ?? readText(raw.content);
      return text === null ? null : { type: 'text', text };
    }
    case 'image_url': {
      const image = raw.image_url;
      const url = isRecord(image) ? readString(image.url) : readString(image);
      return url === null ? null : { type: 'image_url', image_url: { url } };
    }
    case 'input_audio': {
      const audio = raw.input_audio;
      if (!isRecord(audio)) return null;
      const data = readString(audio.data);
      return data === null ? null : { type: 'input_audio', input_audio: { data, format: readString(audio.format) ?? 'wav' } };
    }
    case 'file': {
      const file = raw.file;
      if (!isRecord(file)) return null;
      return makeMediaPart({
        modality: null,
        mimeType: null,
        fileId: readString(file.file_id),
        uri: readString(file.file_data) ?? readString(file.url),
        filename: readString(file.filename),
      });
    }
    default: {
      const text = readText(raw.text) ?? readText(raw.content);
      return text === null ? null : { type: 'text', text };
    }
  }
}

/** OpenAI content (a string, a list of parts, or anything else serialised to text). */
function openAiContent(raw: unknown): string | null | ChatContentPart[] {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const parts: ChatContentPart[] = [];
    for (const item of raw) {
      const part = openAiPart(item);
      if (part !== null) parts.push(part);
    }
    return contentFromParts(parts);
  }
  return stringifyValue(raw);
}

const OPENAI_PART_TYPES = new Set(['text', 'image_url', 'input_audio', 'file']);

/**
 * Content recorded as a flattened string attribute: OpenLLMetry serialises a list of OpenAI parts
 * as JSON. Only a JSON list whose items all look like OpenAI parts is read as parts; any other
 * string is text.
 */
export function flattenedContent(raw: unknown): string | null | ChatContentPart[] {
  if (typeof raw === 'string') {
    if (raw.startsWith('[{') && raw.endsWith('}]')) {
      const parsed = parseStructured(raw);
      if (
        Array.isArray(parsed) &&
        parsed.every((item) => isRecord(item) && typeof item.type === 'string' && OPENAI_PART_TYPES.has(item.type))
      ) {
        return openAiContent(parsed);
      }
    }
    return raw;
  }
  return openAiContent(raw);
}

/** OpenAI tool calls (`[{id, type, function: {name, arguments}}]`, or flat `{id, name, arguments}`). */
function openAiToolCalls(raw: unknown): ChatToolCall[] {
  const list = parseStructured(raw);
  if (!Array.isArray(list)) return [];
  const calls: ChatToolCall[] = [];
  for (const item of list) {
    if (!isRecord(item)) continue;
    const fn = isRecord(item.function) ? item.function : item;
    calls.push(makeToolCall(item.id, fn.name, fn.arguments ?? fn.args ?? fn.input));
  }
  return calls;
}

/**
 * An OpenAI-format message, read leniently (roles default to `defaultRole`, content may be a
 * string, a list of parts, or any value). A message may also be a legacy `function_call`.
 */
export function openAiMessage(raw: unknown, defaultRole: string): ChatMessage | null {
  const record = typeof raw === 'string' ? { content: raw } : isRecord(raw) ? raw : null;
  if (record === null) return null;
  const role = readName(record.role) ?? defaultRole;
  const message: ChatMessage = { role, content: openAiContent(record.content) };
  const name = readString(record.name);
  if (name !== null) message.name = name;
  const toolCalls = openAiToolCalls(record.tool_calls);
  if (isRecord(record.function_call)) {
    toolCalls.push(makeToolCall(null, record.function_call.name, record.function_call.arguments));
  }
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const toolCallId = readString(record.tool_call_id) ?? (role === 'tool' ? readString(record.id) : null);
  if (toolCallId !== null) message.tool_call_id = toolCallId;
  else if (role === 'tool') message.tool_call_id = '';
  const reasoning = readText(record.reasoning_content);
  if (reasoning !== null && reasoning !== '') message.reasoning_content = reasoning;
  return message;
}

/** A tool definition in OpenAI format, from OpenAI's shape or the flat `{name, description, parameters}` one. */
export function toolDefinition(raw: unknown): ChatToolDefinition | null {
  const record = isRecord(raw) ? raw : parseRecord(raw);
  if (record === null) return null;
  const fn = isRecord(record.function) ? record.function : record;
  const name = readName(fn.name);
  if (name === null) return null;
  const definition: ChatToolDefinition = { type: 'function', function: { name } };
  const description = readText(fn.description);
  if (description !== null) definition.function.description = description;
  const parameters = fn.parameters ?? fn.inputSchema ?? fn.input_schema;
  if (parameters !== undefined && parameters !== null) {
    const structured = typeof parameters === 'string' ? parseStructured(parameters) : parameters;
    if (structured !== undefined) definition.function.parameters = toJsonValue(structured);
  }
  return definition;
}

/** Tool definitions from a list (or a JSON string of one). */
export function toolDefinitions(raw: unknown): ChatToolDefinition[] {
  const list = parseStructured(raw);
  if (!Array.isArray(list)) return [];
  const tools: ChatToolDefinition[] = [];
  for (const item of list) {
    const tool = toolDefinition(item);
    if (tool !== null) tools.push(tool);
  }
  return tools;
}

/**
 * Assembles a message from collected pieces and appends it, with its tool results, to `into`.
 * Tool results (`tool` messages) precede a user message's own content, as a user turn that
 * answers tool calls does in Anthropic's format; they follow any other message.
 */
export function pushAssembled(
  into: ChatMessage[],
  pieces: {
    role: string;
    parts: ChatContentPart[];
    toolCalls: ChatToolCall[];
    toolResults: ChatMessage[];
    reasoning: string;
    name: string | null;
    toolCallId: string | null;
  },
): void {
  const { role, parts, toolCalls, toolResults, reasoning, name, toolCallId } = pieces;
  if (role === 'tool' && toolResults.length > 0 && parts.length === 0) {
    into.push(...toolResults);
    return;
  }
  const hasOwnContent = parts.length > 0 || toolCalls.length > 0 || reasoning !== '';
  if (!hasOwnContent && toolResults.length > 0) {
    into.push(...toolResults);
    return;
  }
  const message: ChatMessage = { role, content: contentFromParts(parts) };
  if (name !== null) message.name = name;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (role === 'tool') message.tool_call_id = toolCallId ?? '';
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (role === 'user') {
    into.push(...toolResults, message);
  } else {
    into.push(message, ...toolResults);
  }
}

/** What the parts of one message add up to, before {@link pushAssembled} makes messages of them. */
export interface CollectedParts {
  parts: ChatContentPart[];
  toolCalls: ChatToolCall[];
  toolResults: ChatMessage[];
  reasoning: string;
}

/**
 * Reads a message's list of parts: a string is a text part, anything but an object is skipped,
 * and each object is given to `readPart`, which adds what it holds (by the convention's part types).
 */
export function collectParts(
  rawParts: readonly unknown[],
  readPart: (part: LooseRecord, into: CollectedParts) => void,
): CollectedParts {
  const collected: CollectedParts = { parts: [], toolCalls: [], toolResults: [], reasoning: '' };
  for (const part of rawParts) {
    if (typeof part === 'string') {
      collected.parts.push({ type: 'text', text: part });
      continue;
    }
    if (isRecord(part)) readPart(part, collected);
  }
  return collected;
}

/** Reads a string field of a record that may name it several ways. */
export function field(record: LooseRecord, ...names: string[]): string | null {
  for (const name of names) {
    const value = readString(record[name]);
    if (value !== null) return value;
  }
  return null;
}
