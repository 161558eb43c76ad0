/**
 * OTLP/HTTP binary protobuf → {@link SpanRecord}s, in one pass over the wire format with
 * protobufjs's `Reader`.
 *
 * protobufjs's generated `decode()` (over the same `.proto` files) builds an intermediate message
 * tree, with a `Long` per timestamp and oneof bookkeeping that deletes properties, and measured at
 * less than half this decoder's speed. This decoder drives the same `Reader` by hand instead, the
 * way the generated code does (a loop over tags per message, the reader's length narrowed to each
 * embedded message), but writes straight into span records (tests check it against `decode()` on
 * random requests). The tags it switches on come from the loaded schema ({@link fieldTags}); a
 * known field with an unexpected wire type is skipped like an unknown field, as protobuf parsers do.
 */
import { Buffer } from 'node:buffer';
import protobuf from 'protobufjs';
import type {
  AttributeValue,
  Attributes,
  DecodedTraces,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
} from '../spans/index.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { MAX_VALUE_NESTING, setAttribute } from './attributes.ts';
import { fieldTags } from './field-tags.ts';
import { SPAN_ID_BYTES, TRACE_ID_BYTES, invalidIdBytesReason, invalidParentIdBytesReason } from './id-validation.ts';
import { otlpRoot, otlpTypes } from './proto-schema.ts';
import { SpanRejections } from './span-rejections.ts';

// ---- Tags, resolved once from the schema ----

const REQUEST = fieldTags(otlpTypes.exportTraceServiceRequest, { resourceSpans: 'message' });
const RESOURCE_SPANS = fieldTags(otlpRoot.lookupType('opentelemetry.proto.trace.v1.ResourceSpans'), {
  resource: 'message',
  scopeSpans: 'message',
  schemaUrl: 'string',
});
const RESOURCE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.resource.v1.Resource'), { attributes: 'message' });
const SCOPE_SPANS = fieldTags(otlpRoot.lookupType('opentelemetry.proto.trace.v1.ScopeSpans'), { scope: 'message', spans: 'message' });
const SCOPE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.InstrumentationScope'), {
  name: 'string',
  version: 'string',
  attributes: 'message',
});
const SPAN = fieldTags(otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span'), {
  traceId: 'bytes',
  spanId: 'bytes',
  traceState: 'string',
  parentSpanId: 'bytes',
  flags: 'fixed32',
  name: 'string',
  kind: 'enum',
  startTimeUnixNano: 'fixed64',
  endTimeUnixNano: 'fixed64',
  attributes: 'message',
  droppedAttributesCount: 'uint32',
  events: 'message',
  droppedEventsCount: 'uint32',
  links: 'message',
  droppedLinksCount: 'uint32',
  status: 'message',
});
const STATUS = fieldTags(otlpRoot.lookupType('opentelemetry.proto.trace.v1.Status'), { message: 'string', code: 'enum' });
const EVENT = fieldTags(otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span.Event'), {
  timeUnixNano: 'fixed64',
  name: 'string',
  attributes: 'message',
  droppedAttributesCount: 'uint32',
});
const LINK = fieldTags(otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span.Link'), {
  traceId: 'bytes',
  spanId: 'bytes',
  traceState: 'string',
  attributes: 'message',
  droppedAttributesCount: 'uint32',
  flags: 'fixed32',
});
const KEY_VALUE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.KeyValue'), { key: 'string', value: 'message' });
const ANY_VALUE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.AnyValue'), {
  stringValue: 'string',
  boolValue: 'bool',
  intValue: 'int64',
  doubleValue: 'double',
  arrayValue: 'message',
  kvlistValue: 'message',
  bytesValue: 'bytes',
});
const ARRAY_VALUE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.ArrayValue'), { values: 'message' });
const KEY_VALUE_LIST = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.KeyValueList'), { values: 'message' });

// ---- The reader ----

// Node's own Buffer slicers: `toString(encoding, start, end)` dispatches on the encoding name on
// every call, which is measurable when a request holds tens of thousands of short strings.
interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}

/** protobufjs's Node reader; it is always given a Buffer here, so `buf` has Node's slicers. */
interface BodyReader extends protobuf.BufferReader {
  buf: SlicingBuffer;
}

