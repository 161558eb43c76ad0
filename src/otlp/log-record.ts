/**
 * The project's own shape of an OTLP log record, as the decoders hand it to ingest: nothing past
 * the receiver sees protobuf or OTLP/JSON objects.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';

/** One OTLP `LogRecord` with what it shares with its neighbours (resource, scope). */
export interface LogRecord {
  /** When the event happened (0 when the sender did not say). */
  timeUnixNano: bigint;
  /** When the sender's SDK saw it. */
  observedTimeUnixNano: bigint;
  /** `SeverityNumber`: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal; 0 unset. */
  severityNumber: number;
  severityText: string;
  /** The body: any OTLP value (a string, or a map such as a GenAI event's `{content}`); `null` when absent. */
  body: AttributeValue;
  attributes: Attributes;
  droppedAttributesCount: number;
  /** The low byte holds the W3C trace flags. */
  flags: number;
  /** 32 lowercase hex digits, or `null` when the record belongs to no trace. */
  traceId: string | null;
  /** 16 lowercase hex digits, or `null`. */
  spanId: string | null;
  /** The `event_name` field of newer OTLP, `''` when absent. */
  eventName: string;
  resource: Attributes;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** The log records of one export request, with the ones left out as invalid. */
export interface DecodedLogs {
  records: LogRecord[];
  /** Records dropped as invalid (ids of the wrong length). */
  rejectedRecords: number;
  /** Why, quoting the first few; `''` when none. */
  rejectionMessage: string;
}
