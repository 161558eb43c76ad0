/**
 * OTLP/HTTP JSON → {@link SpanRecord}s.
 *
 * OTLP/JSON is the protobuf JSON mapping with three OTLP-specific rules: trace and span ids are hex
 * (not base64), enums are integers, and keys are lowerCamelCase. Like protobuf JSON parsers, this
 * decoder also accepts the original snake_case field names and enum names, treats `null` as an
 * absent field, and ignores unknown fields.
 */
import { Buffer } from 'node:buffer';
import { InvalidRequestError } from '../errors/index.ts';
import type {
  AttributeValue,
  Attributes,
  DecodedTraces,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
} from '../spans/index.ts';
import { MAX_VALUE_NESTING, setAttribute } from './attributes.ts';
import {
  SPAN_ID_BYTES,
  TRACE_ID_BYTES,
  invalidIdHexReason,
  invalidParentIdHexReason,
  isAllZeroHex,
  isHex,
} from './id-validation.ts';
import { parseLosslessJson } from './lossless-json.ts';
import { SpanRejections } from './span-rejections.ts';

// The JSON objects are read field by field with both spellings written out at each site, e.g.
// `span.traceId ?? span.trace_id`: each site then sees one property name, which keeps V8's property
// lookups monomorphic on the hot path.
type JsonObject = Record<string, unknown>;

const SPAN_KIND_BY_NAME: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

const STATUS_CODE_BY_NAME: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);
const DECIMAL_INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const MAX_UINT32 = 0xffffffff;
const MAX_UINT64 = 0xffffffffffffffffn;
const MAX_QUOTED_VALUE_CHARS = 40;

/** A type error inside the request; the enclosing levels prepend where it happened. */
class JsonShapeError extends Error {
  path: string;

  constructor(path: string, problem: string) {
    super(problem);
    this.path = path;
  }

  /** Returns this error with `component` in front of its path. */
  within(component: string): JsonShapeError {
    this.path = this.path === '' || this.path.startsWith('[') ? component + this.path : `${component}.${this.path}`;
    return this;
  }
}