/** What a read past the end of the body or of an embedded message reports. */
const TRUNCATED = 'the data is truncated or a length is out of range';
/** Wire type of varints (`int32`, `uint32`, `int64`, `bool`, enums). */
const VARINT = 0;
const TWO_POW_32 = 4294967296;
/** Below this high word, `high * 2^32 + low` is an exact double. */
const SAFE_HIGH_WORD = 0x200000;

/** Longest string {@link cachedString} caches. */
const MAX_CACHED_STRING_BYTES = 48;
const STRING_CACHE_MASK = 4095;
// Shared by all requests: it only ever maps bytes to the string they decode to, so a stale or
// overwritten slot costs a miss, never a wrong answer. Bounded at 4096 short strings.
const stringCache: (string | undefined)[] = new Array(STRING_CACHE_MASK + 1).fill(undefined);

/** What the spans of one `ScopeSpans` share. */
interface ScopeContext {
  resource: Attributes;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** Where decoded spans and rejections go. */
interface DecodeTarget {
  spans: SpanRecord[];
  rejections: SpanRejections;
}

/**
 * Decodes an OTLP `ExportTraceServiceRequest` in binary protobuf (the body of an
 * `application/x-protobuf` POST to `/v1/traces`).
 *
 * Spans with unusable ids (trace id not 16 bytes or all zero, span id not 8 bytes or all zero,
 * parent span id neither empty nor 8 bytes) are left out and counted in `rejectedSpans`; the rest
 * are returned in request order. An all-zero parent span id is read as "no parent". A link
 * whose ids have the wrong lengths is dropped and counted in the span's `droppedLinksCount`.
 *
 * @throws {InvalidRequestError} when the bytes are not a well-formed `ExportTraceServiceRequest`.
 */
export function decodeTracesProtobuf(body: Uint8Array): DecodedTraces {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const reader = protobuf.Reader.create(buffer) as BodyReader;
  const target: DecodeTarget = { spans: [], rejections: new SpanRejections() };
  try {
    while (reader.pos < reader.len) {
      const tag = reader.tag();
      if (tag === REQUEST.resourceSpans) decodeResourceSpans(reader, target);
      else skipField(reader, tag);
    }
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    // protobufjs's Reader reports a read past the end of the body or of an embedded message as a
    // RangeError, and a malformed varint, tag, length or wire type as a plain Error.
    if (error instanceof RangeError) throw decodeError(reader, TRUNCATED, error);
    if (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype) throw decodeError(reader, error.message, error);
    throw error;
  }
  return { spans: target.spans, rejectedSpans: target.rejections.count, rejectionMessage: target.rejections.message() };
}

function decodeResourceSpans(reader: BodyReader, target: DecodeTarget): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: ScopeContext = { resource: {}, resourceSchemaUrl: '', scopeName: '', scopeVersion: '', scopeAttributes: {} };
  // Protobuf lets fields come in any order, so read the resource before the spans that share it.
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE_SPANS.resource) decodeResource(reader, context.resource);
    else if (tag === RESOURCE_SPANS.schemaUrl) context.resourceSchemaUrl = reader.string();
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE_SPANS.scopeSpans) decodeScopeSpans(reader, context, target);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeResource(reader: BodyReader, attributes: Attributes): void {
  const outerLen = enterMessage(reader);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE.attributes) decodeKeyValue(reader, attributes, 0);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeScopeSpans(reader: BodyReader, resourceContext: ScopeContext, target: DecodeTarget): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: ScopeContext = {
    resource: resourceContext.resource,
    resourceSchemaUrl: resourceContext.resourceSchemaUrl,
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
  };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === SCOPE_SPANS.scope) decodeScope(reader, context);
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === SCOPE_SPANS.spans) decodeSpan(reader, context, target);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeScope(reader: BodyReader, context: ScopeContext): void {
  const outerLen = enterMessage(reader);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case SCOPE.name:
        context.scopeName = reader.string();
        break;
      case SCOPE.version:
        context.scopeVersion = reader.string();
        break;
      case SCOPE.attributes:
        decodeKeyValue(reader, context.scopeAttributes, 0);
        break;
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;
}

