/**
 * OTLP/HTTP binary protobuf → {@link SpanRecord}s, in one pass over the wire format.
 *
 * protobufjs's generic decoder (over the same `.proto` files) builds an intermediate message tree,
 * with a `Long` per timestamp and oneof bookkeeping that deletes properties, and measured at less
 * than a third of this decoder's speed; this decoder reads the `.proto` field numbers straight into
 * span records instead (tests check it against protobufjs on random requests). Tags are written as literal numbers,
 * `field_number << 3 | wire_type`, with the field named alongside; wire types are 0 varint,
 * 1 fixed64, 2 length-delimited, 5 fixed32. A known field with an unexpected wire type is skipped
 * like an unknown field, as protobuf parsers do.
 */
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
import { SPAN_ID_BYTES, TRACE_ID_BYTES, invalidIdBytesReason, invalidParentIdBytesReason } from './id-validation.ts';
import { ProtobufReader } from './protobuf-reader.ts';
import { SpanRejections } from './span-rejections.ts';

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
  const reader = new ProtobufReader(body, 'ExportTraceServiceRequest');
  const target: DecodeTarget = { spans: [], rejections: new SpanRejections() };
  try {
    const end = reader.len;
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag === 10) decodeResourceSpans(reader, reader.fieldEnd(end), target); // resource_spans = 1
      else reader.skip(tag & 7, end);
    }
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    // A RangeError here means input the reader's own checks did not anticipate; it is still the
    // client's body that is at fault.
    if (error instanceof RangeError) throw reader.error(error.message);
    throw error;
  }
  return { spans: target.spans, rejectedSpans: target.rejections.count, rejectionMessage: target.rejections.message() };
}

function decodeResourceSpans(reader: ProtobufReader, end: number, target: DecodeTarget): void {
  const start = reader.pos;
  const context: ScopeContext = { resource: {}, resourceSchemaUrl: '', scopeName: '', scopeVersion: '', scopeAttributes: {} };
  // Protobuf lets fields come in any order, so read the resource before the spans that share it.
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) decodeResource(reader, reader.fieldEnd(end), context.resource); // resource = 1
    else if (tag === 26) context.resourceSchemaUrl = reader.string(end); // schema_url = 3
    else reader.skip(tag & 7, end);
  }
  reader.expectEnd(end);
  reader.pos = start;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 18) decodeScopeSpans(reader, reader.fieldEnd(end), context, target); // scope_spans = 2
    else reader.skip(tag & 7, end);
  }
}

function decodeResource(reader: ProtobufReader, end: number, attributes: Attributes): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) decodeKeyValue(reader, reader.fieldEnd(end), attributes, 0); // attributes = 1
    else reader.skip(tag & 7, end);
  }
  reader.expectEnd(end);
}

function decodeScopeSpans(reader: ProtobufReader, end: number, resourceContext: ScopeContext, target: DecodeTarget): void {
  const start = reader.pos;
  const context: ScopeContext = {
    resource: resourceContext.resource,
    resourceSchemaUrl: resourceContext.resourceSchemaUrl,
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
  };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) decodeScope(reader, reader.fieldEnd(end), context); // scope = 1
    else reader.skip(tag & 7, end);
  }
  reader.expectEnd(end);
  reader.pos = start;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 18) decodeSpan(reader, reader.fieldEnd(end), context, target); // spans = 2
    else reader.skip(tag & 7, end);
  }
}

function decodeScope(reader: ProtobufReader, end: number, context: ScopeContext): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // name = 1
        context.scopeName = reader.string(end);
        break;
      case 18: // version = 2
        context.scopeVersion = reader.string(end);
        break;
      case 26: // attributes = 3
        decodeKeyValue(reader, reader.fieldEnd(end), context.scopeAttributes, 0);
        break;
      default:
        reader.skip(tag & 7, end);
    }
  }
  reader.expectEnd(end);
}

