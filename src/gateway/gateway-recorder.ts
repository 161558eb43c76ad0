import type { OtlpForwarder } from '../forward/index.ts';
import type { TraceIngestor } from '../ingest/index.ts';
import type { Logger } from '../logging/index.ts';
import type { SpanRecord } from '../spans/index.ts';
import type { GatewayCallRecord } from './gateway-span.ts';
import { encodeGatewaySpanRecords, gatewaySpanRecord } from './gateway-span.ts';

/** A call waiting for its batch: its span already built, and what finds it in a log. */
interface RecordedCall {
  span: SpanRecord;
  rolloutId: string | null;
  attemptId: string | null;
}

/** Options of {@link GatewayRecorder}. */
export interface GatewayRecorderOptions {
  /** The collector's ingest path: the spans are handed to it like the spans of a received OTLP request. */
  ingestor: TraceIngestor;
  /** When set, every recorded span is forwarded, encoded as an OTLP/JSON request. */
  forwarder?: OtlpForwarder | null;
  /** Where failures to record are reported. */
  logger?: Logger;
  /**
   * How long a span refused for overload is retried before it is dropped (and counted).
   * @default 30000
   */
  maxRetryMillis?: number;
  /**
   * How long a call waits for others before they are stored together as one export request (as
   * the SDK's `BatchSpanProcessor` batches spans, every 5 s by default). While a batch is being
   * stored the next one keeps filling, so under load the batches grow to match the storage's
   * pace: one write, one transaction and one heartbeat write for many calls. Each transaction
   * costs ~4 ms of CPU whatever its size (DuckDB 1.5's appender flush alone ~0.7 ms per table): at
   * concurrency 1 a 5 ms delay made every call its own transaction (collector CPU per call 1.3 ms
   * against ~0.77 ms at 50 ms); at concurrency 64 batches of ~70 calls became ~200 (a small saving,
   * within the noise; see docs/benchmarks.md#gateway).
   * @default 50
   */
  batchDelayMillis?: number;
  /**
   * The most calls in one export request; a full batch is sent at once, even while another is
   * being stored.
   * @default 512
   */
  maxBatchCalls?: number;
}

/** Checks the batching and retry options of a {@link GatewayRecorder}; throws a `RangeError` naming the bad one. */
export function checkGatewayRecorderTuning(options: Pick<GatewayRecorderOptions, 'batchDelayMillis' | 'maxBatchCalls' | 'maxRetryMillis'>): void {
  for (const name of ['batchDelayMillis', 'maxRetryMillis'] as const) {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`Expected \`${name}\` to be a number ≥ 0, got \`${value}\``);
    }
  }
  const calls = options.maxBatchCalls;
  if (calls !== undefined && !(Number.isInteger(calls) && calls >= 1)) throw new RangeError(`Expected \`maxBatchCalls\` to be an integer ≥ 1, got \`${calls}\``);
}

/** Counters of a {@link GatewayRecorder}. */
export interface GatewayRecorderStats {
  /** Spans stored. */
  recorded: number;
  /** Spans given up on (overload past `maxRetryMillis`, storage failure, closed). */
  dropped: number;
  /** Spans being stored now. */
  pending: number;
}

/**
 * Records gateway calls through the same path as OTLP: each call becomes the span an OTLP receiver
 * would decode from it (`gatewaySpanRecord`), and batches of them are given to the
 * `TraceIngestor` (convention mapping, admission, sequence ids, durable write, heartbeat) and, once
 * stored, encoded as OTLP/JSON to the forwarder. Recording runs after the client has its answer,
 * so it adds nothing to the call's latency; {@link flush} waits for it.
 */
export class GatewayRecorder {
  readonly #ingestor: TraceIngestor;
  readonly #forwarder: OtlpForwarder | null;
  readonly #logger: Logger | undefined;
  readonly #maxRetryMillis: number;
  readonly #pending = new Set<Promise<void>>();
  readonly #batchDelayMillis: number;
  readonly #maxBatchCalls: number;
  #batch: RecordedCall[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Whether the batch that carries the delay's turn is being stored (see `#schedule`). */
  #timedInFlight = false;
  #recorded = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: GatewayRecorderOptions) {
    checkGatewayRecorderTuning(options);
    this.#ingestor = options.ingestor;
    this.#forwarder = options.forwarder ?? null;
    this.#logger = options.logger;
    this.#maxRetryMillis = options.maxRetryMillis ?? 30_000;
    this.#batchDelayMillis = options.batchDelayMillis ?? 50;
    this.#maxBatchCalls = options.maxBatchCalls ?? 512;
  }

  /** Records one call in the background; never throws. */
  record(call: GatewayCallRecord): void {
    if (this.#closed) {
      this.#dropped++;
      return;
    }
    this.#batch.push({ span: gatewaySpanRecord(call), rolloutId: call.rolloutId, attemptId: call.attemptId });
    if (this.#batch.length >= this.#maxBatchCalls) this.#send();
    else this.#schedule();
  }

  /** Resolves once every call recorded so far is stored (or dropped). */
  async flush(): Promise<void> {
    this.#send();
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
      this.#send();
    }
  }

  // The batch is sent after the delay, but only while no batch of the delay's is being stored:
  // each commit costs the same whatever its size, so under load waiting for it is what batches.
  #schedule(): void {
    if (this.#timer || this.#timedInFlight || this.#batch.length === 0) return;
    this.#timer = setTimeout(() => this.#send(), this.#batchDelayMillis);
  }

  #send(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#batch.length === 0) return;
    const calls = this.#batch;
    this.#batch = [];
    const timed = !this.#timedInFlight;
    if (timed) this.#timedInFlight = true;
    const task = this.#store(calls).finally(() => {
      this.#pending.delete(task);
      if (timed) {
        this.#timedInFlight = false;
        this.#schedule();
      }
    });
    this.#pending.add(task);
  }

  /** The counters. */
  get stats(): GatewayRecorderStats {
    return { recorded: this.#recorded, dropped: this.#dropped, pending: this.#batch.length + this.#pending.size };
  }

  /** Stores what is pending, then takes no more. Idempotent. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  async #store(calls: RecordedCall[]): Promise<void> {
    const spans = calls.map((call) => call.span);
    const giveUpAt = Date.now() + this.#maxRetryMillis;
    try {
      for (;;) {
        const result = await this.#ingestor.ingestSpans(spans);
        if (result.kind !== 'retryable') {
          this.#recorded += calls.length;
          this.#forwarder?.enqueue(encodeGatewaySpanRecords(spans), { 'content-type': 'application/json' });
          return;
        }
        if (this.#closed || Date.now() + result.retryAfterMillis > giveUpAt) {
          this.#drop(calls, result.message);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, result.retryAfterMillis));
      }
    } catch (error) {
      this.#drop(calls, (error as Error).message);
    }
  }

  #drop(calls: RecordedCall[], reason: string): void {
    this.#dropped += calls.length;
    const first = calls[0];
    this.#logger?.warn(
      `Gateway: ${calls.length} call span(s) were not recorded, the first ${first.span.spanId} (rollout ${first.rolloutId ?? '-'}, attempt ${first.attemptId ?? '-'}): ${reason}`,
    );
  }
}
