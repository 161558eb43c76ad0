export { TraceIngestor } from './trace-ingestor.ts';
export type { IngestResult } from './ingest-result.ts';
export type { OtlpEncoding, TraceIngestorOptions } from './trace-ingestor.ts';
