import { decodeLogsJson, decodeLogsProtobuf, decodeMetricsJson, decodeMetricsProtobuf } from '../otlp/index.ts';
import type { DecodedLogs, DecodedMetrics, MetricPoint } from '../otlp/index.ts';
import { mapLogRecord } from '../semconv/index.ts';
import { toLogRows, toMetricRows } from '../storage/index.ts';
import type { MappedLogRecord, RecordRows } from '../storage/index.ts';
import type { OtlpEncoding } from './decode-request.ts';

/** The OTLP signals besides traces, whose records go to a `RecordSink`. */
export type RecordSignal = 'logs' | 'metrics';

/** A logs or metrics request made ready for the writer. */
export interface DecodedRecords {
  rows: RecordRows;
  /** Records (log records, data points) dropped as invalid. */
  rejected: number;
  /** Why, or `''`. */
  rejectionMessage: string;
}

/** The latest time the tables keep (BIGINT nanoseconds, 2^63 - 1: in the year 2262). */
const MAX_STORED_TIME_UNIX_NANO = 0x7fffffffffffffffn;

/**
 * Decode → map → build rows for a logs or metrics export request: pure and synchronous, so that it
 * can run on a decoder thread. Throws `InvalidRequestError` for a body that cannot be decoded.
 */
export function decodeRecordsRequest(signal: RecordSignal, body: Uint8Array, encoding: OtlpEncoding): DecodedRecords {
  if (signal === 'logs') return prepareLogs(encoding === 'protobuf' ? decodeLogsProtobuf(body) : decodeLogsJson(body));
  return prepareMetrics(encoding === 'protobuf' ? decodeMetricsProtobuf(body) : decodeMetricsJson(body));
}

/** Builds rows for data points already decoded; a time past what the tables keep is a rejection. */
export function prepareMetrics(decoded: DecodedMetrics): DecodedRecords {
  const kept: MetricPoint[] = [];
  let rejected = decoded.rejectedPoints;
  const reasons = decoded.rejectionMessage ? [decoded.rejectionMessage] : [];
  for (const point of decoded.points) {
    if (point.timeUnixNano > MAX_STORED_TIME_UNIX_NANO || point.startTimeUnixNano > MAX_STORED_TIME_UNIX_NANO) {
      if (rejected++ < 3) reasons.push(`metric ${JSON.stringify(point.metricName)}: its time is past the year 2262 (2^63 - 1 ns)`);
      continue;
    }
    kept.push(point);
  }
  return { rows: toMetricRows(kept), rejected, rejectionMessage: reasons.join('; ') };
}

/** Maps and builds rows for log records already decoded; a time past what the tables keep is a rejection. */
export function prepareLogs(decoded: DecodedLogs): DecodedRecords {
  const mapped: MappedLogRecord[] = [];
  let rejected = decoded.rejectedRecords;
  const reasons = decoded.rejectionMessage ? [decoded.rejectionMessage] : [];
  for (const record of decoded.records) {
    if (record.timeUnixNano > MAX_STORED_TIME_UNIX_NANO || record.observedTimeUnixNano > MAX_STORED_TIME_UNIX_NANO) {
      if (rejected++ < 3) reasons.push('a log record: its time is past the year 2262 (2^63 - 1 ns), the latest time stored');
      continue;
    }
    mapped.push({ record, mapping: mapLogRecord(record) });
  }
  return { rows: toLogRows(mapped), rejected, rejectionMessage: reasons.join('; ') };
}
