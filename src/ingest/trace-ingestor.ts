import type { SpanSink } from '../storage/index.ts';
import type { DecodedRequest, OtlpEncoding } from './decode-request.ts';
import { DecoderPool } from './decoder-pool.ts';
import type { IngestResult } from './ingest-result.ts';

/** Options of {@link TraceIngestor}. */
export interface TraceIngestorOptions {
  /** Where the rows of ingested spans are written. */
  sink: SpanSink;
  /**
   * Decoder threads (see `DecoderPool`); 0 decodes on the calling thread.
   * @default 1
   */
  decoderThreads?: number;
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
 * transport brought it (HTTP, gRPC), and the benchmark's in-process ceiling.
 *
 * A body that cannot be decoded throws `InvalidRequestError` (the request is bad); everything
 * else is an {@link IngestResult}.
 */
export class TraceIngestor {
  readonly #sink: SpanSink;
  readonly #decoders: DecoderPool;
  readonly #retryAfterMillis: number;
  readonly #onStorageError: ((error: unknown) => void) | undefined;

  constructor(options: TraceIngestorOptions) {
    this.#sink = options.sink;
    this.#decoders = new DecoderPool({ threads: options.decoderThreads });
    this.#retryAfterMillis = options.retryAfterMillis ?? 1000;
    this.#onStorageError = options.onStorageError;
  }

  /** Decodes and stores one `ExportTraceServiceRequest` body. */
  async ingest(body: Uint8Array, encoding: OtlpEncoding): Promise<IngestResult> {
    return this.store(await this.#decoders.decode(body, encoding));
  }

  /** Stores a request already decoded (see `decodeRequest` / `prepareDecoded`). */
  async store(decoded: DecodedRequest): Promise<IngestResult> {
    let written;
    try {
      written = await this.#sink.write(decoded.rows);
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
        acceptedSpans: decoded.rows.spanCount,
        rejectedSpans: decoded.rejectedSpans,
        message: decoded.rejectionMessage,
      };
    }
    return { kind: 'accepted', acceptedSpans: decoded.rows.spanCount };
  }

  /** Stops the decoder threads. Idempotent. */
  close(): Promise<void> {
    return this.#decoders.close();
  }
}
