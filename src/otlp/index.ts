export { decodeLogsJson } from './decode-json-logs.ts';
export { decodeMetricsJson } from './decode-json-metrics.ts';
export { decodeTracesJson } from './decode-json.ts';
export { decodeLogsProtobuf } from './decode-protobuf-logs.ts';
export { decodeMetricsProtobuf } from './decode-protobuf-metrics.ts';
export { decodeTracesProtobuf } from './decode-protobuf.ts';
export {
  decodeExportResponse,
  decodeExportTraceServiceResponse,
  decodeRpcStatus,
  encodeExportResponse,
  encodeExportTraceServiceResponse,
  encodeRpcStatus,
} from './encode-response.ts';
export type {
  ExportPartialSuccess,
  ExportTracePartialSuccess,
  OtlpSignal,
  ExportTraceServiceResponse,
  OtlpFormat,
  RpcStatus,
} from './encode-response.ts';
export { encodeTracesProtobuf } from './encode-traces.ts';
export { bytesToHex, hexToBytes } from './hex.ts';
export { parseLosslessJson } from './lossless-json.ts';
export type { DecodedLogs, LogRecord } from './log-record.ts';
export type { DecodedMetrics, MetricKind, MetricPoint } from './metric-point.ts';
export type {
  OtlpAnyValue,
  OtlpExportTraceServiceRequest,
  OtlpInstrumentationScope,
  OtlpInt64,
  OtlpKeyValue,
  OtlpResourceSpans,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpSpanLink,
} from './otlp-messages.ts';