function decodeSpan(reader: BodyReader, context: ScopeContext, target: DecodeTarget): void {
  const outerLen = enterMessage(reader);
  // Ids are kept as byte ranges of the body until the span is known to be valid.
  let traceIdStart = 0;
  let traceIdLength = 0;
  let spanIdStart = 0;
  let spanIdLength = 0;
  let parentStart = 0;
  let parentLength = 0;
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  const events: SpanEventRecord[] = [];
  let droppedEventsCount = 0;
  const links: SpanLinkRecord[] = [];
  let droppedLinksCount = 0;
  let statusCode = 0;
  let statusMessage = '';
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case SPAN.attributes:
        decodeKeyValue(reader, attributes, 0);
        break;
      case SPAN.traceId:
        traceIdLength = reader.size();
        traceIdStart = reader.pos;
        reader.skip(traceIdLength);
        break;
      case SPAN.spanId:
        spanIdLength = reader.size();
        spanIdStart = reader.pos;
        reader.skip(spanIdLength);
        break;
      case SPAN.parentSpanId:
        parentLength = reader.size();
        parentStart = reader.pos;
        reader.skip(parentLength);
        break;
      case SPAN.name:
        name = cachedString(reader);
        break;
      case SPAN.kind:
        kind = reader.int32();
        break;
      case SPAN.startTimeUnixNano:
        startTimeUnixNano = readFixed64(reader);
        break;
      case SPAN.endTimeUnixNano:
        endTimeUnixNano = readFixed64(reader);
        break;
      case SPAN.flags:
        flags = reader.fixed32();
        break;
      case SPAN.traceState:
        traceState = reader.string();
        break;
      case SPAN.droppedAttributesCount:
        droppedAttributesCount = reader.uint32();
        break;
      case SPAN.events:
        events.push(decodeEvent(reader));
        break;
      case SPAN.droppedEventsCount:
        droppedEventsCount = reader.uint32();
        break;
      case SPAN.links: {
        const link = decodeLink(reader);
        if (link === undefined) droppedLinksCount++;
        else links.push(link);
        break;
      }
      case SPAN.droppedLinksCount:
        // Added to, not assigned: links dropped for bad ids may already have been counted.
        droppedLinksCount += reader.uint32();
        break;
      case SPAN.status: {
        const spanLen = enterMessage(reader);
        while (reader.pos < reader.len) {
          const statusTag = reader.tag();
          if (statusTag === STATUS.message) statusMessage = reader.string();
          else if (statusTag === STATUS.code) statusCode = reader.int32();
          else skipField(reader, statusTag);
        }
        reader.len = spanLen;
        break;
      }
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;

  const buf = reader.buf;
  const traceIdEnd = traceIdStart + traceIdLength;
  const spanIdEnd = spanIdStart + spanIdLength;
  const parentEnd = parentStart + parentLength;
  if (
    traceIdLength !== TRACE_ID_BYTES ||
    isZeroRange(buf, traceIdStart, traceIdEnd) ||
    spanIdLength !== SPAN_ID_BYTES ||
    isZeroRange(buf, spanIdStart, spanIdEnd) ||
    (parentLength !== 0 && parentLength !== SPAN_ID_BYTES)
  ) {
    target.rejections.add(
      invalidSpanReason(
        name,
        buf.subarray(traceIdStart, traceIdEnd),
        buf.subarray(spanIdStart, spanIdEnd),
        buf.subarray(parentStart, parentEnd),
      ),
    );
    return;
  }
  target.spans.push({
    traceId: buf.hexSlice(traceIdStart, traceIdEnd),
    spanId: buf.hexSlice(spanIdStart, spanIdEnd),
    // Some SDKs and format converters send eight zero bytes instead of leaving a root's parent empty.
    parentSpanId: parentLength === 0 || isZeroRange(buf, parentStart, parentEnd) ? null : buf.hexSlice(parentStart, parentEnd),
    traceState,
    flags,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    statusCode,
    statusMessage,
    resource: context.resource,
    resourceSchemaUrl: context.resourceSchemaUrl,
    scopeName: context.scopeName,
    scopeVersion: context.scopeVersion,
    scopeAttributes: context.scopeAttributes,
  });
}

