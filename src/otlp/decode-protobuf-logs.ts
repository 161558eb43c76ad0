/**
 * OTLP binary protobuf `ExportLogsServiceRequest` → {@link LogRecord}s, in one pass over the wire
 * format, in the style of `decode-protobuf.ts` (tags from the loaded schema, the protobufjs
 * `Reader` narrowed to each embedded message, unknown fields skipped).
 */
import type { Attributes } from '../spans/index.ts';
import { decodeAnyValue, decodeKeyValue } from './decode-protobuf-attributes.ts';
import type { ScopeContext } from './decode-protobuf-span.ts';
import { decodeResource, decodeScope } from './decode-protobuf.ts';
import { fieldTags } from './field-tags.ts';
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from './id-validation.ts';
import type { DecodedLogs, LogRecord } from './log-record.ts';
import { otlpRoot, otlpTypes } from './proto-schema.ts';
import { bodyReader, cachedString, enterMessage, isZeroRange, readFixed64, readWithDecodeErrors, skipField, startDecoding } from './protobuf-reader.ts';
import type { BodyReader } from './protobuf-reader.ts';
import { SpanRejections } from './span-rejections.ts';
import { bytesToHex } from './hex.ts';

const REQUEST = fieldTags(otlpTypes.exportLogsServiceRequest, { resourceLogs: 'message' });
const RESOURCE_LOGS = fieldTags(otlpRoot.lookupType('opentelemetry.proto.logs.v1.ResourceLogs'), {
  resource: 'message',
  scopeLogs: 'message',
  schemaUrl: 'string',
});
const SCOPE_LOGS = fieldTags(otlpRoot.lookupType('opentelemetry.proto.logs.v1.ScopeLogs'), { scope: 'message', logRecords: 'message' });
const LOG_RECORD = fieldTags(otlpRoot.lookupType('opentelemetry.proto.logs.v1.LogRecord'), {
  timeUnixNano: 'fixed64',
  observedTimeUnixNano: 'fixed64',
  severityNumber: 'enum',
  severityText: 'string',
  body: 'message',
  attributes: 'message',
  droppedAttributesCount: 'uint32',
  flags: 'fixed32',
  traceId: 'bytes',
  spanId: 'bytes',
  eventName: 'string',
});

/**
 * Decodes an OTLP `ExportLogsServiceRequest` in binary protobuf (the body of an
 * `application/x-protobuf` POST to `/v1/logs`, or of a gRPC `LogsService/Export`).
 *
 * Trace and span ids are optional on log records: empty (or all zeros) means none. A record whose
 * trace id is not 16 bytes or whose span id is not 8 bytes is left out and counted in
 * `rejectedRecords`; the rest are returned in request order.
 *
 * @throws {InvalidRequestError} when the bytes are not a well-formed `ExportLogsServiceRequest`.
 */
export function decodeLogsProtobuf(body: Uint8Array): DecodedLogs {
  const reader = bodyReader(body);
  const records: LogRecord[] = [];
  const rejections = new SpanRejections();
  startDecoding('ExportLogsServiceRequest');
  readWithDecodeErrors(reader, () => {
    while (reader.pos < reader.len) {
      const tag = reader.tag();
      if (tag === REQUEST.resourceLogs) decodeResourceLogs(reader, records, rejections);
      else skipField(reader, tag);
    }
  });
  return { records, rejectedRecords: rejections.count, rejectionMessage: rejections.message() };
}

function decodeResourceLogs(reader: BodyReader, records: LogRecord[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: ScopeContext = { resource: {}, resourceSchemaUrl: '', scopeName: '', scopeVersion: '', scopeAttributes: {} };
  // Fields may come in any order: the resource first, then the records that share it.
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE_LOGS.resource) decodeResource(reader, context.resource);
    else if (tag === RESOURCE_LOGS.schemaUrl) context.resourceSchemaUrl = reader.string();
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE_LOGS.scopeLogs) decodeScopeLogs(reader, context, records, rejections);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeScopeLogs(reader: BodyReader, resourceContext: ScopeContext, records: LogRecord[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: ScopeContext = { ...resourceContext, scopeName: '', scopeVersion: '', scopeAttributes: {} };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === SCOPE_LOGS.scope) decodeScope(reader, context);
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === SCOPE_LOGS.logRecords) decodeLogRecord(reader, context, records, rejections);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeLogRecord(reader: BodyReader, context: ScopeContext, records: LogRecord[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  let traceIdStart = 0;
  let traceIdLength = 0;
  let spanIdStart = 0;
  let spanIdLength = 0;
  const record: LogRecord = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {} as Attributes,
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    resource: context.resource,
    resourceSchemaUrl: context.resourceSchemaUrl,
    scopeName: context.scopeName,
    scopeVersion: context.scopeVersion,
    scopeAttributes: context.scopeAttributes,
  };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case LOG_RECORD.attributes:
        decodeKeyValue(reader, record.attributes, 0);
        break;
      case LOG_RECORD.body:
        record.body = decodeAnyValue(reader, 0);
        break;
      case LOG_RECORD.timeUnixNano:
        record.timeUnixNano = readFixed64(reader);
        break;
      case LOG_RECORD.observedTimeUnixNano:
        record.observedTimeUnixNano = readFixed64(reader);
        break;
      case LOG_RECORD.severityNumber:
        record.severityNumber = reader.int32();
        break;
      case LOG_RECORD.severityText:
        record.severityText = cachedString(reader);
        break;
      case LOG_RECORD.droppedAttributesCount:
        record.droppedAttributesCount = reader.uint32();
        break;
      case LOG_RECORD.flags:
        record.flags = reader.fixed32();
        break;
      case LOG_RECORD.traceId:
        traceIdLength = reader.size();
        traceIdStart = reader.pos;
        reader.skip(traceIdLength);
        break;
      case LOG_RECORD.spanId:
        spanIdLength = reader.size();
        spanIdStart = reader.pos;
        reader.skip(spanIdLength);
        break;
      case LOG_RECORD.eventName:
        record.eventName = cachedString(reader);
        break;
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;
  const buf = reader.buf;
  if ((traceIdLength !== 0 && traceIdLength !== TRACE_ID_BYTES) || (spanIdLength !== 0 && spanIdLength !== SPAN_ID_BYTES)) {
    const traceId = bytesToHex(buf.subarray(traceIdStart, traceIdStart + traceIdLength));
    const spanId = bytesToHex(buf.subarray(spanIdStart, spanIdStart + spanIdLength));
    rejections.add(
      `log record ${records.length + rejections.count}: traceId ${JSON.stringify(traceId.slice(0, 40))} / spanId ` +
        `${JSON.stringify(spanId.slice(0, 40))} must be ${TRACE_ID_BYTES} / ${SPAN_ID_BYTES} bytes or empty`,
    );
    return;
  }
  // All zeros is how some SDKs say "no trace".
  if (traceIdLength !== 0 && !isZeroRange(buf, traceIdStart, traceIdStart + traceIdLength)) {
    record.traceId = buf.hexSlice(traceIdStart, traceIdStart + traceIdLength);
  }
  if (spanIdLength !== 0 && !isZeroRange(buf, spanIdStart, spanIdStart + spanIdLength)) {
    record.spanId = buf.hexSlice(spanIdStart, spanIdStart + spanIdLength);
  }
  records.push(record);
}
