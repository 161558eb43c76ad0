import type { DuckDBConnection } from '@duckdb/node-api';
import { NotFoundError } from '../errors/index.ts';
import { assignSequenceIds, toSpanRows } from '../storage/index.ts';
import type { SpanAttemptActivity, SpanRows, SpanSink } from '../storage/index.ts';
import type { DraftEditor } from './draft-editor.ts';
import type { SpanQuery } from './lightning-store.ts';
import { SpanActivityApplier } from './span-activity-applier.ts';
import { spanToMapped } from './span-conversion.ts';
import { querySpans } from './span-query.ts';
import type { Draft } from './store-draft.ts';
import type { StoreMirror } from './store-mirror.ts';
import type { PaginatedResult, Span } from './store-types.ts';
import { StoreValidationError } from './store-validation-error.ts';

/** What a {@link StoreSpans} works with: the store's state, its span sink and its way of writing. */
export interface StoreSpansOptions {
  /** The store's reading connection: spans are read from `spans` through it. */
  reader: DuckDBConnection;
  /** Where added spans are written. */
  spanSink: SpanSink;
  mirror: StoreMirror;
  editor: DraftEditor;
  /** Runs `build` in the store's next group and resolves once its changes committed. */
  mutate: <T>(build: (draft: Draft) => T) => Promise<T>;
  /** Whether the store is closed: span activity is then dropped. */
  isClosed: () => boolean;
}

/**
 * The span side of `DuckDBLightningStore`: adding and querying spans, the rollouts' span sequence
 * ids, and the span activity (spans committed by the sink) that counts as attempts' heartbeats,
 * applied through a {@link SpanActivityApplier}. The store's span methods delegate here.
 */
export class StoreSpans {
  readonly #reader: DuckDBConnection;
  readonly #spanSink: SpanSink;
  readonly #mirror: StoreMirror;
  readonly #editor: DraftEditor;
  readonly #mutate: StoreSpansOptions['mutate'];
  readonly #activity: SpanActivityApplier;
  /** The add of each span under way, by rollout, attempt and span id: one add of a span at a time. */
  readonly #spanAdds = new Map<string, Promise<void>>();

  constructor(options: StoreSpansOptions) {
    this.#reader = options.reader;
    this.#spanSink = options.spanSink;
    this.#mirror = options.mirror;
    this.#editor = options.editor;
    this.#mutate = options.mutate;
    this.#activity = new SpanActivityApplier({
      mirror: options.mirror,
      editor: options.editor,
      mutate: options.mutate,
      isClosed: options.isClosed,
    });
  }

  /** Raises the rollout's span sequence counter by one and returns it. */
  async getNextSpanSequenceId(rolloutId: string, attemptId: string): Promise<number> {
    if (typeof rolloutId !== 'string' || typeof attemptId !== 'string') {
      throw StoreValidationError.at(['rollout_id'], 'Expected string `rollout_id` and `attempt_id`', 'string_type');
    }
    return this.#mutate((draft) => {
      const next = this.#editor.lastSequenceId(draft, rolloutId) + 1;
      draft.sequences.set(rolloutId, next);
      return next;
    });
  }

  /**
   * Adds one span of a known attempt; `null` when the attempt already has a span with this span id
   * (stored once, as Agent Lightning's store does) or when the sink is overloaded.
   */
  async addSpan(span: Span): Promise<Span | null> {
    const mapped = spanToMapped(span);
    const entry = this.#mirror.rollouts.get(span.rollout_id);
    if (!entry) throw new NotFoundError(`Rollout ${span.rollout_id} not found`);
    if (!entry.attempts.some((attempt) => attempt.attempt_id === span.attempt_id)) {
      throw new NotFoundError(`Attempt ${span.attempt_id} of rollout ${span.rollout_id} not found`);
    }
    // Adds of the same span wait for each other, so that the check below sees the one before.
    const key = `${span.rollout_id}\u0000${span.attempt_id}\u0000${mapped.span.spanId}`;
    const before = this.#spanAdds.get(key) ?? Promise.resolve();
    const added = before.then(() => this.#addNewSpan(span, mapped));
    const settled = added.then(() => undefined, () => undefined);
    this.#spanAdds.set(key, settled);
    void settled.then(() => {
      if (this.#spanAdds.get(key) === settled) this.#spanAdds.delete(key);
    });
    return added;
  }

  async #addNewSpan(span: Span, mapped: ReturnType<typeof spanToMapped>): Promise<Span | null> {
    const query = { rolloutId: span.rollout_id, attemptId: span.attempt_id, spanId: mapped.span.spanId, limit: 1 };
    if ((await this.querySpans(query)).total > 0) return null;
    const rows = toSpanRows([mapped]);
    const result = await this.#spanSink.write(rows);
    if (result.kind === 'overloaded') return null;
    // The sink's onCommitted queued the heartbeat already; let it land before answering.
    await this.flushSpanActivity();
    const [stored] = (await this.querySpans(query)).items;
    return stored ?? null;
  }

  /** A page of the spans that match `query`. */
  async querySpans(query: SpanQuery): Promise<PaginatedResult<Span>> {
    return querySpans(this.#reader, this.#mirror, query);
  }

  /** Queues spans committed for some attempts to be applied as heartbeats (see {@link SpanActivityApplier}). */
  recordSpanActivity(activities: readonly SpanAttemptActivity[]): void {
    this.#activity.record(activities);
  }

  /**
   * Gives each span of `rows` that names one of the store's attempts but carries no sequence id the
   * next sequence id of its rollout. Spans of unknown rollouts keep none.
   */
  assignSpanSequenceIds(rows: SpanRows): void {
    assignSequenceIds(rows, (rolloutId, attemptId) => {
      const entry = this.#mirror.rollouts.get(rolloutId);
      if (!entry || !entry.attempts.some((attempt) => attempt.attempt_id === attemptId)) return null;
      return this.#editor.issueSequenceId(rolloutId);
    });
  }

  /** Resolves when the span activity recorded so far is applied. */
  flushSpanActivity(): Promise<void> {
    return this.#activity.flush();
  }
}