function decodeSpan(reader: ProtobufReader, end: number, context: ScopeContext, target: DecodeTarget): void {
  let traceIdStart = 0;
  let traceIdEnd = 0;
  let spanIdStart = 0;
  let spanIdEnd = 0;
  let parentStart = 0;
  let parentEnd = 0;
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
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // trace_id = 1
        traceIdEnd = reader.fieldEnd(end);
        traceIdStart = reader.pos;
        reader.pos = traceIdEnd;
        break;
      case 18: // span_id = 2
        spanIdEnd = reader.fieldEnd(end);
        spanIdStart = reader.pos;
        reader.pos = spanIdEnd;
        break;
      case 26: // trace_state = 3
        traceState = reader.string(end);
        break;
      case 34: // parent_span_id = 4
        parentEnd = reader.fieldEnd(end);
        parentStart = reader.pos;
        reader.pos = parentEnd;
        break;
      case 133: // flags = 16, fixed32
        flags = reader.fixed32();
        break;
      case 42: // name = 5
        name = reader.repeatedString(end);
        break;
      case 48: // kind = 6
        kind = reader.int32();
        break;
      case 57: // start_time_unix_nano = 7, fixed64
        startTimeUnixNano = reader.fixed64();
        break;
      case 65: // end_time_unix_nano = 8, fixed64
        endTimeUnixNano = reader.fixed64();
        break;
      case 74: // attributes = 9
        decodeKeyValue(reader, reader.fieldEnd(end), attributes, 0);
        break;
      case 80: // dropped_attributes_count = 10
        droppedAttributesCount = reader.uint32();
        break;
      case 90: // events = 11
        events.push(decodeEvent(reader, reader.fieldEnd(end)));
        break;
      case 96: // dropped_events_count = 12
        droppedEventsCount = reader.uint32();
        break;
      case 106: {
        // links = 13
        const link = decodeLink(reader, reader.fieldEnd(end));
        if (link === undefined) droppedLinksCount++;
        else links.push(link);
        break;
      }
      case 112: // dropped_links_count = 14
        // Added to, not assigned: links dropped for bad ids may already have been counted.
        droppedLinksCount += reader.uint32();
        break;
      case 122: {
        // status = 15
        const statusEnd = reader.fieldEnd(end);
        while (reader.pos < statusEnd) {
          const statusTag = reader.uint32();
          if (statusTag === 18) statusMessage = reader.string(statusEnd); // message = 2
          else if (statusTag === 24) statusCode = reader.int32(); // code = 3
          else reader.skip(statusTag & 7, statusEnd);
        }
        reader.expectEnd(statusEnd);
        break;
      }
      default:
        reader.skip(tag & 7, end);
    }
  }
  reader.expectEnd(end);

  const buf = reader.buf;
  if (
    traceIdEnd - traceIdStart !== TRACE_ID_BYTES ||
    isZeroRange(buf, traceIdStart, traceIdEnd) ||
    spanIdEnd - spanIdStart !== SPAN_ID_BYTES ||
    isZeroRange(buf, spanIdStart, spanIdEnd) ||
    (parentEnd !== parentStart && parentEnd - parentStart !== SPAN_ID_BYTES)
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
    traceId: reader.hex(traceIdStart, traceIdEnd),
    spanId: reader.hex(spanIdStart, spanIdEnd),
    // Some SDKs and format converters send eight zero bytes instead of leaving a root's parent empty.
    parentSpanId: parentEnd === parentStart || isZeroRange(buf, parentStart, parentEnd) ? null : reader.hex(parentStart, parentEnd),
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

function decodeEvent(reader: ProtobufReader, end: number): SpanEventRecord {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 9: // time_unix_nano = 1, fixed64
        timeUnixNano = reader.fixed64();
        break;
      case 18: // name = 2
        name = reader.repeatedString(end);
        break;
      case 26: // attributes = 3
        decodeKeyValue(reader, reader.fieldEnd(end), attributes, 0);
        break;
      case 32: // dropped_attributes_count = 4
        droppedAttributesCount = reader.uint32();
        break;
      default:
        reader.skip(tag & 7, end);
    }
  }
  reader.expectEnd(end);
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

