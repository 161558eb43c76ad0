import { InvalidRequestError } from '../errors/index.ts';
import type { ChatMessage, ChatRequest, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from './chat-types.ts';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/**
 * Validates a `POST /v1/chat/completions` body and normalises it; throws `InvalidRequestError`
 * (400, an OpenAI `invalid_request_error`) naming the offending field, as OpenAI does.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw new InvalidRequestError('The request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') {
    throw new InvalidRequestError('You must provide a model parameter (`model`, a non-empty string)');
  }
  if (!Array.isArray(body.messages)) throw new InvalidRequestError("Missing required parameter: 'messages' (an array)");
  if (body.messages.length === 0) throw new InvalidRequestError("Invalid 'messages': empty array. Expected at least one message");
  const messages = body.messages.map((message, index) => parseMessage(message, index));

  const temperature = body.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) {
    throw new InvalidRequestError(`Invalid 'temperature': expected a number from 0 to 2, got ${JSON.stringify(body.temperature)}`);
  }
  const seed = body.seed ?? undefined;
  if (seed !== undefined && !Number.isInteger(seed)) throw new InvalidRequestError(`Invalid 'seed': expected an integer, got ${JSON.stringify(seed)}`);
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 8) {
    throw new InvalidRequestError(`Invalid 'n': the simulated model supports 1 to 8, got ${JSON.stringify(body.n)}`);
  }
  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean') throw new InvalidRequestError("Invalid 'stream': expected a boolean");
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    throw new InvalidRequestError(`Invalid 'max_tokens': expected an integer ≥ 1, got ${JSON.stringify(maxTokens)}`);
  }
  const returnTokenIds = body.return_token_ids ?? false;
  if (typeof returnTokenIds !== 'boolean') throw new InvalidRequestError("Invalid 'return_token_ids': expected a boolean");
  const tools = parseTools(body.tools);
  return {
    model: body.model,
    messages,
    tools,
    toolChoice: parseToolChoice(body.tool_choice, tools),
    temperature,
    seed: seed as number | undefined,
    n: n as number,
    stream,
    streamIncludeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true,
    maxTokens: maxTokens as number | undefined,
    responseFormat: parseResponseFormat(body.response_format),
    returnTokenIds,
  };
}

function parseMessage(value: unknown, index: number): ChatMessage {
  if (!isObject(value)) throw new InvalidRequestError(`Invalid 'messages[${index}]': expected an object`);
  if (typeof value.role !== 'string' || !ROLES.has(value.role)) {
    throw new InvalidRequestError(
      `Invalid 'messages[${index}].role': expected one of system, developer, user, assistant, tool, got ${JSON.stringify(value.role)}`,
    );
  }
  const role = value.role as ChatMessage['role'];
  const message: ChatMessage = { role, content: parseContent(value.content, index) };
  if (typeof value.name === 'string') message.name = value.name;
  if (role === 'assistant' && value.tool_calls !== undefined && value.tool_calls !== null) {
    if (!Array.isArray(value.tool_calls)) throw new InvalidRequestError(`Invalid 'messages[${index}].tool_calls': expected an array`);
    message.toolCalls = value.tool_calls.map((call, callIndex) => parseToolCall(call, index, callIndex));
  }
  if (role === 'tool') {
    if (typeof value.tool_call_id !== 'string') {
      throw new InvalidRequestError(`Missing parameter 'messages[${index}].tool_call_id': a tool message must answer a tool call`);
    }
    message.toolCallId = value.tool_call_id;
  }
  if (value.content === undefined || value.content === null) {
    if (!(role === 'assistant' && message.toolCalls?.length)) {
      throw new InvalidRequestError(`Missing parameter 'messages[${index}].content'`);
    }
  }
  return message;
}

function parseContent(content: unknown, index: number): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (isObject(part) && typeof part.text === 'string') return part.text;
        if (isObject(part) && typeof part.type === 'string') return '';
        throw new InvalidRequestError(`Invalid 'messages[${index}].content': parts must be objects with a type`);
      })
      .join('\n');
  }
  throw new InvalidRequestError(`Invalid 'messages[${index}].content': expected a string or an array of parts`);
}

function parseToolCall(value: unknown, index: number, callIndex: number): ToolCall {
  const where = `messages[${index}].tool_calls[${callIndex}]`;
  if (!isObject(value) || !isObject(value.function) || typeof value.function.name !== 'string') {
    throw new InvalidRequestError(`Invalid '${where}': expected {id, type: "function", function: {name, arguments}}`);
  }
  return {
    id: typeof value.id === 'string' ? value.id : `call_${index}_${callIndex}`,
    type: 'function',
    function: { name: value.function.name, arguments: typeof value.function.arguments === 'string' ? value.function.arguments : '{}' },
  };
}

function parseTools(value: unknown): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidRequestError("Invalid 'tools': expected an array");
  return value.map((tool, index) => {
    if (!isObject(tool) || !isObject(tool.function) || typeof tool.function.name !== 'string') {
      throw new InvalidRequestError(`Invalid 'tools[${index}]': expected {type: "function", function: {name, parameters}}`);
    }
    return {
      name: tool.function.name,
      description: typeof tool.function.description === 'string' ? tool.function.description : '',
      parameters: isObject(tool.function.parameters) ? tool.function.parameters : {},
    };
  });
}

function parseToolChoice(value: unknown, tools: ToolDefinition[]): ToolChoice {
  if (value === undefined || value === null) return tools.length > 0 ? 'auto' : 'none';
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  if (isObject(value) && isObject(value.function) && typeof value.function.name === 'string') {
    const name = value.function.name;
    if (!tools.some((tool) => tool.name === name)) {
      throw new InvalidRequestError(`Invalid 'tool_choice': no tool named \`${name}\` in 'tools'`);
    }
    return { name };
  }
  throw new InvalidRequestError(`Invalid 'tool_choice': expected none, auto, required or {type: "function", function: {name}}`);
}

function parseResponseFormat(value: unknown): ResponseFormat {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isObject(value) || typeof value.type !== 'string') throw new InvalidRequestError("Invalid 'response_format': expected {type}");
  if (value.type === 'text' || value.type === 'json_object') return { type: value.type };
  if (value.type === 'json_schema') {
    const spec = isObject(value.json_schema) ? value.json_schema : {};
    return {
      type: 'json_schema',
      name: typeof spec.name === 'string' ? spec.name : 'response',
      schema: isObject(spec.schema) ? spec.schema : {},
    };
  }
  throw new InvalidRequestError(`Invalid 'response_format.type': expected text, json_object or json_schema, got \`${value.type}\``);
}

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
