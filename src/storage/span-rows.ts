import type { Attributes, SpanRecord } from '../spans/index.ts';
import { attributesToJson, valueToJson } from './json-text.ts';
import { RowPacker, transferables } from './row-pack.ts';
import type { ColumnKind, PackedRows } from './row-pack.ts';
import type { MappedSpan } from './mapped-span.ts';

/**
 * Mapped spans turned into the rows of the `spans`, `span_rewards` and `span_llm_calls` tables,
 * packed ({@link PackedRows}) so that a decoder thread can hand them to the writer cheaply.
 * Building rows is the CPU-heavy part of a write (JSON serialisation), so it runs on a decoder
 * thread; the writer only appends them.
 */
export interface SpanRows {
  spanCount: number;
  spans: PackedRows;
  rewards: PackedRows;
  llmCalls: PackedRows;
  /**
   * The distinct (rollout, attempt) pairs of these spans, with the latest end time and highest
   * sequence id among them: what the store needs (heartbeats) without scanning the rows.
   */
  attempts: SpanAttemptActivity[];
  /**
   * The spans that name a rollout and an attempt but carry no `agentlightning.span_sequence_id`:
   * {@link assignSequenceIds} gives each the attempt's next id before they are written.
   */
  unsequenced?: UnsequencedSpan[];
}

/** A span of {@link SpanRows} waiting for a sequence id: its row, its LLM-call row if it has one, its reward rows. */
export interface UnsequencedSpan {
  rolloutId: string;
  attemptId: string;
  spanRow: number;
  llmCallRow: number | null;
  /** Its first `span_rewards` row; it has {@link rewardCount} of them. */
  rewardRow: number;
  rewardCount: number;
}

/** Spans of one attempt within a {@link SpanRows}. */
export interface SpanAttemptActivity {
  rolloutId: string;
  attemptId: string;
  /** The latest `end_time_unix_nano` among the attempt's spans. */
  lastEndTimeUnixNano: bigint;
  /** The highest `agentlightning.span_sequence_id` among them, or `null` when none carried one. */
  maxSequenceId: number | null;
}

/** The stored columns of `spans` in table order, less the trailing `received_at`. */
export const SPAN_COLUMN_KINDS: readonly ColumnKind[] = [
  ...'VVVVVVBBVVVVVVVVVBVVIIII',
] as ColumnKind[];
/** The stored columns of `span_rewards` in table order. */
export const REWARD_COLUMN_KINDS: readonly ColumnKind[] = [...'VVVVIVDZBB'] as ColumnKind[];
/** The stored columns of `span_llm_calls` in table order. */
export const LLM_CALL_COLUMN_KINDS: readonly ColumnKind[] = [...'VVVVBVVVVBBVBB'] as ColumnKind[];

/** The buffers of `rows` that can move to another thread instead of being copied. */
export function spanRowsTransferables(rows: SpanRows): ArrayBuffer[] {
  return [...transferables(rows.spans), ...transferables(rows.rewards), ...transferables(rows.llmCalls)];
}

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];
const LLM_CALL_COLUMNS = new Set(['convention', 'model', 'inputMessages', 'outputMessages', 'inputTokens', 'outputTokens']);

/** Builds the rows of `mapped`. */
export function toSpanRows(mapped: readonly MappedSpan[]): SpanRows {
  const spans = new RowPacker(SPAN_COLUMN_KINDS, mapped.length);
  const rewards = new RowPacker(REWARD_COLUMN_KINDS);
  const llmCalls = new RowPacker(LLM_CALL_COLUMN_KINDS);
  const resourceJson = new Map<Attributes, string>();
  const attempts = new Map<string, SpanAttemptActivity>();
  const unsequenced: UnsequencedSpan[] = [];
  let spanRow = 0;
  let llmCallRow = 0;
  let rewardRow = 0;
  for (const { span, mapping } of mapped) {
    if (mapping.sequenceId === null && mapping.rolloutId !== null && mapping.attemptId !== null) {
      unsequenced.push({
        rolloutId: mapping.rolloutId,
        attemptId: mapping.attemptId,
        spanRow,
        llmCallRow: mapping.llmCall ? llmCallRow : null,
        rewardRow,
        rewardCount: mapping.rewards.length,
      });
    }
    spanRow++;
    if (mapping.llmCall) llmCallRow++;
    rewardRow += mapping.rewards.length;
    let resource = resourceJson.get(span.resource);
    if (resource === undefined) {
      resource = attributesToJson(span.resource);
      resourceJson.set(span.resource, resource);
    }
    const sequenceId = mapping.sequenceId === null ? null : BigInt(mapping.sequenceId);
    spans.add(span.traceId);
    spans.add(span.spanId);
    spans.add(span.parentSpanId);
    spans.add(span.traceState || null);
    spans.add(span.name);
    spans.add(KIND_NAMES[span.kind] ?? 'UNSPECIFIED');
    spans.add(span.startTimeUnixNano);
    spans.add(span.endTimeUnixNano);
    spans.add(STATUS_NAMES[span.statusCode] ?? 'UNSET');
    spans.add(span.statusMessage || null);
    spans.add(attributesToJson(span.attributes));
    spans.add(resource);
    spans.add(span.scopeName || null);
    spans.add(span.scopeVersion || null);
    spans.add(mapping.serviceName);
    spans.add(mapping.rolloutId);
    spans.add(mapping.attemptId);
    spans.add(sequenceId);
    spans.add(span.events.length === 0 ? '[]' : eventsToJson(span));
    spans.add(span.links.length === 0 ? '[]' : linksToJson(span));
    spans.add(span.flags);
    spans.add(span.droppedAttributesCount);
    spans.add(span.droppedEventsCount);
    spans.add(span.droppedLinksCount);

    if (mapping.rolloutId !== null && mapping.attemptId !== null) {
      const key = `${mapping.rolloutId}\u0000${mapping.attemptId}`;
      const activity = attempts.get(key);
      if (!activity) {
        attempts.set(key, {
          rolloutId: mapping.rolloutId,
          attemptId: mapping.attemptId,
          lastEndTimeUnixNano: span.endTimeUnixNano,
          maxSequenceId: mapping.sequenceId,
        });
      } else {
        if (span.endTimeUnixNano > activity.lastEndTimeUnixNano) activity.lastEndTimeUnixNano = span.endTimeUnixNano;
        if (mapping.sequenceId !== null && (activity.maxSequenceId === null || mapping.sequenceId > activity.maxSequenceId)) {
          activity.maxSequenceId = mapping.sequenceId;
        }
      }
    }

    for (const reward of mapping.rewards) {
      addRow(rewards, [
        span.traceId,
        span.spanId,
        mapping.rolloutId,
        mapping.attemptId,
        reward.index,
        reward.name,
        reward.value,
        reward.primary,
        span.endTimeUnixNano,
        sequenceId,
      ]);
    }

    const call = mapping.llmCall;
    if (call) {
      const details: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(call)) {
        if (!LLM_CALL_COLUMNS.has(key) && value !== undefined && value !== null) details[key] = value;
      }
      addRow(llmCalls, [
        span.traceId,
        span.spanId,
        mapping.rolloutId,
        mapping.attemptId,
        sequenceId,
        call.convention,
        call.model,
        valueToJson(call.inputMessages),
        valueToJson(call.outputMessages),
        countOrNull(call.inputTokens),
        countOrNull(call.outputTokens),
        valueToJson(details),
        span.startTimeUnixNano,
        span.endTimeUnixNano,
      ]);
    }
  }
  return {
    spanCount: mapped.length,
    spans: spans.finish(),
    rewards: rewards.finish(),
    llmCalls: llmCalls.finish(),
    attempts: [...attempts.values()],
    unsequenced,
  };
}

