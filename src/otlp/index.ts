export { decodeTracesJson } from './decode-json.ts';
export { decodeTracesProtobuf } from './decode-protobuf.ts';
export {
  decodeExportTraceServiceResponse,
  decodeRpcStatus,
  encodeExportTraceServiceResponse,
  encodeRpcStatus,
} from './encode-response.ts';
export type {
  ExportTracePartialSuccess,
  ExportTraceServiceResponse,
  OtlpFormat,
  RpcStatus,
} from './encode-response.ts';
export { encodeTracesProtobuf } from './encode-traces.ts';
export { bytesToHex, hexToBytes } from './hex.ts';
export { parseLosslessJson } from './lossless-json.ts';
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
