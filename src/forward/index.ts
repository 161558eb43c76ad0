export { OtlpForwarder, signalUrls, tracesUrl } from './otlp-forwarder.ts';
export type { ForwardedHeaders, ForwardedSignal, OtlpForwarderOptions, OtlpForwarderStats } from './otlp-forwarder.ts';
