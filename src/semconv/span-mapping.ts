import type { ChatMessage, ChatToolDefinition, JsonValue } from './chat-message.ts';

/** One reward dimension. Index 0 is the primary. */
export interface RewardRecord {
  /**
   * The dimension's name. A single reward without a name (the plain `reward` attribute, AgentOps'
   * reward JSON, or dimension 0 without a `.name`) is named `primary`, as Agent Lightning's
   * `emit_reward(float)` names it; an unnamed dimension `i > 0` is named `reward_<i>`.
   */
  name: string;
  /** A finite number; non-numeric, NaN and infinite values are dropped, never stored. */
  value: number;
  /** The dimension's index as the span gave it (`agentlightning.reward.<index>.*`); 0 for single rewards. */
  index: number;
  /** Whether this is the primary reward (index 0). */
  primary: boolean;
}

/** Which convention an LLM call was read from. */
export type LlmConvention = 'gen_ai' | 'openinference' | 'vercel_ai' | 'langfuse';

/** One LLM call, normalised to OpenAI chat format. */
export interface LlmCallRecord {
  convention: LlmConvention;
  /** The response model if given, else the request model. */
  model: string | null;
  requestModel: string | null;
  responseModel: string | null;
  /** The provider or system (`openai`, `anthropic`, `openai.chat`…), as the span named it. */
  provider: string | null;
  /** The provider's response id (`chatcmpl-…`). */
  responseId: string | null;
  /** The messages sent, system instructions first. */
  inputMessages: ChatMessage[];
  /** The messages received: one assistant message per choice (usually one). */
  outputMessages: ChatMessage[];
  inputTokens: number | null;
  outputTokens: number | null;
  /** As given, else the sum of input and output tokens when both are known. */
  totalTokens: number | null;
  /** One per choice, as the provider named them (`stop`, `tool_calls`, `length`…). */
  finishReasons: string[];
  /**
   * Request parameters under OpenAI's names: `temperature`, `top_p`, `top_k`, `max_tokens`,
   * `frequency_penalty`, `presence_penalty`, `stop`, `seed`, `n`. OpenInference's
   * `llm.invocation_parameters` is passed through as given.
   */
  requestParameters: Record<string, JsonValue>;
  /** The tools offered to the model, in OpenAI's request format. */
  tools: ChatToolDefinition[];
}

/** What the collector stores about a span besides the raw span. */
export interface SpanMapping {
  /** `agentlightning.rollout_id` of the span, else of its resource. */
  rolloutId: string | null;
  /** `agentlightning.attempt_id` of the span, else of its resource. */
  attemptId: string | null;
  /** `agentlightning.span_sequence_id` of the span, else of its resource. */
  sequenceId: number | null;
  /** The resource's `service.name`. */
  serviceName: string | null;
  /** The rewards the span carries; empty for non-reward spans. */
  rewards: RewardRecord[];
  /** The LLM call the span records; `null` for non-LLM spans. */
  llmCall: LlmCallRecord | null;
}