// Where a row's sequence id is in the packed rows: the index of its column among the row's bigints
// and among all its values (see RowPacker).
const SPAN_SEQUENCE_COLUMN = 17;
const SPAN_SEQUENCE_BIGINT = SPAN_COLUMN_KINDS.slice(0, SPAN_SEQUENCE_COLUMN).filter((kind) => kind === 'B').length;
const SPAN_BIGINTS = SPAN_COLUMN_KINDS.filter((kind) => kind === 'B').length;
const LLM_CALL_SEQUENCE_BIGINT = 0;
const LLM_CALL_SEQUENCE_COLUMN = 4;
const LLM_CALL_BIGINTS = LLM_CALL_COLUMN_KINDS.filter((kind) => kind === 'B').length;
const REWARD_SEQUENCE_COLUMN = 9;
const REWARD_SEQUENCE_BIGINT = 1;
const REWARD_BIGINTS = REWARD_COLUMN_KINDS.filter((kind) => kind === 'B').length;

/**
 * Gives each span of `rows` that names an attempt but carries no sequence id the id `next` issues
 * for its attempt (none when `next` answers null: the span keeps NULL), in its `spans`,
 * `span_llm_calls` and `span_rewards` rows and in the attempt's {@link SpanAttemptActivity.maxSequenceId}. Agent
 * Lightning's runners send such spans, and everything that orders an attempt's spans uses the id.
 */
export function assignSequenceIds(rows: SpanRows, next: (rolloutId: string, attemptId: string) => number | null): void {
  if (!rows.unsequenced || rows.unsequenced.length === 0) return;
  const activities = new Map(rows.attempts.map((activity) => [`${activity.rolloutId}\u0000${activity.attemptId}`, activity]));
  for (const { rolloutId, attemptId, spanRow, llmCallRow, rewardRow, rewardCount } of rows.unsequenced) {
    const id = next(rolloutId, attemptId);
    if (id === null) continue;
    rows.spans.bigints[spanRow * SPAN_BIGINTS + SPAN_SEQUENCE_BIGINT] = BigInt(id);
    rows.spans.nulls[spanRow * SPAN_COLUMN_KINDS.length + SPAN_SEQUENCE_COLUMN] = 0;
    if (llmCallRow !== null) {
      rows.llmCalls.bigints[llmCallRow * LLM_CALL_BIGINTS + LLM_CALL_SEQUENCE_BIGINT] = BigInt(id);
      rows.llmCalls.nulls[llmCallRow * LLM_CALL_COLUMN_KINDS.length + LLM_CALL_SEQUENCE_COLUMN] = 0;
    }
    for (let row = rewardRow; row < rewardRow + rewardCount; row++) {
      rows.rewards.bigints[row * REWARD_BIGINTS + REWARD_SEQUENCE_BIGINT] = BigInt(id);
      rows.rewards.nulls[row * REWARD_COLUMN_KINDS.length + REWARD_SEQUENCE_COLUMN] = 0;
    }
    const activity = activities.get(`${rolloutId}\u0000${attemptId}`);
    if (activity && (activity.maxSequenceId === null || id > activity.maxSequenceId)) activity.maxSequenceId = id;
  }
  rows.unsequenced = [];
}

function addRow(packer: RowPacker, values: readonly (string | bigint | number | boolean | null)[]): void {
  for (const value of values) packer.add(value);
}

function countOrNull(value: number | null): bigint | null {
  return value === null || !Number.isFinite(value) ? null : BigInt(Math.trunc(value));
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
