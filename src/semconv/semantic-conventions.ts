/**
 * Attribute and span names the span mapper recognises. The tracing SDK emits the same names, so
 * both sides import them from here.
 *
 * Sources: Agent Lightning v0.3 (`agentlightning/semconv.py`, `agentlightning/emitter/reward.py`),
 * the OpenTelemetry GenAI semantic conventions (current and deprecated forms, plus the flattened
 * form OpenLLMetry/Traceloop emit), the OpenInference semantic conventions, and the Vercel AI SDK
 * telemetry documentation.
 */

// ── Agent Lightning ─────────────────────────────────────────────────────────────────────────────

/** Resource or span attribute: the rollout a span belongs to. A span attribute overrides the resource one. */
export const AGL_ROLLOUT_ID = 'agentlightning.rollout_id';
/** Resource or span attribute: the attempt (of the rollout) a span belongs to. */
export const AGL_ATTEMPT_ID = 'agentlightning.attempt_id';
/** Resource or span attribute: the order of the span within its attempt (int, or a string / bigint of one). */
export const AGL_SPAN_SEQUENCE_ID = 'agentlightning.span_sequence_id';

/** Span name of annotations: rewards, tags and metadata attached to a part of a rollout. */
export const AGL_ANNOTATION = 'agentlightning.annotation';
/** Span name of reward emissions (older emitters), and the operation name of reward operations. */
export const AGL_REWARD = 'agentlightning.reward';
/** Span name of messages and logs. */
export const AGL_MESSAGE = 'agentlightning.message';
/** Span name of custom objects. */
export const AGL_OBJECT = 'agentlightning.object';
/** Span name of recorded exceptions. */
export const AGL_EXCEPTION = 'agentlightning.exception';
/** Span name of wrapped functions or code blocks. */
export const AGL_OPERATION = 'agentlightning.operation';
/** Span name of virtual (synthesised) operations. */
export const AGL_VIRTUAL = 'agentlightning.virtual';

/**
 * Attribute prefix of reward dimensions: `agentlightning.reward.<i>.name` and
 * `agentlightning.reward.<i>.value`; index 0 is the primary reward.
 */
export const AGL_REWARD_PREFIX = 'agentlightning.reward';
/** Key of a reward dimension's name, after `agentlightning.reward.<i>.`. */
export const AGL_REWARD_NAME_KEY = 'name';
/** Key of a reward dimension's value, after `agentlightning.reward.<i>.`. */
export const AGL_REWARD_VALUE_KEY = 'value';
/** Builds `agentlightning.reward.<index>.name`. */
export function aglRewardNameAttribute(index: number): string {
  return `${AGL_REWARD_PREFIX}.${index}.${AGL_REWARD_NAME_KEY}`;
}
/** Builds `agentlightning.reward.<index>.value`. */
export function aglRewardValueAttribute(index: number): string {
  return `${AGL_REWARD_PREFIX}.${index}.${AGL_REWARD_VALUE_KEY}`;
}

/** Attribute prefix of tags: `agentlightning.tag.<i>`. */
export const AGL_TAG_PREFIX = 'agentlightning.tag';
/** Attribute prefix of links: `agentlightning.link.<i>.key_match` / `.value_match`. */
export const AGL_LINK_PREFIX = 'agentlightning.link';
/** Key of a link's attribute name to match, after `agentlightning.link.<i>.`. */
export const AGL_LINK_KEY_MATCH_KEY = 'key_match';
/** Key of a link's attribute value to match, after `agentlightning.link.<i>.`. */
export const AGL_LINK_VALUE_MATCH_KEY = 'value_match';
/** Attribute of a message span's text. */
export const AGL_MESSAGE_BODY = 'agentlightning.message.body';
/** Attribute of an object span's type (fully qualified name). */
export const AGL_OBJECT_TYPE = 'agentlightning.object.type';
/** Attribute of an object span's literal value (str, int, bool…). */
export const AGL_OBJECT_LITERAL = 'agentlightning.object.literal';
/** Attribute of an object span's value, serialised as JSON. */
export const AGL_OBJECT_JSON = 'agentlightning.object.json';
/** Attribute of an operation span's name. */
export const AGL_OPERATION_NAME = 'agentlightning.operation.name';
/** Attribute prefix of an operation span's inputs. */
export const AGL_OPERATION_INPUT_PREFIX = 'agentlightning.operation.input';
/** Attribute prefix of an operation span's outputs. */
export const AGL_OPERATION_OUTPUT_PREFIX = 'agentlightning.operation.output';

