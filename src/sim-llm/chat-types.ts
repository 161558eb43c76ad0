/**
 * The subset of OpenAI's Chat Completions wire format that the simulated model reads and writes.
 * Requests are normalised into these shapes by `parseChatRequest`; nothing past it sees raw JSON.
 */

/** A function the model may call, as declared in the request's `tools`. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** The JSON Schema of the arguments (`{}` when none was given). */
  parameters: Record<string, unknown>;
}

/** A tool call made by the assistant. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One chat message, content flattened to text (array parts joined). */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  /** The text content; `''` when the message had none (an assistant message with only tool calls). */
  content: string;
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

/** How the request constrains tool use. */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

/** The requested response format. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown> };

/** A validated chat-completion request. */
export interface ChatRequest {
  /** The model name as requested: accepted whatever it is, and echoed. */
  model: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  /** 0 to 2; OpenAI's default is 1. */
  temperature: number;
  /** The request's `seed`, if any. */
  seed: number | undefined;
  /** Number of choices, 1 to 8. */
  n: number;
  stream: boolean;
  /** `stream_options.include_usage`. */
  streamIncludeUsage: boolean;
  /** `max_completion_tokens` or `max_tokens`. */
  maxTokens: number | undefined;
  responseFormat: ResponseFormat;
  /** vLLM's `return_token_ids`: answer with `prompt_token_ids` and each choice's `token_ids`. */
  returnTokenIds: boolean;
}

/** What a behaviour answers: text, or tool calls (`id`s are filled in by the server). */
export interface SimulatedReply {
  content: string | null;
  toolCalls?: { name: string; arguments: string }[];
}
