import type { OtlpForwarder } from '../../src/forward/index.ts';
import type { TraceIngestor } from '../../src/ingest/index.ts';
import type { ByteBudget } from '../http/byte-budget.ts';
import type { RouteHandler } from '../http/route-table.ts';
import { otlpExportHandler } from './otlp-export.ts';

/** Options of {@link otlpTracesHandler}. */
export interface OtlpTracesOptions {
  ingestor: TraceIngestor;
  /** The largest body, counted after decompression. */
  maxBodyBytes: number;
  /**
   * The bytes of bodies being read or decoded at once, shared with the gRPC receiver; a request
   * that would exceed it is a 503.
   */
  budget: ByteBudget;
  /** When set, every accepted request (200 or partial) is queued for forwarding, body as received. */
  forwarder?: OtlpForwarder | null;
}

/** `POST /v1/traces`: OTLP/HTTP, protobuf or JSON, gzip or not; answers in the request's encoding. */
export function otlpTracesHandler(options: OtlpTracesOptions): RouteHandler {
  const { ingestor } = options;
  return otlpExportHandler({
    signal: 'traces',
    maxBodyBytes: options.maxBodyBytes,
    budget: options.budget,
    forwarder: options.forwarder,
    ingest: {
      admit: (bytes, admitOptions) => ingestor.admit(bytes, admitOptions),
      ingest: async (body, encoding, ingestOptions) => {
        const result = await ingestor.ingest(body, encoding, ingestOptions);
        return result.kind === 'partial' ? { kind: 'partial', rejected: result.rejectedSpans, message: result.message } : result;
      },
    },
  });
}
