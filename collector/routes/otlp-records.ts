import type { OtlpForwarder } from '../../src/forward/index.ts';
import type { RecordIngestor } from '../../src/ingest/index.ts';
import type { ByteBudget } from '../http/byte-budget.ts';
import type { RouteHandler } from '../http/route-table.ts';
import { otlpExportHandler } from './otlp-export.ts';

/** Options of {@link otlpLogsHandler} and {@link otlpMetricsHandler}. */
export interface OtlpRecordsOptions {
  /** The ingestor of the route's signal. */
  ingestor: RecordIngestor;
  /** The largest body, counted after decompression. */
  maxBodyBytes: number;
  /** The bytes of bodies being read or decoded at once, shared by every receiver. */
  budget: ByteBudget;
  /** When set, every accepted request is queued for forwarding to the signal's path. */
  forwarder?: OtlpForwarder | null;
}

/** A route for a signal whose records go through a {@link RecordIngestor}. */
export function otlpRecordsHandler(options: OtlpRecordsOptions): RouteHandler {
  const { ingestor } = options;
  return otlpExportHandler({
    signal: ingestor.signal,
    maxBodyBytes: options.maxBodyBytes,
    budget: options.budget,
    forwarder: options.forwarder,
    ingest: {
      admit: (bytes, admitOptions) => ingestor.admit(bytes, admitOptions),
      ingest: (body, encoding, ingestOptions) => ingestor.ingest(body, encoding, ingestOptions),
    },
  });
}
