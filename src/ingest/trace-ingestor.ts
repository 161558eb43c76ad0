import { decodeTracesJson, decodeTracesProtobuf } from '../otlp/index.ts';
import { mapSpan } from '../semconv/index.ts';
import type { DecodedTraces } from '../spans/index.ts';
import type { MappedSpan, SpanSink } from '../storage/index.ts';
import type { IngestResult } from './ingest-result.ts';

/** The encodings an OTLP export request may come in. */
export type OtlpEncoding = 'protobuf' | 'json';

/** Options of {@link TraceIngestor}. */
export interface TraceIngestorOptions {
  /** Where mapped spans are written. */
  sink: SpanSink;
  /**
   * The delay suggested to clients when storage fails.
   * @default 1000
   */
  retryAfterMillis?: number;
  /** Told about storage failures (they are answered as retryable, never thrown). */
  onStorageError?: (error: unknown) => void;
}

/**
 * Decode → map conventions → durable write: the path every OTLP request takes, whatever
 * transport brought it (HTTP, gRPC) and in the benchmark's in-process ceiling.
 *
 * Decoding errors throw `InvalidRequestError` (the request is bad); everything else is an
 * {@link IngestResult}.
 */
export class TraceIngestor {
  readonly #sink: SpanSink;
  readonly #retryAfterMillis: number;
  readonly #onStorageError: ((error: unknown) => void) | undefined;

  constructor(options: TraceIngestorOptions) {
    this.#sink = options.sink;
    this.#retryAfterMillis = options.retryAfterMillis ?? 1000;
    this.#onStorageError = options.onStorageError;
  }

  /** Decodes and stores one `ExportTraceServiceRequest` body. */
  async ingest(body: Uint8Array, encoding: OtlpEncoding): Promise<IngestResult> {
    const decoded = encoding === 'protobuf' ? decodeTracesProtobuf(body) : decodeTracesJson(body);
    return this.ingestDecoded(decoded);
  }

  /** Stores spans already decoded (e.g. by a transport that decodes on its own). */
  async ingestDecoded(decoded: DecodedTraces): Promise<IngestResult> {
    const mapped: MappedSpan[] = new Array(decoded.spans.length);
    for (let index = 0; index < decoded.spans.length; index++) {
      const span = decoded.spans[index];
      mapped[index] = { span, mapping: mapSpan(span) };
    }
    let written;
    try {
      written = await this.#sink.write(mapped);
    } catch (error) {
      this.#onStorageError?.(error);
      return {
        kind: 'retryable',
        retryAfterMillis: this.#retryAfterMillis,
        message: `Storage failed; nothing of this request was stored: ${(error as Error).message}`,
      };
    }
    if (written.kind === 'overloaded') {
      return {
        kind: 'retryable',
        retryAfterMillis: written.retryAfterMillis,
        message: 'The collector is overloaded (write queue full); nothing of this request was stored',
      };
    }
    if (decoded.rejectedSpans > 0) {
      return {
        kind: 'partial',
        acceptedSpans: mapped.length,
        rejectedSpans: decoded.rejectedSpans,
        message: decoded.rejectionMessage,
      };
    }
    return { kind: 'accepted', acceptedSpans: mapped.length };
  }
}
