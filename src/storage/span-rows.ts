import type { Attributes, SpanRecord } from '../spans/index.ts';
import { attributesToJson, valueToJson } from './json-text.ts';
import type { MappedSpan } from './span-sink.ts';

/** A value of a row: what the appender takes, and what survives a worker's structured clone. */
export type RowValue = string | number | bigint | boolean | null;

/**
 * Mapped spans turned into the rows of the `spans`, `span_rewards` and `span_llm_calls` tables,
 * flat (row after row, {@link SPAN_ROW_WIDTH} values each). Building rows is the CPU-heavy part of
 * a write (JSON serialisation), so it can run on a decoder thread; the writer only appends them.
 */
export interface SpanRows {
  spanCount: number;
  spans: RowValue[];
  rewards: RowValue[];
  llmCalls: RowValue[];
  /**
   * The distinct (rollout, attempt) pairs of these spans, with the latest end time and highest
   * sequence id among them: what the store needs (heartbeats) without scanning the rows.
   */
  attempts: SpanAttemptActivity[];
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

/** Values per `spans` row: the table's stored columns in order, less `received_at`. */
export const SPAN_ROW_WIDTH = 24;

/** How the writer appends each value: V varchar, B bigint, I integer, D double, Z boolean. */
export type ColumnKind = 'V' | 'B' | 'I' | 'D' | 'Z';

/** The stored columns of `spans` in table order, less the trailing `received_at`. */
export const SPAN_COLUMN_KINDS: readonly ColumnKind[] = [
  ...'VVVVVVBBVVVVVVVVVBVVIIII',
] as ColumnKind[];
/** The stored columns of `span_rewards` in table order. */
export const REWARD_COLUMN_KINDS: readonly ColumnKind[] = [...'VVVVIVDZB'] as ColumnKind[];
/** The stored columns of `span_llm_calls` in table order. */
export const LLM_CALL_COLUMN_KINDS: readonly ColumnKind[] = [...'VVVVBVVVVBBVBB'] as ColumnKind[];

const KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];
const LLM_CALL_COLUMNS = new Set(['convention', 'model', 'inputMessages', 'outputMessages', 'inputTokens', 'outputTokens']);

/** Builds the rows of `mapped`. */
export function toSpanRows(mapped: readonly MappedSpan[]): SpanRows {
  const spans: RowValue[] = new Array(mapped.length * SPAN_ROW_WIDTH);
  const rewards: RowValue[] = [];
  const llmCalls: RowValue[] = [];
  const resourceJson = new Map<Attributes, string>();
  const attempts = new Map<string, SpanAttemptActivity>();
  let at = 0;
  for (const { span, mapping } of mapped) {
    let resource = resourceJson.get(span.resource);
    if (resource === undefined) {
      resource = attributesToJson(span.resource);
      resourceJson.set(span.resource, resource);
    }
    const sequenceId = mapping.sequenceId === null ? null : BigInt(mapping.sequenceId);
    spans[at++] = span.traceId;
    spans[at++] = span.spanId;
    spans[at++] = span.parentSpanId;
    spans[at++] = span.traceState || null;
    spans[at++] = span.name;
    spans[at++] = KIND_NAMES[span.kind] ?? 'UNSPECIFIED';
    spans[at++] = span.startTimeUnixNano;
    spans[at++] = span.endTimeUnixNano;
    spans[at++] = STATUS_NAMES[span.statusCode] ?? 'UNSET';
    spans[at++] = span.statusMessage || null;
    spans[at++] = attributesToJson(span.attributes);
    spans[at++] = resource;
    spans[at++] = span.scopeName || null;
    spans[at++] = span.scopeVersion || null;
    spans[at++] = mapping.serviceName;
    spans[at++] = mapping.rolloutId;
    spans[at++] = mapping.attemptId;
    spans[at++] = sequenceId;
    spans[at++] = span.events.length === 0 ? '[]' : eventsToJson(span);
    spans[at++] = span.links.length === 0 ? '[]' : linksToJson(span);
    spans[at++] = span.flags;
    spans[at++] = span.droppedAttributesCount;
    spans[at++] = span.droppedEventsCount;
    spans[at++] = span.droppedLinksCount;

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
      rewards.push(
        span.traceId,
        span.spanId,
        mapping.rolloutId,
        mapping.attemptId,
        reward.index,
        reward.name,
        reward.value,
        reward.primary,
        span.endTimeUnixNano,
      );
    }

    const call = mapping.llmCall;
    if (call) {
      const details: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(call)) {
        if (!LLM_CALL_COLUMNS.has(key) && value !== undefined && value !== null) details[key] = value;
      }
      llmCalls.push(
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
      );
    }
  }
  return { spanCount: mapped.length, spans, rewards, llmCalls, attempts: [...attempts.values()] };
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
