export { OtlpGrpcReceiver, RAW_TRACE_SERVICE, TRACE_EXPORT_PATH, retryStatusDetails } from './otlp-grpc-receiver.ts';
export type { OtlpGrpcReceiverOptions } from './otlp-grpc-receiver.ts';