/** Agent Lightning v0.2 reward attribute on a reward/annotation span: a number (or a JSON string of one). */
export const LEGACY_REWARD = 'reward';

// ── AgentOps (Agent Lightning's older reward emitter) ──────────────────────────────────────────

/** AgentOps task output; a reward when it holds `{"type": "reward", "value": <number>}` (object or JSON string). */
export const AGENTOPS_TASK_OUTPUT = 'agentops.task.output';
/** Older AgentOps versions' name of {@link AGENTOPS_TASK_OUTPUT}. */
export const AGENTOPS_ENTITY_OUTPUT = 'agentops.entity.output';

// ── OpenTelemetry GenAI ─────────────────────────────────────────────────────────────────────────

/** `chat`, `text_completion`, `generate_content`, `invoke_agent`, `execute_tool`, `embeddings`… */
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
/** The provider (current name). */
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** The provider (deprecated name of {@link GEN_AI_PROVIDER_NAME}). */
export const GEN_AI_SYSTEM = 'gen_ai.system';
/** The model asked for. */
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
/** The model that answered (often a dated version of the requested one). */
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
/** The provider's response id (`chatcmpl-…`). */
export const GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
/** Finish reasons, one per choice (string array). */
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Request parameter: temperature. */
export const GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
/** Request parameter: top_p. */
export const GEN_AI_REQUEST_TOP_P = 'gen_ai.request.top_p';
/** Request parameter: top_k. */
export const GEN_AI_REQUEST_TOP_K = 'gen_ai.request.top_k';
/** Request parameter: the maximum number of output tokens. */
export const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
/** Request parameter: frequency penalty. */
export const GEN_AI_REQUEST_FREQUENCY_PENALTY = 'gen_ai.request.frequency_penalty';
/** Request parameter: presence penalty. */
export const GEN_AI_REQUEST_PRESENCE_PENALTY = 'gen_ai.request.presence_penalty';
/** Request parameter: stop sequences (string array). */
export const GEN_AI_REQUEST_STOP_SEQUENCES = 'gen_ai.request.stop_sequences';
/** Request parameter: seed. */
export const GEN_AI_REQUEST_SEED = 'gen_ai.request.seed';
/** Request parameter: number of choices (OpenAI `n`). */
export const GEN_AI_REQUEST_CHOICE_COUNT = 'gen_ai.request.choice.count';
/** Tokens in the prompt. */
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
/** Tokens in the completion. */
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** Deprecated name of {@link GEN_AI_USAGE_INPUT_TOKENS}. */
export const GEN_AI_USAGE_PROMPT_TOKENS = 'gen_ai.usage.prompt_tokens';
/** Deprecated name of {@link GEN_AI_USAGE_OUTPUT_TOKENS}. */
export const GEN_AI_USAGE_COMPLETION_TOKENS = 'gen_ai.usage.completion_tokens';
/** Input messages, parts-based (`[{role, parts: [{type: 'text', content}…]}]`), as JSON or structured value. */
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
/** Output messages, parts-based, with `finish_reason`; one per choice. */
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
/** System instructions given apart from the chat history: a list of parts. */
export const GEN_AI_SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';
/** Tool definitions offered to the model (`[{type: 'function', name, description, parameters}]`). */
export const GEN_AI_TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
/**
 * Flattened prompt messages as OpenLLMetry/Traceloop emit them: `gen_ai.prompt.<i>.role`,
 * `.content`, `.tool_call_id`, `.tool_calls.<j>.id|name|arguments`. As a whole attribute (no index),
 * the deprecated `gen_ai.content.prompt` event's JSON list of messages.
 */
export const GEN_AI_PROMPT = 'gen_ai.prompt';
/** Flattened completions (`gen_ai.completion.<i>.role|content|finish_reason|tool_calls.<j>…`), see {@link GEN_AI_PROMPT}. */
export const GEN_AI_COMPLETION = 'gen_ai.completion';
/** OpenLLMetry's total token count. */
export const LLM_USAGE_TOTAL_TOKENS = 'llm.usage.total_tokens';
/** OpenLLMetry's request type (`chat`, `completion`, `embedding`…). */
export const LLM_REQUEST_TYPE = 'llm.request.type';
/** OpenLLMetry's tool definitions: `llm.request.functions.<i>.name|description|parameters`. */
export const LLM_REQUEST_FUNCTIONS = 'llm.request.functions';

