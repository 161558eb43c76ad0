import type { RouteHandler } from '../http/route-table.ts';
import { otlpRecordsHandler } from './otlp-records.ts';
import type { OtlpRecordsOptions } from './otlp-records.ts';

/**
 * `POST /v1/metrics`: OTLP/HTTP metrics (`ExportMetricsServiceRequest`), protobuf or JSON, gzip or
 * not; the status codes, limits, durability and overload rule of `POST /v1/traces`; invalid data
 * points are rejected through `partial_success.rejected_data_points`.
 */
export function otlpMetricsHandler(options: OtlpRecordsOptions): RouteHandler {
  if (options.ingestor.signal !== 'metrics') throw new TypeError(`Expected a metrics ingestor, got one for ${options.ingestor.signal}`);
  return otlpRecordsHandler(options);
}
