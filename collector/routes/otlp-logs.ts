import type { RouteHandler } from '../http/route-table.ts';
import { otlpRecordsHandler } from './otlp-records.ts';
import type { OtlpRecordsOptions } from './otlp-records.ts';

/**
 * `POST /v1/logs`: OTLP/HTTP logs (`ExportLogsServiceRequest`), protobuf or JSON, gzip or not; the
 * status codes, limits, durability and overload rule of `POST /v1/traces`; records with malformed
 * ids are rejected through `partial_success.rejected_log_records`.
 */
export function otlpLogsHandler(options: OtlpRecordsOptions): RouteHandler {
  if (options.ingestor.signal !== 'logs') throw new TypeError(`Expected a logs ingestor, got one for ${options.ingestor.signal}`);
  return otlpRecordsHandler(options);
}
