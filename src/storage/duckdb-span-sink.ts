import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Attributes, SpanRecord } from '../spans/index.ts';
import type { Database } from './database.ts';
import { attributesToJson, valueToJson } from './json-text.ts';
import type { MappedSpan, SinkWriteResult, SpanSink } from './span-sink.ts';

/** Options of {@link DuckDBSpanSink.open}. */
export interface DuckDBSpanSinkOptions {
  /**
   * How many spans may wait for their commit before writes are refused as `overloaded`. This
   * bounds the memory held by the queue.
   * @default 262144
   */
  maxQueuedSpans?: number;
  /**
   * The delay suggested to a refused writer.
   * @default 1000
   */
  retryAfterMillis?: number;
  /** Called after each commit with the spans it made durable (e.g. for attempt heartbeats). */
  onCommitted?: (spans: readonly MappedSpan[]) => void;
}

interface PendingWrite {
  spans: readonly MappedSpan[];
  resolve: (result: SinkWriteResult) => void;
  reject: (error: unknown) => void;
}

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];
const LLM_CALL_FIELDS = new Set([
  'convention',
  'model',
  'inputMessages',
  'outputMessages',
  'inputTokens',
  'outputTokens',
]);

/**
 * Writes spans to DuckDB through appenders, with group commit: writes that arrive while a commit
 * is under way wait and go together into the next transaction, so each commit (and its WAL sync)
 * is shared by every concurrent request. A write resolves only after its transaction committed.
 */
export class DuckDBSpanSink implements SpanSink {
  readonly #connection: DuckDBConnection;
  readonly #spans: DuckDBAppender;
  readonly #rewards: DuckDBAppender;
  readonly #llmCalls: DuckDBAppender;
  readonly #maxQueuedSpans: number;
  readonly #retryAfterMillis: number;
  readonly #onCommitted: ((spans: readonly MappedSpan[]) => void) | undefined;
  #pending: PendingWrite[] = [];
  #queuedSpans = 0;
  #draining: Promise<void> | null = null;
  #closed = false;
  readonly #release: () => void;

