export { decodeRequest, prepareDecoded } from './decode-request.ts';
export { DecoderPool } from './decoder-pool.ts';
export { TraceIngestor } from './trace-ingestor.ts';
export type { DecodedRequest, OtlpEncoding } from './decode-request.ts';
export type { DecoderPoolOptions } from './decoder-pool.ts';
export type { IngestResult } from './ingest-result.ts';
export type { IngestOptions, TraceIngestorOptions } from './trace-ingestor.ts';
