/**
 * One OTLP `Span` in binary protobuf (with its events, links and status) → a {@link SpanRecord},
 * or a rejection when its ids are unusable. Ids are kept as byte ranges of the body until the span
 * is known to be valid, then written as hex.
 */
import type { Attributes, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../spans/index.ts';
import { decodeKeyValue } from './decode-protobuf-attributes.ts';
import { fieldTags } from './field-tags.ts';
import { SPAN_ID_BYTES, TRACE_ID_BYTES, invalidIdBytesReason, invalidParentIdBytesReason } from './id-validation.ts';
import { otlpRoot } from './proto-schema.ts';
import { cachedString, enterMessage, isZeroRange, readFixed64, skipField } from './protobuf-reader.ts';
import type { BodyReader } from './protobuf-reader.ts';
import type { SpanRejections } from './span-rejections.ts';

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

/** What the spans of one `ScopeSpans` share. */
export interface ScopeContext {
  resource: Attributes;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** Where decoded spans and rejections go. */
export interface DecodeTarget {
  spans: SpanRecord[];
  rejections: SpanRejections;
}

export function decodeSpan(reader: BodyReader, context: ScopeContext, target: DecodeTarget): void {
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