  private constructor(
    connection: DuckDBConnection,
    appenders: [DuckDBAppender, DuckDBAppender, DuckDBAppender],
    options: DuckDBSpanSinkOptions,
    release: () => void,
  ) {
    this.#connection = connection;
    [this.#spans, this.#rewards, this.#llmCalls] = appenders;
    this.#maxQueuedSpans = options.maxQueuedSpans ?? 262_144;
    this.#retryAfterMillis = options.retryAfterMillis ?? 1000;
    this.#onCommitted = options.onCommitted;
    this.#release = release;
  }

  /** Opens a sink on its own connection of `database`. */
  static async open(database: Database, options: DuckDBSpanSinkOptions = {}): Promise<DuckDBSpanSink> {
    const maxQueuedSpans = options.maxQueuedSpans ?? 262_144;
    if (!Number.isInteger(maxQueuedSpans) || maxQueuedSpans < 1) {
      throw new RangeError(`Expected \`maxQueuedSpans\` to be an integer ≥ 1, got \`${maxQueuedSpans}\``);
    }
    const connection = await database.connect();
    const appenders: [DuckDBAppender, DuckDBAppender, DuckDBAppender] = [
      await connection.createAppender('spans'),
      await connection.createAppender('span_rewards'),
      await connection.createAppender('span_llm_calls'),
    ];
    return new DuckDBSpanSink(connection, appenders, options, () => database.release(connection));
  }

  /** Spans accepted but not yet committed. */
  get queuedSpans(): number {
    return this.#queuedSpans;
  }

  write(spans: readonly MappedSpan[]): Promise<SinkWriteResult> {
    if (this.#closed) return Promise.reject(new Error('The span sink is closed'));
    if (spans.length === 0) return Promise.resolve({ kind: 'written' });
    // An oversized single write is still taken when the queue is empty, so it can always progress.
    if (this.#queuedSpans > 0 && this.#queuedSpans + spans.length > this.#maxQueuedSpans) {
      return Promise.resolve({ kind: 'overloaded', retryAfterMillis: this.#retryAfterMillis });
    }
    this.#queuedSpans += spans.length;
    const result = new Promise<SinkWriteResult>((resolve, reject) => {
      this.#pending.push({ spans, resolve, reject });
    });
    this.#draining ??= this.#drain();
    return result;
  }

  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    this.#spans.closeSync();
    this.#rewards.closeSync();
    this.#llmCalls.closeSync();
    this.#release();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        await this.#connection.run('BEGIN TRANSACTION');
        // Taken after BEGIN so that writes arriving meanwhile join this commit.
        const batch = this.#pending;
        this.#pending = [];
        try {
          await this.#commitOpen(batch);
          this.#settle(batch, null);
        } catch (error) {
          if (batch.length === 1) {
            this.#settle(batch, error);
            continue;
          }
          // One bad write must not fail the others that shared its commit: retry each alone.
          for (const write of batch) {
            try {
              await this.#connection.run('BEGIN TRANSACTION');
              await this.#commitOpen([write]);
              this.#settle([write], null);
            } catch (singleError) {
              this.#settle([write], singleError);
            }
          }
        }
      }
    } finally {
      this.#draining = null;
    }
  }

  /** Appends the writes inside the open transaction and commits it; rolls back on failure. */
  async #commitOpen(batch: readonly PendingWrite[]): Promise<void> {
    try {
      const receivedAt = new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
      for (const write of batch) this.#append(write.spans, receivedAt);
      this.#spans.flushSync();
      this.#rewards.flushSync();
      this.#llmCalls.flushSync();
      await this.#connection.run('COMMIT');
    } catch (error) {
      this.#spans.clear();
      this.#rewards.clear();
      this.#llmCalls.clear();
      await this.#connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  #settle(batch: readonly PendingWrite[], error: unknown): void {
    for (const write of batch) {
      this.#queuedSpans -= write.spans.length;
      if (error === null) write.resolve({ kind: 'written' });
      else write.reject(error);
    }
    if (error === null && this.#onCommitted) for (const write of batch) this.#onCommitted(write.spans);
  }

  #append(spans: readonly MappedSpan[], receivedAt: DuckDBTimestampValue): void {
    const resourceJson = new Map<Attributes, string>();
    for (const { span, mapping } of spans) {
      const a = this.#spans;
      const start = new DuckDBTimestampValue(span.startTimeUnixNano / 1000n);
      const end = new DuckDBTimestampValue(span.endTimeUnixNano / 1000n);
      let resource = resourceJson.get(span.resource);
      if (resource === undefined) {
        resource = attributesToJson(span.resource);
        resourceJson.set(span.resource, resource);
      }
      a.appendVarchar(span.traceId);
      a.appendVarchar(span.spanId);
      appendVarcharOrNull(a, span.parentSpanId);
      appendVarcharOrNull(a, span.traceState || null);
      a.appendVarchar(span.name);
      a.appendVarchar(KIND_NAMES[span.kind] ?? 'UNSPECIFIED');
      a.appendTimestamp(start);
      a.appendTimestamp(end);
      a.appendBigInt(span.startTimeUnixNano);
      a.appendBigInt(span.endTimeUnixNano);
      a.appendVarchar(STATUS_NAMES[span.statusCode] ?? 'UNSET');
      appendVarcharOrNull(a, span.statusMessage || null);
      a.appendVarchar(attributesToJson(span.attributes));
      a.appendVarchar(resource);
      appendVarcharOrNull(a, span.scopeName || null);
      appendVarcharOrNull(a, span.scopeVersion || null);
      appendVarcharOrNull(a, mapping.serviceName);
      appendVarcharOrNull(a, mapping.rolloutId);
      appendVarcharOrNull(a, mapping.attemptId);
      if (mapping.sequenceId === null) a.appendNull();
      else a.appendBigInt(BigInt(mapping.sequenceId));
      a.appendVarchar(span.events.length === 0 ? '[]' : eventsToJson(span));
      a.appendVarchar(span.links.length === 0 ? '[]' : linksToJson(span));
      a.appendInteger(span.flags);
      a.appendInteger(span.droppedAttributesCount);
      a.appendInteger(span.droppedEventsCount);
      a.appendInteger(span.droppedLinksCount);
      a.appendTimestamp(receivedAt);
      a.endRow();

      for (const reward of mapping.rewards) {
        const r = this.#rewards;
        r.appendVarchar(span.traceId);
        r.appendVarchar(span.spanId);
        appendVarcharOrNull(r, mapping.rolloutId);
        appendVarcharOrNull(r, mapping.attemptId);
        r.appendInteger(reward.index);
        r.appendVarchar(reward.name);
        r.appendDouble(reward.value);
        r.appendBoolean(reward.primary);
        r.appendTimestamp(end);
        r.endRow();
      }

      const call = mapping.llmCall;
      if (call) {
        const l = this.#llmCalls;
        const details: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(call)) {
          if (!LLM_CALL_FIELDS.has(key) && value !== undefined && value !== null) details[key] = value;
        }
        l.appendVarchar(span.traceId);
        l.appendVarchar(span.spanId);
        appendVarcharOrNull(l, mapping.rolloutId);
        appendVarcharOrNull(l, mapping.attemptId);
        if (mapping.sequenceId === null) l.appendNull();
        else l.appendBigInt(BigInt(mapping.sequenceId));
        l.appendVarchar(call.convention);
        appendVarcharOrNull(l, call.model);
        l.appendVarchar(valueToJson(call.inputMessages));
        l.appendVarchar(valueToJson(call.outputMessages));
        appendCountOrNull(l, call.inputTokens);
        appendCountOrNull(l, call.outputTokens);
        l.appendVarchar(valueToJson(details));
        l.appendTimestamp(start);
        l.appendTimestamp(end);
        l.endRow();
      }
    }
  }
}

function appendVarcharOrNull(appender: DuckDBAppender, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendCountOrNull(appender: DuckDBAppender, value: number | null): void {
  if (value === null || !Number.isFinite(value)) appender.appendNull();
  else appender.appendBigInt(BigInt(Math.trunc(value)));
}

function eventsToJson(span: SpanRecord): string {
  return valueToJson(
    span.events.map((event) => ({
      name: event.name,
      // Nanoseconds as a string, as OTLP/JSON writes 64-bit integers: exact for every reader.
      time_unix_nano: event.timeUnixNano.toString(),
      attributes: event.attributes,
      ...(event.droppedAttributesCount ? { dropped_attributes_count: event.droppedAttributesCount } : {}),
    })),
  );
}

function linksToJson(span: SpanRecord): string {
  return valueToJson(
    span.links.map((link) => ({
      trace_id: link.traceId,
      span_id: link.spanId,
      ...(link.traceState ? { trace_state: link.traceState } : {}),
      attributes: link.attributes,
      ...(link.flags ? { flags: link.flags } : {}),
      ...(link.droppedAttributesCount ? { dropped_attributes_count: link.droppedAttributesCount } : {}),
    })),
  );
}