function invalidSpanReason(name: string, traceId: Uint8Array, spanId: Uint8Array, parentSpanId: Uint8Array): string {
  const reason =
    invalidIdBytesReason('traceId', traceId, TRACE_ID_BYTES) ??
    invalidIdBytesReason('spanId', spanId, SPAN_ID_BYTES) ??
    invalidParentIdBytesReason(parentSpanId) ??
    'invalid ids';
  return `span ${JSON.stringify(name)}: ${reason}`;
}

function decodeEvent(reader: BodyReader): SpanEventRecord {
  const outerLen = enterMessage(reader);
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case EVENT.timeUnixNano:
        timeUnixNano = readFixed64(reader);
        break;
      case EVENT.name:
        name = cachedString(reader);
        break;
      case EVENT.attributes:
        decodeKeyValue(reader, attributes, 0);
        break;
      case EVENT.droppedAttributesCount:
        droppedAttributesCount = reader.uint32();
        break;
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

/** Decodes a link, or returns `undefined` when its ids have the wrong lengths. */
function decodeLink(reader: BodyReader): SpanLinkRecord | undefined {
  const outerLen = enterMessage(reader);
  let traceIdStart = 0;
  let traceIdLength = 0;
  let spanIdStart = 0;
  let spanIdLength = 0;
  let traceState = '';
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  let flags = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case LINK.traceId:
        traceIdLength = reader.size();
        traceIdStart = reader.pos;
        reader.skip(traceIdLength);
        break;
      case LINK.spanId:
        spanIdLength = reader.size();
        spanIdStart = reader.pos;
        reader.skip(spanIdLength);
        break;
      case LINK.traceState:
        traceState = reader.string();
        break;
      case LINK.attributes:
        decodeKeyValue(reader, attributes, 0);
        break;
      case LINK.droppedAttributesCount:
        droppedAttributesCount = reader.uint32();
        break;
      case LINK.flags:
        flags = reader.fixed32();
        break;
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;
  if (traceIdLength !== TRACE_ID_BYTES || spanIdLength !== SPAN_ID_BYTES) return undefined;
  return {
    traceId: reader.buf.hexSlice(traceIdStart, traceIdStart + traceIdLength),
    spanId: reader.buf.hexSlice(spanIdStart, spanIdStart + spanIdLength),
    traceState,
    attributes,
    droppedAttributesCount,
    flags,
  };
}

/** Decodes one `KeyValue` message into `attributes`. */
function decodeKeyValue(reader: BodyReader, attributes: Attributes, depth: number): void {
  const outerLen = enterMessage(reader);
  let key = '';
  let value: AttributeValue = null;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === KEY_VALUE.key) key = cachedString(reader);
    else if (tag === KEY_VALUE.value) value = decodeAnyValue(reader, depth);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  setAttribute(attributes, key, value);
}

function decodeAnyValue(reader: BodyReader, depth: number): AttributeValue {
  const outerLen = enterMessage(reader);
  let value: AttributeValue = null;
  // When a oneof member appears more than once, protobuf keeps the last one.
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case ANY_VALUE.stringValue:
        value = cachedString(reader);
        break;
      case ANY_VALUE.boolValue:
        value = reader.bool();
        break;
      case ANY_VALUE.intValue: {
        // A `Long` (proto-schema.ts wires long.js into protobufjs), read back as a number or bigint.
        const long = reader.int64();
        value = toInt64(long.low, long.high);
        break;
      }
      case ANY_VALUE.doubleValue:
        value = reader.double();
        break;
      case ANY_VALUE.arrayValue:
        value = decodeArrayValue(reader, depth + 1);
        break;
      case ANY_VALUE.kvlistValue:
        value = decodeKeyValueList(reader, depth + 1);
        break;
      case ANY_VALUE.bytesValue:
        // A copy through the Uint8Array constructor: detached from the body, and not a Buffer.
        value = new Uint8Array(reader.bytes());
        break;
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;
  return value;
}

function decodeArrayValue(reader: BodyReader, depth: number): AttributeValue[] {
  if (depth > MAX_VALUE_NESTING) throw decodeError(reader, `attribute values nest deeper than ${MAX_VALUE_NESTING} levels`);
  const outerLen = enterMessage(reader);
  const values: AttributeValue[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === ARRAY_VALUE.values) values.push(decodeAnyValue(reader, depth));
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  return values;
}

