import type { SpanRecord } from '../spans/index.ts';
import type { SpanRows, SpanSink } from '../storage/index.ts';
import { CommitAdmission } from './commit-admission.ts';
import type { MemoryLimit } from './memory-limit.ts';
import { prepareDecoded } from './decode-request.ts';
import type { DecodedRequest, OtlpEncoding } from './decode-request.ts';
import { DecoderPool } from './decoder-pool.ts';
import type { IngestResult } from './ingest-result.ts';
import { writeWithinDeadline } from './write-within-deadline.ts';

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
  /**
   * The longest a request may wait for its commit, counted from its `receivedAt`. A request the
   * measured throughput says would wait longer is refused up front (`retryable`), and one still
   * waiting for its transaction when the time is up is dropped unwritten (`retryable` too): in
   * both cases nothing of it is stored. A request already handed to a transaction is always
   * committed and acknowledged, so the answer can come up to one transaction later than this.
   * Exporters time out after 10 s by default; this leaves room for that transaction and for a
   * checkpoint that holds it (a second or two).
   * @default 2000
   */
  maxCommitWaitMillis?: number;
  /**
   * Refuses new requests (`retryable`) while the process's memory is above this limit; one
   * instance is shared by every signal's ingestor.
   * @default no limit
   */
  memoryLimit?: MemoryLimit;
  /** Told about storage failures (they are answered as retryable, never thrown). */
  onStorageError?: (error: unknown) => void;
}

/** Options of {@link TraceIngestor.ingest} and {@link TraceIngestor.admit}. */
export interface IngestOptions {
  /**
   * When the request arrived (`Date.now()` milliseconds): its commit wait is counted from here.
   * @default now
   */
  receivedAt?: number;
}

/**
 * Decode → map conventions → durable write: the path every OTLP request takes, whatever
 * transport brought it (HTTP, gRPC), and the benchmark's in-process ceiling.
 *
 * A body that cannot be decoded throws `InvalidRequestError` (the request is bad); everything
 * else is an {@link IngestResult}. Overload is answered `retryable` rather than by waiting: see
 * {@link TraceIngestorOptions.maxCommitWaitMillis}.
 */
export class TraceIngestor {
  readonly #sink: SpanSink;
  readonly #decoders: DecoderPool;
  readonly #retryAfterMillis: number;
  readonly #onStorageError: ((error: unknown) => void) | undefined;
  readonly #admission: CommitAdmission;

  constructor(options: TraceIngestorOptions) {
    this.#admission = new CommitAdmission(options.maxCommitWaitMillis ?? 2000, options.memoryLimit ?? null);
    this.#sink = options.sink;
    this.#decoders = new DecoderPool({ threads: options.decoderThreads });
    this.#retryAfterMillis = options.retryAfterMillis ?? 1000;
    this.#onStorageError = options.onStorageError;
  }

  /**
   * The decoder threads, which the ingestors of the other signals (logs, metrics) share: a
   * 2-core machine has room for one decoder beside the thread that appends.
   */
  get decoders(): DecoderPool {
    return this.#decoders;
  }

  /** Resolves once the decoder threads are loaded; see `DecoderPool.ready`. */
  ready(): Promise<void> {
    return this.#decoders.ready();
  }

  /** Bytes of the request bodies being decoded or waiting for their commit. */
  get pendingBytes(): number {
    return this.#admission.pendingBytes;
  }

  /**
   * Whether a request of about `bytes` (0 when unknown, e.g. before its body is read) would be
   * taken now: `null` if so, else the `retryable` answer to give it. Lets a receiver refuse
   * before reading a body; {@link ingest} checks again with the body in hand.
   */
  admit(bytes = 0, options: IngestOptions = {}): Extract<IngestResult, { kind: 'retryable' }> | null {
    return this.#admission.admit(bytes, options.receivedAt ?? Date.now());
  }

  /** Decodes and stores one `ExportTraceServiceRequest` body. */
  ingest(body: Uint8Array, encoding: OtlpEncoding, options: IngestOptions = {}): Promise<IngestResult> {
    return this.#admitted(body.byteLength, options, () => this.#decoders.decode(body, encoding));
  }

  /**
   * Stores spans the collector made itself (the gateway's calls) as if they had come in one OTLP
   * request: the same convention mapping, admission, deadline, sink and sequence ids, without an
   * encoding to decode. The mapping runs on the calling thread; the request's size, for
   * admission, is the text of its rows.
   */
  ingestSpans(spans: SpanRecord[], options: IngestOptions = {}): Promise<IngestResult> {
    const decoded = prepareDecoded({ spans, rejectedSpans: 0, rejectionMessage: '' });
    return this.#admitted(rowsTextLength(decoded.rows), options, () => decoded);
  }

  /** Admits a request of `bytes`, then decodes and writes it within the commit-wait bound. */
  async #admitted(bytes: number, options: IngestOptions, decode: () => DecodedRequest | Promise<DecodedRequest>): Promise<IngestResult> {
    const receivedAt = options.receivedAt ?? Date.now();
    const refused = this.admit(bytes, { receivedAt });
    if (refused) return refused;
    return this.#admission.track(
      bytes,
      async () => this.#write(await decode(), receivedAt + this.#admission.maxCommitWaitMillis),
      (result) => result.kind !== 'retryable',
    );
  }

  /** Stores a request already decoded (see `decodeRequest` / `prepareDecoded`). */
  store(decoded: DecodedRequest): Promise<IngestResult> {
    return this.#write(decoded, undefined);
  }

  async #write(decoded: DecodedRequest, deadline: number | undefined): Promise<IngestResult> {
    const written = await writeWithinDeadline((rows, options) => this.#sink.write(rows, options), decoded.rows, deadline, {
      admission: this.#admission,
      retryAfterMillis: this.#retryAfterMillis,
      onStorageError: this.#onStorageError,
    });
    if (written.kind === 'retryable') return written;
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

/** The characters of the rows' text values: about the size of the OTLP/JSON they came from. */
function rowsTextLength(rows: SpanRows): number {
  return rows.spans.text.length + rows.rewards.text.length + rows.llmCalls.text.length;
}
