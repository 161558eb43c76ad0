/**
 * A call through the gateway as one OpenTelemetry GenAI client span, encoded as an OTLP/JSON
 * `ExportTraceServiceRequest`: the very bytes an OTLP exporter would send, so that the call takes
 * the receiver's ingest path (decode → convention mapping → `llm_calls`, sequence ids, heartbeat)
 * and `--forward` sends it on like any received request.
 */
import {
  AGL_ATTEMPT_ID,
  AGL_ROLLOUT_ID,
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OPERATION_NAME,
  GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_CHOICE_COUNT,
  GEN_AI_REQUEST_FREQUENCY_PENALTY,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_PRESENCE_PENALTY,
  GEN_AI_REQUEST_SEED,
  GEN_AI_REQUEST_STOP_SEQUENCES,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_REQUEST_TOP_P,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_TOOL_DEFINITIONS,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
} from '../semconv/index.ts';
import type { GenAiInputMessage, GenAiOutputMessage } from './gen-ai-messages.ts';

/** Span attribute: the prompt's token ids (vLLM's `prompt_token_ids`), an int array. */
export const AGL_PROMPT_TOKEN_IDS = 'agentlightning.prompt_token_ids';
/** Span attribute: the first choice's token ids (vLLM's `choices[0].token_ids`), an int array. */
export const AGL_RESPONSE_TOKEN_IDS = 'agentlightning.response_token_ids';
/** Span attribute: how the gateway applied the rollout's prompt (`system`, `marker`), when it was asked to. */
export const AGL_GATEWAY_PROMPT_MODE = 'agentlightning.gateway.prompt_mode';
/** Span attribute: whether the prompt was put into the request (`false`: marker mode found no marker). */
export const AGL_GATEWAY_PROMPT_APPLIED = 'agentlightning.gateway.prompt_applied';
/** Span attribute: the resources id whose prompt was applied. */
export const AGL_RESOURCES_ID = 'agentlightning.resources_id';
/** Span attribute: whether the answer was streamed. */
export const AGL_GATEWAY_STREAM = 'agentlightning.gateway.stream';

/** The OTLP instrumentation scope of gateway spans. */
export const GATEWAY_SCOPE_NAME = 'agentlightning.gateway';
/** The `service.name` of gateway spans. */
export const GATEWAY_SERVICE_NAME = 'agl-gateway';

/** Everything recorded about one call through the gateway. */
export interface GatewayCallRecord {
  /** `chat` or `text_completion` (`gen_ai.operation.name`). */
  operation: 'chat' | 'text_completion';
  /** 32 lowercase hex: the client's trace (W3C `traceparent`) or a new one. */
  traceId: string;
  /** 16 lowercase hex. */
  spanId: string;
  /** The client's span from `traceparent`, else `null`. */
  parentSpanId: string | null;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  rolloutId: string | null;
  attemptId: string | null;
  /** The request body as sent upstream. */
  request: Record<string, unknown>;
  /** Input messages as sent upstream, in the GenAI schema. */
  inputMessages: GenAiInputMessage[];
  outputMessages: GenAiOutputMessage[];
  /** The choices' `finish_reason`s as the upstream gave them. */
  finishReasons: string[];
  responseModel: string | null;
  responseId: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  promptTokenIds: number[] | null;
  responseTokenIds: number[] | null;
  /** The failure (`error.type`, status description), or `null`. */
  error: { type: string; message: string } | null;
  /** The upstream's host and port (`server.address`, `server.port`). */
  server: { address: string; port: number } | null;
  /** Further span attributes (prompt application, stream…). */
  attributes: Record<string, string | number | boolean>;
}

/** OTLP `AnyValue` in the OTLP/JSON encoding. */
type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } };

const SPAN_KIND_CLIENT = 3;
const STATUS_CODE_ERROR = 2;

/** Encodes `calls` as one OTLP/JSON `ExportTraceServiceRequest` holding a span each. */
export function encodeGatewaySpans(calls: readonly GatewayCallRecord[]): Uint8Array {
  return encodeGatewaySpanJsons(calls.map(encodeGatewaySpanJson));
}

/**
 * One call's span as OTLP/JSON text (an element of `scopeSpans[].spans`), for
 * {@link encodeGatewaySpanJsons}: the recorder encodes each call as it ends, so that only a flat
 * string, not the call's request and answer objects, waits for its batch.
 */
export function encodeGatewaySpanJson(call: GatewayCallRecord): string {
  return JSON.stringify(otlpSpan(call));
}

// The request around the spans: one resource (the gateway's service), one scope.
const REQUEST_HEAD = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":${JSON.stringify(GATEWAY_SERVICE_NAME)}}}]},"scopeSpans":[{"scope":{"name":${JSON.stringify(GATEWAY_SCOPE_NAME)}},"spans":[`;
const REQUEST_TAIL = ']}]}]}';