function decodeKeyValueList(reader: BodyReader, depth: number): Attributes {
  if (depth > MAX_VALUE_NESTING) throw decodeError(reader, `attribute values nest deeper than ${MAX_VALUE_NESTING} levels`);
  const outerLen = enterMessage(reader);
  const object: Attributes = {};
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === KEY_VALUE_LIST.values) decodeKeyValue(reader, object, depth);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  return object;
}

// ---- Reading helpers ----

/**
 * Reads the length prefix of an embedded message and narrows the reader to it, as protobufjs's
 * generated decoders do, so that any read past the message's end fails. Returns the enclosing
 * length, which the caller restores once `reader.pos` reaches the narrowed `reader.len`.
 */
function enterMessage(reader: BodyReader): number {
  const outerLen = reader.len;
  const end = reader.size() + reader.pos;
  if (end > outerLen) throw decodeError(reader, TRUNCATED);
  reader.len = end;
  return outerLen;
}

/** Skips the value of a field that was not read (unknown, or a known field with another wire type). */
function skipField(reader: BodyReader, tag: number): void {
  // `skip()` steps over a varint of any length; reading it refuses one longer than ten bytes.
  // Field number 0 goes to `skipType()`, which refuses it.
  if ((tag & 7) === VARINT && tag > 7) reader.uint32();
  else reader.skipType(tag & 7, 0, tag >>> 3);
}

/**
 * Reads a `fixed64` as an exact unsigned `bigint`, as two `fixed32` halves (`Reader.fixed64()`
 * would allocate a `Long`).
 */
function readFixed64(reader: BodyReader): bigint {
  const low = reader.fixed32();
  const high = reader.fixed32();
  if (high < SAFE_HIGH_WORD) return BigInt(high * TWO_POW_32 + low);
  return BigInt(high * TWO_POW_32) + BigInt(low);
}

/** The signed 64-bit integer with these 32-bit halves, as a `number` when safe, else a `bigint`. */
function toInt64(low: number, high: number): number | bigint {
  const value = (high | 0) * TWO_POW_32 + (low >>> 0);
  // Inside the safe range the double arithmetic above is exact; outside it may have rounded.
  if (Number.isSafeInteger(value)) return value;
  return (BigInt(high | 0) << 32n) | BigInt(low >>> 0);
}

/**
 * Like `reader.string()`, for strings that tend to repeat (attribute keys, span and event names,
 * short values): short ASCII strings come from a small cache, so that a request repeating the same
 * keys on every span decodes each one once.
 */
function cachedString(reader: BodyReader): string {
  const length = reader.size();
  const start = reader.pos;
  reader.skip(length);
  const buf = reader.buf;
  const end = start + length;
  if (length > MAX_CACHED_STRING_BYTES) return buf.utf8Slice(start, end);
  if (length === 0) return '';
  let hash = length;
  let index = start;
  for (const stop = end - 3; index < stop; index += 4) {
    hash = Math.imul(hash ^ (buf[index] | (buf[index + 1] << 8) | (buf[index + 2] << 16) | (buf[index + 3] << 24)), 0x01000193);
  }
  for (; index < end; index++) hash = Math.imul(hash ^ buf[index], 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & STRING_CACHE_MASK;
  const cached = stringCache[slot];
  if (cached !== undefined && cached.length === length) {
    let offset = 0;
    while (offset < length && cached.charCodeAt(offset) === buf[start + offset]) offset++;
    if (offset === length) return cached;
  }
  const decoded = buf.utf8Slice(start, end);
  // Equal lengths mean every character came from exactly one byte, so a later byte-by-byte
  // match against the cached characters is exact (U+FFFD for a bad byte can never match).
  if (decoded.length === length) stringCache[slot] = decoded;
  return decoded;
}

function isZeroRange(buf: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if (buf[index] !== 0) return false;
  }
  return true;
}

/** An {@link InvalidRequestError} describing a malformed body at the reader's position. */
function decodeError(reader: BodyReader, problem: string, cause?: unknown): InvalidRequestError {
  return new InvalidRequestError(
    `Cannot decode the body as a protobuf ExportTraceServiceRequest: ${problem} (at byte ${reader.pos} of ${reader.buf.length})`,
    { cause },
  );
}
