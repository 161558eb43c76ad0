/**
 * A call through the gateway as one OpenTelemetry GenAI client span: the `SpanRecord` an OTLP
 * receiver would decode from it, handed to the ingest path (convention mapping → `llm_calls`,
 * sequence ids, durable write, heartbeat) like a received span, and, for `--forward`, the OTLP/JSON
 * `ExportTraceServiceRequest` an exporter would send.
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
import { SpanKind, StatusCode } from '../spans/index.ts';
import type { AttributeValue, Attributes, SpanRecord } from '../spans/index.ts';
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

// The attributes that are doubles in the conventions: written as `doubleValue` even when the client
// wrote `1` rather than `1.0`.
const DOUBLE_ATTRIBUTES = new Set([GEN_AI_REQUEST_TEMPERATURE, GEN_AI_REQUEST_TOP_P, GEN_AI_REQUEST_FREQUENCY_PENALTY, GEN_AI_REQUEST_PRESENCE_PENALTY]);
// The resource of every gateway span (one object: the ingest path serialises it once per batch).
const GATEWAY_RESOURCE: Attributes = Object.freeze({ 'service.name': GATEWAY_SERVICE_NAME }) as Attributes;
const NO_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;

/**
 * The call as the span an OTLP receiver would decode from {@link encodeGatewaySpans}: what the
 * recorder hands to the ingest path (`TraceIngestor.ingestSpans`), with no OTLP encoding and
 * decoding in between.
 */
export function gatewaySpanRecord(call: GatewayCallRecord): SpanRecord {
  const requestModel = typeof call.request.model === 'string' ? call.request.model : null;
  return {
    traceId: call.traceId,
    spanId: call.spanId,
    parentSpanId: call.parentSpanId,
    traceState: '',
    flags: 0,
    name: requestModel ? `${call.operation} ${requestModel}` : call.operation,
    kind: SpanKind.CLIENT,
    startTimeUnixNano: call.startTimeUnixNano,
    endTimeUnixNano: call.endTimeUnixNano,
    attributes: gatewayAttributes(call, requestModel),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: call.error ? StatusCode.ERROR : StatusCode.UNSET,
    statusMessage: call.error?.message ?? '',
    resource: GATEWAY_RESOURCE,
    resourceSchemaUrl: '',
    scopeName: GATEWAY_SCOPE_NAME,
    scopeVersion: '',
    scopeAttributes: NO_ATTRIBUTES,
  };
}

/** The span's attributes, in the order they are written. */
function gatewayAttributes(call: GatewayCallRecord, requestModel: string | null): Attributes {
  const attributes: Attributes = {};
  const add = (key: string, value: unknown) => {
    const converted = attributeValue(value);
    if (converted !== null) attributes[key] = converted;
  };
  const addDouble = (key: string, value: number | null) => {
    if (value !== null) attributes[key] = value;
  };
  const request = call.request;
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
  return attributes;
}

/**
 * A value as an OTLP receiver decodes it: `null` (not written) for nothing or a non-finite number,
 * integers as numbers while safe and as bigints up to 64 bits (OTLP's `intValue`), larger ones as
 * doubles, arrays element by element (invalid elements left out), objects as JSON text.
 */
function attributeValue(value: unknown): AttributeValue | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    if (Number.isSafeInteger(value) || !Number.isInteger(value)) return value;
    const integer = BigInt(value);
    return BigInt.asIntN(64, integer) === integer ? integer : value;
  }
  if (Array.isArray(value)) {
    const values: AttributeValue[] = [];
    for (const item of value) {
      const converted = attributeValue(item);
      if (converted !== null) values.push(converted);
    }
    return values;
  }
  return JSON.stringify(value);
}

/** Encodes `calls` as one OTLP/JSON `ExportTraceServiceRequest` holding a span each. */
export function encodeGatewaySpans(calls: readonly GatewayCallRecord[]): Uint8Array {
  return encodeGatewaySpanRecords(calls.map(gatewaySpanRecord));
}

/** Encodes `call` as an OTLP/JSON `ExportTraceServiceRequest` holding its one span. */
export function encodeGatewaySpan(call: GatewayCallRecord): Uint8Array {
  return encodeGatewaySpans([call]);
}

// The request around the spans: one resource (the gateway's service), one scope.
const REQUEST_HEAD = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":${JSON.stringify(GATEWAY_SERVICE_NAME)}}}]},"scopeSpans":[{"scope":{"name":${JSON.stringify(GATEWAY_SCOPE_NAME)}},"spans":[`;
const REQUEST_TAIL = ']}]}]}';

/**
 * Spans made by {@link gatewaySpanRecord} as one OTLP/JSON `ExportTraceServiceRequest`: the very
 * bytes an OTLP exporter would send, for `--forward`.
 */
export function encodeGatewaySpanRecords(spans: readonly SpanRecord[]): Uint8Array {
  return Buffer.from(REQUEST_HEAD + spans.map((span) => JSON.stringify(otlpSpan(span))).join(',') + REQUEST_TAIL);
}

function otlpSpan(span: SpanRecord): Record<string, unknown> {
  const otlp: Record<string, unknown> = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: String(span.startTimeUnixNano),
    endTimeUnixNano: String(span.endTimeUnixNano),
    attributes: Object.entries(span.attributes).map(([key, value]) => ({ key, value: anyValue(value, DOUBLE_ATTRIBUTES.has(key)) })),
  };
  if (span.parentSpanId) otlp.parentSpanId = span.parentSpanId;
  if (span.statusCode !== StatusCode.UNSET) otlp.status = { code: span.statusCode, message: span.statusMessage };
  return otlp;
}

/** A value of {@link attributeValue} in the OTLP/JSON encoding. */
function anyValue(value: AttributeValue, double: boolean): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: String(value) };
  if (typeof value === 'number') return double || !Number.isSafeInteger(value) ? { doubleValue: value } : { intValue: String(value) };
  if (Array.isArray(value)) return { arrayValue: { values: value.map((item) => anyValue(item, false)) } };
  // attributeValue makes nothing else.
  return { stringValue: JSON.stringify(value) };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function integerOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}
