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
 * Inputs and outputs are each taken from the first of these forms that holds any message (read in
 * `gen-ai-messages.ts`).
 */
import type { SpanRecord } from '../spans/index.ts';
import type { ChatToolDefinition, JsonValue } from './chat-message.ts';
import type { LlmCallRecord } from './span-mapping.ts';
import {
  groupIndexed,
  readCount,
  readParameter,
  readString,
  readStringList,
  readTotalTokens,
  type LooseRecord,
} from './attribute-values.ts';
import { toolDefinition, toolDefinitions } from './chat-message-builders.ts';
import { readGenAiInputMessages, readGenAiOutputMessages } from './gen-ai-messages.ts';
import {
  GEN_AI_OPERATION_NAME,
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
  GEN_AI_TOOL_DEFINITIONS,
  GEN_AI_USAGE_COMPLETION_TOKENS,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_USAGE_PROMPT_TOKENS,
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
  const inputMessages = readGenAiInputMessages(span, attributes);
  const outputMessages = readGenAiOutputMessages(span, attributes, choiceFinishReasons);
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
    totalTokens: readTotalTokens(attributes[LLM_USAGE_TOTAL_TOKENS], inputTokens, outputTokens),
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
