export { OtlpForwarder, tracesUrl } from './otlp-forwarder.ts';
export type { ForwardedHeaders, OtlpForwarderOptions, OtlpForwarderStats } from './otlp-forwarder.ts';