/** What the spans of one `ScopeSpans` share. */
interface ScopeContext {
  resource: Attributes;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/**
 * Decodes an OTLP `ExportTraceServiceRequest` in OTLP/JSON (the body of an `application/json`
 * POST to `/v1/traces`).
 *
 * 64-bit integers (timestamps, `intValue`) may be strings or bare JSON numbers; both are read
 * exactly, even beyond 2^53. Spans with unusable ids (trace id not 32 hex digits or all zero, span
 * id not 16 hex digits or all zero, parent span id neither empty nor 16 hex digits) are left out
 * and counted in `rejectedSpans`; the rest are returned in request order, with ids in lowercase.
 * An all-zero parent span id is read as "no parent"; a link with malformed ids is dropped and
 * counted in the span's `droppedLinksCount`.
 *
 * @throws {InvalidRequestError} when the body is not valid JSON, or a field has the wrong type
 *   (e.g. `resourceSpans` is not an array, a timestamp is not an integer, an enum name is unknown).
 */
export function decodeTracesJson(body: Uint8Array | string): DecodedTraces {
  let text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // RFC 8259 lets parsers skip a byte order mark, which JSON.parse itself rejects.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let request: unknown;
  try {
    request = parseLosslessJson(text);
  } catch (error) {
    throw new InvalidRequestError(`The body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const spans: SpanRecord[] = [];
  const rejections = new SpanRejections();
  try {
    const requestObject = asElement(request, '');
    const resourceSpansList = asArray(requestObject.resourceSpans ?? requestObject.resource_spans, 'resourceSpans');
    for (let index = 0; index < resourceSpansList.length; index++) {
      try {
        decodeResourceSpans(resourceSpansList[index], spans, rejections);
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`resourceSpans[${index}]`) : error;
      }
    }
  } catch (error) {
    if (!(error instanceof JsonShapeError)) throw error;
    const where = error.path === '' ? '' : ` at ${error.path}`;
    throw new InvalidRequestError(`Invalid OTLP/JSON ExportTraceServiceRequest${where}: ${error.message}`, { cause: error });
  }
  return { spans, rejectedSpans: rejections.count, rejectionMessage: rejections.message() };
}

function decodeResourceSpans(value: unknown, spans: SpanRecord[], rejections: SpanRejections): void {
  const resourceSpans = asElement(value, '');
  const resourceObject = asObject(resourceSpans.resource, 'resource');
  const resource: Attributes = {};
  if (resourceObject !== undefined) decodeAttributes(resourceObject.attributes, resource, 'resource.attributes');
  const resourceSchemaUrl = asString(resourceSpans.schemaUrl ?? resourceSpans.schema_url, 'schemaUrl');
  const scopeSpansList = asArray(resourceSpans.scopeSpans ?? resourceSpans.scope_spans, 'scopeSpans');
  for (let index = 0; index < scopeSpansList.length; index++) {
    const scopeSpans = asElement(scopeSpansList[index], `scopeSpans[${index}]`);
    const scope = asObject(scopeSpans.scope, `scopeSpans[${index}].scope`);
    const context: ScopeContext = { resource, resourceSchemaUrl, scopeName: '', scopeVersion: '', scopeAttributes: {} };
    const spanList = asArray(scopeSpans.spans, `scopeSpans[${index}].spans`);
    try {
      if (scope !== undefined) {
        context.scopeName = asString(scope.name, 'scope.name');
        context.scopeVersion = asString(scope.version, 'scope.version');
        decodeAttributes(scope.attributes, context.scopeAttributes, 'scope.attributes');
      }
      for (let spanIndex = 0; spanIndex < spanList.length; spanIndex++) {
        try {
          decodeSpan(spanList[spanIndex], context, spans, rejections);
        } catch (error) {
          throw error instanceof JsonShapeError ? error.within(`spans[${spanIndex}]`) : error;
        }
      }
    } catch (error) {
      throw error instanceof JsonShapeError ? error.within(`scopeSpans[${index}]`) : error;
    }
  }
}

function decodeSpan(value: unknown, context: ScopeContext, spans: SpanRecord[], rejections: SpanRejections): void {
  const span = asElement(value, '');
  const traceId = asIdString(span.traceId ?? span.trace_id, 'traceId');
  const spanId = asIdString(span.spanId ?? span.span_id, 'spanId');
  const parentHex = asIdString(span.parentSpanId ?? span.parent_span_id, 'parentSpanId');
  const name = asString(span.name, 'name');
  const statusObject = asObject(span.status, 'status');
  const attributes: Attributes = {};
  decodeAttributes(span.attributes, attributes, 'attributes');
  const eventList = asArray(span.events, 'events');
  const events: SpanEventRecord[] = new Array(eventList.length);
  for (let index = 0; index < eventList.length; index++) events[index] = decodeEvent(eventList[index], index);
  const linkList = asArray(span.links, 'links');
  const links: SpanLinkRecord[] = [];
  let droppedLinksCount = asUint32(span.droppedLinksCount ?? span.dropped_links_count, 'droppedLinksCount');
  for (let index = 0; index < linkList.length; index++) {
    const link = decodeLink(linkList[index], index);
    if (link === undefined) droppedLinksCount++;
    else links.push(link);
  }
  const record: SpanRecord = {
    traceId,
    spanId,
    parentSpanId: null,
    traceState: asString(span.traceState ?? span.trace_state, 'traceState'),
    flags: asUint32(span.flags, 'flags'),
    name,
    kind: asEnum(span.kind, SPAN_KIND_BY_NAME, 'kind'),
    startTimeUnixNano: asUint64(span.startTimeUnixNano ?? span.start_time_unix_nano, 'startTimeUnixNano'),
    endTimeUnixNano: asUint64(span.endTimeUnixNano ?? span.end_time_unix_nano, 'endTimeUnixNano'),
    attributes,
    droppedAttributesCount: asUint32(span.droppedAttributesCount ?? span.dropped_attributes_count, 'droppedAttributesCount'),
    events,
    droppedEventsCount: asUint32(span.droppedEventsCount ?? span.dropped_events_count, 'droppedEventsCount'),
    links,
    droppedLinksCount,
    statusCode: statusObject === undefined ? 0 : asEnum(statusObject.code, STATUS_CODE_BY_NAME, 'status.code'),
    statusMessage: statusObject === undefined ? '' : asString(statusObject.message, 'status.message'),
    resource: context.resource,
    resourceSchemaUrl: context.resourceSchemaUrl,
    scopeName: context.scopeName,
    scopeVersion: context.scopeVersion,
    scopeAttributes: context.scopeAttributes,
  };
  // Type errors above fail the whole request; bad id values only drop this span.
  const reason =
    invalidIdHexReason('traceId', traceId, TRACE_ID_BYTES) ??
    invalidIdHexReason('spanId', spanId, SPAN_ID_BYTES) ??
    invalidParentIdHexReason(parentHex);
  if (reason !== undefined) {
    rejections.add(`span ${JSON.stringify(name)}: ${reason}`);
    return;
  }
  record.traceId = traceId.toLowerCase();
  record.spanId = spanId.toLowerCase();
  // Some SDKs and format converters send zeros instead of leaving a root's parent empty.
  if (parentHex !== '' && !isAllZeroHex(parentHex)) record.parentSpanId = parentHex.toLowerCase();
  spans.push(record);
}

function decodeEvent(value: unknown, index: number): SpanEventRecord {
  const event = asElement(value, `events[${index}]`);
  try {
    const attributes: Attributes = {};
    decodeAttributes(event.attributes, attributes, 'attributes');
    return {
      timeUnixNano: asUint64(event.timeUnixNano ?? event.time_unix_nano, 'timeUnixNano'),
      name: asString(event.name, 'name'),
      attributes,
      droppedAttributesCount: asUint32(event.droppedAttributesCount ?? event.dropped_attributes_count, 'droppedAttributesCount'),
    };
  } catch (error) {
    throw error instanceof JsonShapeError ? error.within(`events[${index}]`) : error;
  }
}

/** Decodes a link, or returns `undefined` when its ids are not hex of the right lengths. */
function decodeLink(value: unknown, index: number): SpanLinkRecord | undefined {
  const link = asElement(value, `links[${index}]`);
  try {
    const traceId = asIdString(link.traceId ?? link.trace_id, 'traceId');
    const spanId = asIdString(link.spanId ?? link.span_id, 'spanId');
    const attributes: Attributes = {};
    decodeAttributes(link.attributes, attributes, 'attributes');
    const record: SpanLinkRecord = {
      traceId: traceId.toLowerCase(),
      spanId: spanId.toLowerCase(),
      traceState: asString(link.traceState ?? link.trace_state, 'traceState'),
      attributes,
      droppedAttributesCount: asUint32(link.droppedAttributesCount ?? link.dropped_attributes_count, 'droppedAttributesCount'),
      flags: asUint32(link.flags, 'flags'),
    };
    const valid =
      traceId.length === TRACE_ID_BYTES * 2 && isHex(traceId) && spanId.length === SPAN_ID_BYTES * 2 && isHex(spanId);
    return valid ? record : undefined;
  } catch (error) {
    throw error instanceof JsonShapeError ? error.within(`links[${index}]`) : error;
  }
}

/** Decodes a list of `KeyValue` objects into `target`. */
function decodeAttributes(value: unknown, target: Attributes, path: string): void {
  const list = asArray(value, path);
  for (let index = 0; index < list.length; index++) {
    const keyValue = asElement(list[index], `${path}[${index}]`);
    const key = asString(keyValue.key, `${path}[${index}].key`);
    try {
      setAttribute(target, key, decodeAnyValue(keyValue.value, 0));
    } catch (error) {
      throw error instanceof JsonShapeError ? error.within(`${path}[${JSON.stringify(key)}].value`) : error;
    }
  }
}

function decodeAnyValue(value: unknown, depth: number): AttributeValue {
  const anyValue = asObject(value, '');
  if (anyValue === undefined) return null;
  let member: unknown;
  if ((member = anyValue.stringValue ?? anyValue.string_value) != null) {
    if (typeof member !== 'string') throw typeError('stringValue', 'a string', member);
    return member;
  }
  if ((member = anyValue.intValue ?? anyValue.int_value) != null) return asInt64(member, 'intValue');
  if ((member = anyValue.doubleValue ?? anyValue.double_value) != null) return asDouble(member, 'doubleValue');
  if ((member = anyValue.boolValue ?? anyValue.bool_value) != null) {
    if (typeof member !== 'boolean') throw typeError('boolValue', 'true or false', member);
    return member;
  }
  if ((member = anyValue.arrayValue ?? anyValue.array_value) != null) {
    if (depth >= MAX_VALUE_NESTING) throw new JsonShapeError('arrayValue', `values nest deeper than ${MAX_VALUE_NESTING} levels`);
    const list = asArray(asObject(member, 'arrayValue')!.values, 'arrayValue.values');
    const array: AttributeValue[] = new Array(list.length);
    for (let index = 0; index < list.length; index++) {
      try {
        array[index] = decodeAnyValue(list[index], depth + 1);
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`arrayValue.values[${index}]`) : error;
      }
    }
    return array;
  }
  if ((member = anyValue.kvlistValue ?? anyValue.kvlist_value) != null) {
    if (depth >= MAX_VALUE_NESTING) throw new JsonShapeError('kvlistValue', `values nest deeper than ${MAX_VALUE_NESTING} levels`);
    const object: Attributes = {};
    decodeAttributes(asObject(member, 'kvlistValue')!.values, object, 'kvlistValue.values');
    return object;
  }
  if ((member = anyValue.bytesValue ?? anyValue.bytes_value) != null) {
    if (typeof member !== 'string' || !BASE64.test(member)) throw typeError('bytesValue', 'a base64 string', member);
    // Copied out of Buffer's shared allocation pool into a plain Uint8Array of its own.
    return new Uint8Array(Buffer.from(member, 'base64'));
  }
  return null;
}

/** `value` as an object; throws for anything else, `null` included (an element of a list). */
function asElement(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(path, 'an object', value);
  return value as JsonObject;
}

/** `value` as an object, `undefined` for an absent field; throws for any other type. */
function asObject(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(path, 'an object', value);
  return value as JsonObject;
}

function asArray(value: unknown, path: string): readonly unknown[] {
  if (value === undefined || value === null) return EMPTY_ARRAY;
  if (!Array.isArray(value)) throw typeError(path, 'an array', value);
  return value;
}

function asString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw typeError(path, 'a string', value);
}

function asIdString(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw typeError(path, 'a hex string', value);
}

function asUint32(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  const number = typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > MAX_UINT32) {
    throw typeError(path, 'an unsigned 32-bit integer', value);
  }
  return number;
}

function asUint64(value: unknown, path: string): bigint {
  if (typeof value === 'string') {
    if (DECIMAL_INTEGER.test(value)) {
      const integer = BigInt(value);
      if (integer >= 0n && integer <= MAX_UINT64) return integer;
    }
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return BigInt(value);
  } else if (value === undefined || value === null) {
    return 0n;
  }
  throw typeError(path, 'an unsigned 64-bit integer (a number or a decimal string)', value);
}

function asInt64(value: unknown, path: string): number | bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
  } else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) {
    // Up to 15 digits always fit a double exactly.
    if (value.length <= 15) return Number(value);
    const integer = BigInt(value);
    if (integer >= -0x8000000000000000n && integer <= 0x7fffffffffffffffn) {
      return integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer;
    }
  }
  throw typeError(path, 'a signed 64-bit integer (a number or a decimal string)', value);
}

function asDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    // The protobuf JSON mapping writes non-finite doubles as these strings; numbers may be quoted.
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const number = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isNaN(number)) return number;
  }
  throw typeError(path, 'a number', value);
}

function asEnum(value: unknown, byName: Readonly<Record<string, number>>, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) return value;
  if (typeof value === 'string' && Object.hasOwn(byName, value)) return byName[value];
  throw typeError(path, `an integer or one of ${Object.keys(byName).join(', ')}`, value);
}

function typeError(path: string, expected: string, actual: unknown): JsonShapeError {
  return new JsonShapeError(path, `expected ${expected}, got ${describe(actual)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_QUOTED_VALUE_CHARS ? `${text.slice(0, MAX_QUOTED_VALUE_CHARS)}…` : text;
}
