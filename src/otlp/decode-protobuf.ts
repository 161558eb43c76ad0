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
 *
 * This file walks the request down to its spans (resource and scope); a span with its events and
 * links is decoded in `decode-protobuf-span.ts`, attribute values in `decode-protobuf-attributes.ts`,
 * and the reading primitives are in `protobuf-reader.ts`.
 */
import { Buffer } from 'node:buffer';
import protobuf from 'protobufjs';
import type { Attributes, DecodedTraces } from '../spans/index.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { decodeKeyValue } from './decode-protobuf-attributes.ts';
import { decodeSpan } from './decode-protobuf-span.ts';
import type { DecodeTarget, ScopeContext } from './decode-protobuf-span.ts';
import { fieldTags } from './field-tags.ts';
import { otlpRoot, otlpTypes } from './proto-schema.ts';
import { TRUNCATED, decodeError, enterMessage, skipField, startDecoding } from './protobuf-reader.ts';
import type { BodyReader } from './protobuf-reader.ts';
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
  startDecoding('ExportTraceServiceRequest');
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

/** Decodes a `Resource` message's attributes into `attributes` (shared by every signal's decoder). */
export function decodeResource(reader: BodyReader, attributes: Attributes): void {
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

/** Decodes an `InstrumentationScope` message into `context` (shared by every signal's decoder). */
export function decodeScope(reader: BodyReader, context: ScopeContext): void {
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