/** Deprecated GenAI event names (span events), each carrying one message. */
export const GEN_AI_SYSTEM_MESSAGE_EVENT = 'gen_ai.system.message';
/** Deprecated event: a user message (attributes `content`, or JSON body in `gen_ai.event.content`). */
export const GEN_AI_USER_MESSAGE_EVENT = 'gen_ai.user.message';
/** Deprecated event: an assistant message of the history (`content`, `tool_calls`). */
export const GEN_AI_ASSISTANT_MESSAGE_EVENT = 'gen_ai.assistant.message';
/** Deprecated event: a tool result (`content`, `id` of the call it answers). */
export const GEN_AI_TOOL_MESSAGE_EVENT = 'gen_ai.tool.message';
/** A completion choice: attributes `index`, `finish_reason`, `message` (`{role, content, tool_calls}`). */
export const GEN_AI_CHOICE_EVENT = 'gen_ai.choice';
/** Older event carrying the whole prompt in attribute {@link GEN_AI_PROMPT} (JSON list of messages). */
export const GEN_AI_CONTENT_PROMPT_EVENT = 'gen_ai.content.prompt';
/** Older event carrying the whole completion in attribute {@link GEN_AI_COMPLETION}. */
export const GEN_AI_CONTENT_COMPLETION_EVENT = 'gen_ai.content.completion';
/** Event attribute some SDKs (Azure AI Inference, Semantic Kernel) use for the event body, as JSON. */
export const GEN_AI_EVENT_CONTENT = 'gen_ai.event.content';
/**
 * The current GenAI event (a log record) holding a whole call: attributes {@link GEN_AI_INPUT_MESSAGES},
 * {@link GEN_AI_OUTPUT_MESSAGES}, {@link GEN_AI_SYSTEM_INSTRUCTIONS}.
 */
export const GEN_AI_INFERENCE_DETAILS_EVENT = 'gen_ai.client.inference.operation.details';
/** The log attribute that names the event a log record is, for senders without OTLP's `event_name` field. */
export const EVENT_NAME = 'event.name';

// ── OpenInference ───────────────────────────────────────────────────────────────────────────────

/** `LLM`, `CHAIN`, `TOOL`, `AGENT`, `RETRIEVER`, `EMBEDDING`… */
export const OPENINFERENCE_SPAN_KIND = 'openinference.span.kind';
/** `llm.input_messages.<i>.message.role|content|name|tool_call_id|contents.<j>.message_content.*|tool_calls.<j>.tool_call.*`. */
export const LLM_INPUT_MESSAGES = 'llm.input_messages';
/** `llm.output_messages.<i>.message.*`, as {@link LLM_INPUT_MESSAGES}. */
export const LLM_OUTPUT_MESSAGES = 'llm.output_messages';
/** The model name. */
export const LLM_MODEL_NAME = 'llm.model_name';
/** The hosting provider (`openai`, `azure`…). */
export const LLM_PROVIDER = 'llm.provider';
/** The AI product (`openai`, `anthropic`…). */
export const LLM_SYSTEM = 'llm.system';
/** JSON string of the request parameters (temperature…). */
export const LLM_INVOCATION_PARAMETERS = 'llm.invocation_parameters';
/** Tokens in the prompt. */
export const LLM_TOKEN_COUNT_PROMPT = 'llm.token_count.prompt';
/** Tokens in the completion. */
export const LLM_TOKEN_COUNT_COMPLETION = 'llm.token_count.completion';
/** Tokens in all. */
export const LLM_TOKEN_COUNT_TOTAL = 'llm.token_count.total';
/** `llm.tools.<i>.tool.json_schema`: JSON of an OpenAI tool definition. */
export const LLM_TOOLS = 'llm.tools';
/** Why the model stopped (`stop`, `tool_calls`, `length`…); a string, or a list of one per choice. */
export const LLM_FINISH_REASON = 'llm.finish_reason';

/** The request as the instrumentation saw it (JSON for the OpenAI instrumentation: the request body). */
export const INPUT_VALUE = 'input.value';
/** The response as the instrumentation saw it (JSON for the OpenAI instrumentation: the response body). */
export const OUTPUT_VALUE = 'output.value';

// ── Langfuse (its OpenTelemetry SDK, v4 and later) ──────────────────────────────────────────────