/** Decodes a link, or returns `undefined` when its ids have the wrong lengths. */
function decodeLink(reader: ProtobufReader, end: number): SpanLinkRecord | undefined {
  let traceIdStart = 0;
  let traceIdEnd = 0;
  let spanIdStart = 0;
  let spanIdEnd = 0;
  let traceState = '';
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  let flags = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // trace_id = 1
        traceIdEnd = reader.fieldEnd(end);
        traceIdStart = reader.pos;
        reader.pos = traceIdEnd;
        break;
      case 18: // span_id = 2
        spanIdEnd = reader.fieldEnd(end);
        spanIdStart = reader.pos;
        reader.pos = spanIdEnd;
        break;
      case 26: // trace_state = 3
        traceState = reader.string(end);
        break;
      case 34: // attributes = 4
        decodeKeyValue(reader, reader.fieldEnd(end), attributes, 0);
        break;
      case 40: // dropped_attributes_count = 5
        droppedAttributesCount = reader.uint32();
        break;
      case 53: // flags = 6, fixed32
        flags = reader.fixed32();
        break;
      default:
        reader.skip(tag & 7, end);
    }
  }
  reader.expectEnd(end);
  if (traceIdEnd - traceIdStart !== TRACE_ID_BYTES || spanIdEnd - spanIdStart !== SPAN_ID_BYTES) return undefined;
  return {
    traceId: reader.hex(traceIdStart, traceIdEnd),
    spanId: reader.hex(spanIdStart, spanIdEnd),
    traceState,
    attributes,
    droppedAttributesCount,
    flags,
  };
}

/** Decodes one `KeyValue` message into `attributes`. */
function decodeKeyValue(reader: ProtobufReader, end: number, attributes: Attributes, depth: number): void {
  let key = '';
  let value: AttributeValue = null;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) key = reader.repeatedString(end); // key = 1
    else if (tag === 18) value = decodeAnyValue(reader, reader.fieldEnd(end), depth); // value = 2
    else reader.skip(tag & 7, end);
  }
  reader.expectEnd(end);
  setAttribute(attributes, key, value);
}

function decodeAnyValue(reader: ProtobufReader, end: number, depth: number): AttributeValue {
  let value: AttributeValue = null;
  // When a oneof member appears more than once, protobuf keeps the last one.
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // string_value = 1
        value = reader.repeatedString(end);
        break;
      case 16: // bool_value = 2
        value = reader.bool();
        break;
      case 24: // int_value = 3
        value = reader.int64();
        break;
      case 33: // double_value = 4, fixed64
        value = reader.double();
        break;
      case 42: // array_value = 5
        value = decodeArrayValue(reader, reader.fieldEnd(end), depth + 1);
        break;
      case 50: {
        // kvlist_value = 6
        const listEnd = reader.fieldEnd(end);
        const object: Attributes = {};
        decodeKeyValueList(reader, listEnd, object, depth + 1);
        value = object;
        break;
      }
      case 58: {
        // bytes_value = 7
        const bytesEnd = reader.fieldEnd(end);
        value = reader.copy(reader.pos, bytesEnd);
        reader.pos = bytesEnd;
        break;
      }
      default:
        reader.skip(tag & 7, end);
    }
  }
  reader.expectEnd(end);
  return value;
}

function decodeArrayValue(reader: ProtobufReader, end: number, depth: number): AttributeValue[] {
  if (depth > MAX_VALUE_NESTING) throw reader.error(`attribute values nest deeper than ${MAX_VALUE_NESTING} levels`);
  const values: AttributeValue[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) values.push(decodeAnyValue(reader, reader.fieldEnd(end), depth)); // values = 1
    else reader.skip(tag & 7, end);
  }
  reader.expectEnd(end);
  return values;
}

function decodeKeyValueList(reader: ProtobufReader, end: number, object: Attributes, depth: number): void {
  if (depth > MAX_VALUE_NESTING) throw reader.error(`attribute values nest deeper than ${MAX_VALUE_NESTING} levels`);
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) decodeKeyValue(reader, reader.fieldEnd(end), object, depth); // values = 1
    else reader.skip(tag & 7, end);
  }
  reader.expectEnd(end);
}

function isZeroRange(buf: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if (buf[index] !== 0) return false;
  }
  return true;
}
