/**
 * OTLP/JSON `ExportLogsServiceRequest` → {@link LogRecord}s, with the rules of `decode-json.ts`:
 * hex ids, lowerCamelCase or snake_case keys, enums by number or name, `null` as absent, unknown
 * fields ignored, 64-bit integers as numbers or strings.
 */
import type { Attributes } from '../spans/index.ts';
import { decodeAnyValue, decodeAttributes } from './decode-json-attributes.ts';
import { decodeJsonResource, decodeJsonScope } from './decode-json-scope.ts';
import type { JsonScopeContext } from './decode-json-scope.ts';
import { SPAN_ID_BYTES, TRACE_ID_BYTES, isAllZeroHex, isHex } from './id-validation.ts';
import { JsonShapeError, asArray, asElement, asEnum, asIdString, asObject, asString, asUint32, asUint64 } from './json-field-readers.ts';
import type { DecodedLogs, LogRecord } from './log-record.ts';
import { parseJsonRequest } from './json-request.ts';
import { SpanRejections } from './span-rejections.ts';

const SEVERITY_RANGES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const SEVERITY_NUMBER_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries([
  ['SEVERITY_NUMBER_UNSPECIFIED', 0],
  ...SEVERITY_RANGES.flatMap((range, index) =>
    [1, 2, 3, 4].map((step) => [`SEVERITY_NUMBER_${range}${step === 1 ? '' : step}`, index * 4 + step]),
  ),
]);

type ScopeContext = JsonScopeContext;

/**
 * Decodes an OTLP `ExportLogsServiceRequest` in OTLP/JSON (the body of an `application/json` POST
 * to `/v1/logs`). Records whose ids are not hex of the right length (or empty) are left out and
 * counted in `rejectedRecords`.
 *
 * @throws {InvalidRequestError} when the body is not valid JSON or a field has the wrong type.
 */
export function decodeLogsJson(body: Uint8Array | string): DecodedLogs {
  const records: LogRecord[] = [];
  const rejections = new SpanRejections();
  parseJsonRequest(body, 'ExportLogsServiceRequest', (request) => {
    const list = asArray(request.resourceLogs ?? request.resource_logs, 'resourceLogs');
    for (let index = 0; index < list.length; index++) {
      try {
        decodeResourceLogs(list[index], records, rejections);
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`resourceLogs[${index}]`) : error;
      }
    }
  });
  return { records, rejectedRecords: rejections.count, rejectionMessage: rejections.message() };
}

function decodeResourceLogs(value: unknown, records: LogRecord[], rejections: SpanRejections): void {
  const resourceLogs = asElement(value, '');
  const resource = decodeJsonResource(resourceLogs);
  const scopeLogsList = asArray(resourceLogs.scopeLogs ?? resourceLogs.scope_logs, 'scopeLogs');
  for (let index = 0; index < scopeLogsList.length; index++) {
    try {
      const scopeLogs = asElement(scopeLogsList[index], '');
      const context = decodeJsonScope(asObject(scopeLogs.scope, 'scope'), resource);
      const recordList = asArray(scopeLogs.logRecords ?? scopeLogs.log_records, 'logRecords');
      for (let recordIndex = 0; recordIndex < recordList.length; recordIndex++) {
        try {
          decodeLogRecord(recordList[recordIndex], context, records, rejections);
        } catch (error) {
          throw error instanceof JsonShapeError ? error.within(`logRecords[${recordIndex}]`) : error;
        }
      }
    } catch (error) {
      throw error instanceof JsonShapeError ? error.within(`scopeLogs[${index}]`) : error;
    }
  }
}

function decodeLogRecord(value: unknown, context: ScopeContext, records: LogRecord[], rejections: SpanRejections): void {
  const log = asElement(value, '');
  const traceId = asIdString(log.traceId ?? log.trace_id, 'traceId');
  const spanId = asIdString(log.spanId ?? log.span_id, 'spanId');
  const attributes: Attributes = {};
  decodeAttributes(log.attributes, attributes, 'attributes');
  let body;
  try {
    body = decodeAnyValue(log.body, 0);
  } catch (error) {
    throw error instanceof JsonShapeError ? error.within('body') : error;
  }
  const record: LogRecord = {
    timeUnixNano: asUint64(log.timeUnixNano ?? log.time_unix_nano, 'timeUnixNano'),
    observedTimeUnixNano: asUint64(log.observedTimeUnixNano ?? log.observed_time_unix_nano, 'observedTimeUnixNano'),
    severityNumber: asEnum(log.severityNumber ?? log.severity_number, SEVERITY_NUMBER_BY_NAME, 'severityNumber'),
    severityText: asString(log.severityText ?? log.severity_text, 'severityText'),
    body,
    attributes,
    droppedAttributesCount: asUint32(log.droppedAttributesCount ?? log.dropped_attributes_count, 'droppedAttributesCount'),
    flags: asUint32(log.flags, 'flags'),
    traceId: null,
    spanId: null,
    eventName: asString(log.eventName ?? log.event_name, 'eventName'),
    resource: context.resource,
    resourceSchemaUrl: context.resourceSchemaUrl,
    scopeName: context.scopeName,
    scopeVersion: context.scopeVersion,
    scopeAttributes: context.scopeAttributes,
  };
  const badTrace = traceId !== '' && (traceId.length !== TRACE_ID_BYTES * 2 || !isHex(traceId));
  const badSpan = spanId !== '' && (spanId.length !== SPAN_ID_BYTES * 2 || !isHex(spanId));
  if (badTrace || badSpan) {
    rejections.add(
      `log record ${records.length + rejections.count}: traceId ${JSON.stringify(traceId.slice(0, 40))} / spanId ` +
        `${JSON.stringify(spanId.slice(0, 40))} must be ${TRACE_ID_BYTES * 2} / ${SPAN_ID_BYTES * 2} hex digits or empty ` +
        '(OTLP/JSON ids are hex, not base64)',
    );
    return;
  }
  if (traceId !== '' && !isAllZeroHex(traceId)) record.traceId = traceId.toLowerCase();
  if (spanId !== '' && !isAllZeroHex(spanId)) record.spanId = spanId.toLowerCase();
  records.push(record);
}