/** The observation type: `generation` is an LLM call; `span`, `event`, `agent`, `tool`, `embedding`… are not. */
export const LANGFUSE_OBSERVATION_TYPE = 'langfuse.observation.type';
/** The observation type of an LLM call. */
export const LANGFUSE_GENERATION = 'generation';
/**
 * JSON of the input: for a generation, an OpenAI request's `{messages, tools, tool_choice…}`
 * (`@langfuse/openai`), a bare list of messages, or a string.
 */
export const LANGFUSE_OBSERVATION_INPUT = 'langfuse.observation.input';
/** JSON of the output: for a generation, the assistant message (or a string, or a list of messages). */
export const LANGFUSE_OBSERVATION_OUTPUT = 'langfuse.observation.output';
/** The model name. */
export const LANGFUSE_OBSERVATION_MODEL_NAME = 'langfuse.observation.model.name';
/** JSON of the model parameters (`temperature`, `max_tokens`…). */
export const LANGFUSE_OBSERVATION_MODEL_PARAMETERS = 'langfuse.observation.model.parameters';
/**
 * JSON of the token usage: `{input, output, total}`, with the breakdown as `input_<detail>` /
 * `output_<detail>` (`input_cached_tokens`…) that `input` / `output` then exclude.
 */
export const LANGFUSE_OBSERVATION_USAGE_DETAILS = 'langfuse.observation.usage_details';

// ── Logfire ─────────────────────────────────────────────────────────────────────────────────────

/** Logfire's span type: `span`, `log`, or `pending_span` (a copy sent when a span starts, before the real one). */
export const LOGFIRE_SPAN_TYPE = 'logfire.span_type';
/** The {@link LOGFIRE_SPAN_TYPE} of a pending copy. */
export const LOGFIRE_PENDING_SPAN = 'pending_span';

// ── Vercel AI SDK ───────────────────────────────────────────────────────────────────────────────

/** The operation: `ai.generateText`, `ai.generateText.doGenerate`, `ai.streamText.doStream`, `ai.toolCall`… */
export const AI_OPERATION_ID = 'ai.operationId';
/** Outer spans: JSON `{system?, prompt?, messages?}`. */
export const AI_PROMPT = 'ai.prompt';
/** Provider-call spans: JSON list of the messages sent to the provider. */
export const AI_PROMPT_MESSAGES = 'ai.prompt.messages';
/** Provider-call spans: tool definitions, each a JSON string. */
export const AI_PROMPT_TOOLS = 'ai.prompt.tools';
/** The generated text. */
export const AI_RESPONSE_TEXT = 'ai.response.text';
/** JSON list of `{toolCallId, toolName, input|args}`. */
export const AI_RESPONSE_TOOL_CALLS = 'ai.response.toolCalls';
/** The reasoning text (v5). */
export const AI_RESPONSE_REASONING = 'ai.response.reasoning';
/** `generateObject`: the generated object, as JSON. */
export const AI_RESPONSE_OBJECT = 'ai.response.object';
/** The finish reason (`stop`, `tool-calls`, `length`…). */
export const AI_RESPONSE_FINISH_REASON = 'ai.response.finishReason';
/** The provider's response id. */
export const AI_RESPONSE_ID = 'ai.response.id';
/** The model that answered. */
export const AI_RESPONSE_MODEL = 'ai.response.model';
/** The model asked for. */
export const AI_MODEL_ID = 'ai.model.id';
/** The provider (`openai.chat`, `anthropic.messages`…). */
export const AI_MODEL_PROVIDER = 'ai.model.provider';
/** Prompt tokens (before v5). */
export const AI_USAGE_PROMPT_TOKENS = 'ai.usage.promptTokens';
/** Completion tokens (before v5). */
export const AI_USAGE_COMPLETION_TOKENS = 'ai.usage.completionTokens';
/** Input tokens (v5 and later). */
export const AI_USAGE_INPUT_TOKENS = 'ai.usage.inputTokens';
/** Output tokens (v5 and later). */
export const AI_USAGE_OUTPUT_TOKENS = 'ai.usage.outputTokens';
/** Total tokens (v5 and later). */
export const AI_USAGE_TOTAL_TOKENS = 'ai.usage.totalTokens';
/** Prefix of call settings: `ai.settings.temperature`, `.maxOutputTokens` (`.maxTokens` before v5), `.topP`… */
export const AI_SETTINGS_PREFIX = 'ai.settings';

// ── Resource ────────────────────────────────────────────────────────────────────────────────────

/** Resource attribute naming the service (OpenTelemetry). */
export const SERVICE_NAME = 'service.name';
