import type { RecordSink } from '../storage/index.ts';
import { CommitAdmission } from './commit-admission.ts';
import type { MemoryLimit } from './memory-limit.ts';
import type { RetryableAnswer } from './commit-admission.ts';
import type { DecodedRecords, RecordSignal } from './decode-records.ts';
import type { OtlpEncoding } from './decode-request.ts';
import type { DecoderPool } from './decoder-pool.ts';
import type { IngestOptions } from './trace-ingestor.ts';
import { writeWithinDeadline } from './write-within-deadline.ts';

/** The outcome of ingesting one OTLP logs or metrics export request (see `IngestResult` for traces). */
export type RecordIngestResult =
  /** Every record is durable. */
  | { kind: 'accepted'; accepted: number }
  /** The valid records are durable; `rejected` invalid ones were dropped, for `message`. */
  | { kind: 'partial'; accepted: number; rejected: number; message: string }
  /** Nothing was stored: the collector is overloaded or storage failed; try again later. */
  | RetryableAnswer;

/** Options of {@link RecordIngestor}. */
export interface RecordIngestorOptions {
  /** Which export requests this ingestor takes. */
  signal: RecordSignal;
  /** Where the rows go. */
  sink: RecordSink;
  /** The decoder threads, shared with the trace ingestor (`TraceIngestor.decoders`); not closed by this ingestor. */
  decoders: DecoderPool;
  /**
   * The delay suggested to clients when storage fails.
   * @default 1000
   */
  retryAfterMillis?: number;
  /**
   * The longest a request may wait for its commit; the same rule as `TraceIngestorOptions.maxCommitWaitMillis`.
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

/**
 * Decode → map → durable write for OTLP logs or metrics: the trace ingestor's path and rules
 * (acknowledged after commit, partial success for invalid records, `retryable` under overload or
 * on a storage failure), with records going to a `RecordSink`. A body that cannot be decoded
 * throws `InvalidRequestError`.
 */
export class RecordIngestor {
  /** The signal this ingestor takes. */
  readonly signal: RecordSignal;
  readonly #sink: RecordSink;
  readonly #decoders: DecoderPool;
  readonly #retryAfterMillis: number;
  readonly #onStorageError: ((error: unknown) => void) | undefined;
  readonly #admission: CommitAdmission;

  constructor(options: RecordIngestorOptions) {
    this.#admission = new CommitAdmission(options.maxCommitWaitMillis ?? 2000, options.memoryLimit ?? null);
    this.signal = options.signal;
    this.#sink = options.sink;
    this.#decoders = options.decoders;
    this.#retryAfterMillis = options.retryAfterMillis ?? 1000;
    this.#onStorageError = options.onStorageError;
  }

  /** Bytes of the request bodies being decoded or waiting for their commit. */
  get pendingBytes(): number {
    return this.#admission.pendingBytes;
  }

  /** Whether a request of about `bytes` would be taken now: `null` if so, else the `retryable` answer. */
  admit(bytes = 0, options: IngestOptions = {}): RetryableAnswer | null {
    return this.#admission.admit(bytes, options.receivedAt ?? Date.now());
  }

  /** Decodes and stores one export request body of this ingestor's signal. */
  async ingest(body: Uint8Array, encoding: OtlpEncoding, options: IngestOptions = {}): Promise<RecordIngestResult> {
    const receivedAt = options.receivedAt ?? Date.now();
    const refused = this.admit(body.byteLength, { receivedAt });
    if (refused) return refused;
    return this.#admission.track(
      body.byteLength,
      async () => {
        const decoded = await this.#decoders.decodeRecords(this.signal, body, encoding);
        return this.#write(decoded, receivedAt + this.#admission.maxCommitWaitMillis);
      },
      (result) => result.kind !== 'retryable',
    );
  }

  async #write(decoded: DecodedRecords, deadline: number): Promise<RecordIngestResult> {
    const written = await writeWithinDeadline((rows, options) => this.#sink.write(rows, options), decoded.rows, deadline, {
      admission: this.#admission,
      retryAfterMillis: this.#retryAfterMillis,
      onStorageError: this.#onStorageError,
    });
    if (written.kind === 'retryable') return written;
    const accepted = decoded.rows.recordCount;
    if (decoded.rejected > 0) return { kind: 'partial', accepted, rejected: decoded.rejected, message: decoded.rejectionMessage };
    return { kind: 'accepted', accepted };
  }
}