/** The OTLP/JSON `ExportTraceServiceRequest` holding spans encoded by {@link encodeGatewaySpanJson}. */
export function encodeGatewaySpanJsons(spans: readonly string[]): Uint8Array {
  return Buffer.from(REQUEST_HEAD + spans.join(',') + REQUEST_TAIL);
}

/** Encodes `call` as an OTLP/JSON `ExportTraceServiceRequest` holding its one span. */
export function encodeGatewaySpan(call: GatewayCallRecord): Uint8Array {
  return encodeGatewaySpans([call]);
}

function otlpSpan(call: GatewayCallRecord): Record<string, unknown> {
  const attributes: [string, AnyValue][] = [];
  const add = (key: string, value: unknown) => {
    const encoded = anyValue(value);
    if (encoded !== null) attributes.push([key, encoded]);
  };
  // Doubles in the conventions stay doubles when the client wrote `1` rather than `1.0`.
  const addDouble = (key: string, value: number | null) => {
    if (value !== null) attributes.push([key, { doubleValue: value }]);
  };
  const request = call.request;
  const requestModel = typeof request.model === 'string' ? request.model : null;
  add(GEN_AI_OPERATION_NAME, call.operation);
  add(GEN_AI_PROVIDER_NAME, 'openai');
  add(GEN_AI_REQUEST_MODEL, requestModel);
  addDouble(GEN_AI_REQUEST_TEMPERATURE, numberOrNull(request.temperature));
  addDouble(GEN_AI_REQUEST_TOP_P, numberOrNull(request.top_p));
  add(GEN_AI_REQUEST_MAX_TOKENS, integerOrNull(request.max_completion_tokens) ?? integerOrNull(request.max_tokens));
  addDouble(GEN_AI_REQUEST_FREQUENCY_PENALTY, numberOrNull(request.frequency_penalty));
  addDouble(GEN_AI_REQUEST_PRESENCE_PENALTY, numberOrNull(request.presence_penalty));
  add(GEN_AI_REQUEST_SEED, integerOrNull(request.seed));
  const choiceCount = integerOrNull(request.n);
  if (choiceCount !== null && choiceCount !== 1) add(GEN_AI_REQUEST_CHOICE_COUNT, choiceCount);
  if (typeof request.stop === 'string') add(GEN_AI_REQUEST_STOP_SEQUENCES, [request.stop]);
  else if (Array.isArray(request.stop)) add(GEN_AI_REQUEST_STOP_SEQUENCES, request.stop.filter((item) => typeof item === 'string'));
  if (Array.isArray(request.tools) && request.tools.length > 0) add(GEN_AI_TOOL_DEFINITIONS, JSON.stringify(request.tools));
  add(GEN_AI_INPUT_MESSAGES, JSON.stringify(call.inputMessages));
  if (call.outputMessages.length > 0) add(GEN_AI_OUTPUT_MESSAGES, JSON.stringify(call.outputMessages));
  add(GEN_AI_RESPONSE_MODEL, call.responseModel);
  add(GEN_AI_RESPONSE_ID, call.responseId);
  if (call.finishReasons.length > 0) add(GEN_AI_RESPONSE_FINISH_REASONS, call.finishReasons);
  add(GEN_AI_USAGE_INPUT_TOKENS, call.inputTokens);
  add(GEN_AI_USAGE_OUTPUT_TOKENS, call.outputTokens);
  if (call.server) {
    add('server.address', call.server.address);
    add('server.port', call.server.port);
  }
  if (call.error) add('error.type', call.error.type);
  add(AGL_ROLLOUT_ID, call.rolloutId);
  add(AGL_ATTEMPT_ID, call.attemptId);
  add(AGL_PROMPT_TOKEN_IDS, call.promptTokenIds);
  add(AGL_RESPONSE_TOKEN_IDS, call.responseTokenIds);
  for (const [key, value] of Object.entries(call.attributes)) add(key, value);

  const span: Record<string, unknown> = {
    traceId: call.traceId,
    spanId: call.spanId,
    name: requestModel ? `${call.operation} ${requestModel}` : call.operation,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: String(call.startTimeUnixNano),
    endTimeUnixNano: String(call.endTimeUnixNano),
    attributes: attributes.map(([key, value]) => ({ key, value })),
  };
  if (call.parentSpanId) span.parentSpanId = call.parentSpanId;
  if (call.error) span.status = { code: STATUS_CODE_ERROR, message: call.error.message };
  return span;
}

function anyValue(value: unknown): AnyValue | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (Array.isArray(value)) {
    const values: AnyValue[] = [];
    for (const item of value) {
      const encoded = anyValue(item);
      if (encoded !== null) values.push(encoded);
    }
    return { arrayValue: { values } };
  }
  return { stringValue: JSON.stringify(value) };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function integerOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}
