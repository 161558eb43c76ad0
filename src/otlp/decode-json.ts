/**
 * OTLP/HTTP JSON → {@link SpanRecord}s.
 *
 * OTLP/JSON is the protobuf JSON mapping with three OTLP-specific rules: trace and span ids are hex
 * (not base64), enums are integers, and keys are lowerCamelCase. Like protobuf JSON parsers, this
 * decoder also accepts the original snake_case field names and enum names, treats `null` as an
 * absent field, and ignores unknown fields.
 *
 * This file walks the request down to its spans, events and links; attribute values are decoded in
 * `decode-json-attributes.ts`, and each field is read and type-checked by `json-field-readers.ts`.
 */
import type { Attributes, DecodedTraces, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../spans/index.ts';
import { decodeAttributes } from './decode-json-attributes.ts';
import { decodeJsonResource, decodeJsonScope } from './decode-json-scope.ts';
import type { JsonScopeContext } from './decode-json-scope.ts';
import {
  SPAN_ID_BYTES,
  TRACE_ID_BYTES,
  invalidIdHexReason,
  invalidParentIdHexReason,
  isAllZeroHex,
  isHex,
} from './id-validation.ts';
import { JsonShapeError, asArray, asElement, asEnum, asIdString, asObject, asString, asUint32, asUint64 } from './json-field-readers.ts';
import { parseJsonRequest } from './json-request.ts';
import { SpanRejections } from './span-rejections.ts';

// The JSON objects are read field by field with both spellings written out at each site, e.g.
// `span.traceId ?? span.trace_id`: each site then sees one property name, which keeps V8's property
// lookups monomorphic on the hot path.

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

/** What the spans of one `ScopeSpans` share. */
type ScopeContext = JsonScopeContext;

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
  const spans: SpanRecord[] = [];
  const rejections = new SpanRejections();
  parseJsonRequest(body, 'ExportTraceServiceRequest', (request) => {
    const resourceSpansList = asArray(request.resourceSpans ?? request.resource_spans, 'resourceSpans');
    for (let index = 0; index < resourceSpansList.length; index++) {
      try {
        decodeResourceSpans(resourceSpansList[index], spans, rejections);
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`resourceSpans[${index}]`) : error;
      }
    }
  });
  return { spans, rejectedSpans: rejections.count, rejectionMessage: rejections.message() };
}

function decodeResourceSpans(value: unknown, spans: SpanRecord[], rejections: SpanRejections): void {
  const resourceSpans = asElement(value, '');
  const resource = decodeJsonResource(resourceSpans);
  const scopeSpansList = asArray(resourceSpans.scopeSpans ?? resourceSpans.scope_spans, 'scopeSpans');
  for (let index = 0; index < scopeSpansList.length; index++) {
    const scopeSpans = asElement(scopeSpansList[index], `scopeSpans[${index}]`);
    const scope = asObject(scopeSpans.scope, `scopeSpans[${index}].scope`);
    const spanList = asArray(scopeSpans.spans, `scopeSpans[${index}].spans`);
    try {
      const context = decodeJsonScope(scope, resource);
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
