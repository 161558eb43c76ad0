import { mapSpan } from '../semconv/index.ts';
import type { AttributeValue, Attributes, SpanRecord } from '../spans/index.ts';
import type { MappedSpan } from '../storage/index.ts';
import { StoreValidationError } from './store-validation-error.ts';
import type { Span, SpanAttributes, SpanContext } from './store-types.ts';

const KIND_NUMBERS: Record<string, number> = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
const STATUS_NUMBERS: Record<string, number> = { UNSET: 0, OK: 1, ERROR: 2 };

/** The columns of `spans` that {@link spanFromRow} reads, in order. */
export const SPAN_SELECT_COLUMNS = `trace_id, span_id, parent_span_id, trace_state, name,
  CAST(start_time_unix_nano AS VARCHAR) AS start_ns, CAST(end_time_unix_nano AS VARCHAR) AS end_ns,
  status_code, status_message, CAST(attributes AS VARCHAR) AS attributes, CAST(resource AS VARCHAR) AS resource,
  rollout_id, attempt_id, sequence_id, CAST(events AS VARCHAR) AS events, CAST(links AS VARCHAR) AS links, kind,
  scope_name, scope_version`;

/** A row of {@link SPAN_SELECT_COLUMNS}, by column name. */
export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  trace_state: string | null;
  name: string;
  start_ns: string;
  end_ns: string;
  status_code: string;
  status_message: string | null;
  attributes: string;
  resource: string;
  rollout_id: string | null;
  attempt_id: string | null;
  sequence_id: bigint | number | null;
  events: string;
  links: string;
  kind: string;
  scope_name: string | null;
  scope_version: string | null;
}

/**
 * A row of our `spans` table as Agent Lightning's `Span`. Nested attribute objects (OTLP kvlists)
 * are flattened to dotted keys, since the contract's attributes are flat; times are seconds.
 */
export function spanFromRow(row: SpanRow): Span {
  const traceId = row.trace_id;
  const spanId = row.span_id;
  const parentSpanId = row.parent_span_id;
  const sequenceId = row.sequence_id;
  const context = spanContext(traceId, spanId, row.trace_state);
  return {
    rollout_id: row.rollout_id ?? '',
    attempt_id: row.attempt_id ?? '',
    sequence_id: sequenceId === null ? 0 : Number(sequenceId),
    trace_id: traceId,
    span_id: spanId,
    parent_id: parentSpanId,
    name: row.name,
    status: {
      status_code: (row.status_code as Span['status']['status_code']) ?? 'UNSET',
      description: row.status_message,
    },
    attributes: flattenAttributes(JSON.parse(row.attributes) as Attributes),
    events: (JSON.parse(row.events) as { name: string; time_unix_nano: string; attributes: Attributes }[]).map((event) => ({
      name: event.name,
      attributes: flattenAttributes(event.attributes ?? {}),
      timestamp: nanosToSeconds(event.time_unix_nano),
    })),
    links: (JSON.parse(row.links) as { trace_id: string; span_id: string; trace_state?: string; attributes: Attributes }[]).map(
      (link) => ({
        context: spanContext(link.trace_id, link.span_id, link.trace_state ?? null),
        attributes: flattenAttributes(link.attributes ?? {}),
      }),
    ),
    start_time: nanosToSeconds(row.start_ns),
    end_time: nanosToSeconds(row.end_ns),
    context,
    parent: parentSpanId === null ? null : spanContext(traceId, parentSpanId, null),
    resource: { attributes: flattenAttributes(JSON.parse(row.resource) as Attributes), schema_url: '' },
    // Beyond the contract's fields (it allows extra ones): what our table knows besides.
    kind: row.kind,
    scope_name: row.scope_name,
    scope_version: row.scope_version,
  } as Span;
}

/**
 * Agent Lightning's `Span` (as `POST /v1/agl/spans` takes it) as our span record with its mapping;
 * the span's `rollout_id`, `attempt_id` and `sequence_id` win over any attribute.
 */
export function spanToMapped(span: Span): MappedSpan {
  const issues: { loc: (string | number)[]; msg: string; type: string }[] = [];
  const text = (field: keyof Span, value: unknown, pattern?: RegExp): string => {
    if (typeof value !== 'string' || (pattern && !pattern.test(value))) {
      issues.push({ loc: ['body', field], msg: pattern ? `Expected a string matching ${pattern}` : 'Expected a string', type: 'string_type' });
      return '';
    }
    return value;
  };
  const rolloutId = text('rollout_id', span.rollout_id);
  const attemptId = text('attempt_id', span.attempt_id);
  const traceId = text('trace_id', span.trace_id, /^[0-9a-fA-F]{32}$/).toLowerCase();
  const spanId = text('span_id', span.span_id, /^[0-9a-fA-F]{16}$/).toLowerCase();
  const name = text('name', span.name);
  if (!Number.isSafeInteger(span.sequence_id)) issues.push({ loc: ['body', 'sequence_id'], msg: 'Expected an integer', type: 'int_type' });
  const parentId = span.parent_id ?? span.parent?.span_id ?? null;
  if (parentId !== null && (typeof parentId !== 'string' || !/^[0-9a-fA-F]{16}$/.test(parentId))) {
    issues.push({ loc: ['body', 'parent_id'], msg: 'Expected null or 16 hex characters', type: 'string_type' });
  }
  const statusCode = span.status?.status_code ?? 'UNSET';
  if (!(statusCode in STATUS_NUMBERS)) issues.push({ loc: ['body', 'status', 'status_code'], msg: "Expected 'UNSET', 'OK' or 'ERROR'", type: 'enum' });
  for (const field of ['start_time', 'end_time'] as const) checkSeconds(span[field], ['body', field], issues);
  for (const field of ['attributes', 'events', 'links'] as const) {
    const value = span[field];
    const ok = field === 'attributes' ? isPlainObject(value ?? {}) : Array.isArray(value ?? []);
    if (!ok) issues.push({ loc: ['body', field], msg: field === 'attributes' ? 'Expected an object' : 'Expected an array', type: 'type_error' });
  }
  if (Array.isArray(span.events)) {
    span.events.forEach((event, index) => {
      const loc = ['body', 'events', index];
      if (!isPlainObject(event)) issues.push({ loc, msg: 'Input should be a valid dictionary', type: 'dict_type' });
      else {
        if (event.name !== undefined && typeof event.name !== 'string') issues.push({ loc: [...loc, 'name'], msg: 'Input should be a valid string', type: 'string_type' });
        if (event.attributes !== undefined && event.attributes !== null && !isPlainObject(event.attributes)) {
          issues.push({ loc: [...loc, 'attributes'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
        }
        checkSeconds(event.timestamp, [...loc, 'timestamp'], issues);
      }
    });
  }
  if (Array.isArray(span.links)) {
    span.links.forEach((link, index) => {
      const loc = ['body', 'links', index];
      if (!isPlainObject(link)) issues.push({ loc, msg: 'Input should be a valid dictionary', type: 'dict_type' });
      else {
        if (!isPlainObject(link.context)) issues.push({ loc: [...loc, 'context'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
        else {
          for (const field of ['trace_id', 'span_id'] as const) {
            if (typeof link.context[field] !== 'string') issues.push({ loc: [...loc, 'context', field], msg: 'Input should be a valid string', type: 'string_type' });
          }
        }
        if (link.attributes !== undefined && link.attributes !== null && !isPlainObject(link.attributes)) {
          issues.push({ loc: [...loc, 'attributes'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
        }
      }
    });
  }
  if (span.status !== undefined && span.status !== null && !isPlainObject(span.status)) {
    issues.push({ loc: ['body', 'status'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
  }
  if (span.resource !== undefined && span.resource !== null && (!isPlainObject(span.resource) || (span.resource.attributes != null && !isPlainObject(span.resource.attributes)))) {
    issues.push({ loc: ['body', 'resource'], msg: 'Input should be a dictionary with a dictionary `attributes`', type: 'dict_type' });
  }
  if (issues.length > 0) throw new StoreValidationError(issues);

  const now = Date.now() / 1000;
  const start = span.start_time ?? span.end_time ?? now;
  const end = span.end_time ?? start;
  const extraKind = (span as unknown as { kind?: unknown }).kind;
  const record: SpanRecord = {
    traceId,
    spanId,
    parentSpanId: parentId === null ? null : parentId.toLowerCase(),
    traceState: traceStateText(span.context?.trace_state),
    flags: 1,
    name,
    kind: typeof extraKind === 'string' && extraKind.toUpperCase() in KIND_NUMBERS ? KIND_NUMBERS[extraKind.toUpperCase()] : 1,
    startTimeUnixNano: secondsToNanos(start),
    endTimeUnixNano: secondsToNanos(end),
    attributes: (span.attributes ?? {}) as Attributes,
    droppedAttributesCount: 0,
    events: (span.events ?? []).map((event) => ({
      timeUnixNano: secondsToNanos(event.timestamp ?? start),
      name: String(event.name ?? ''),
      attributes: (event.attributes ?? {}) as Attributes,
      droppedAttributesCount: 0,
    })),
    droppedEventsCount: 0,
    links: (span.links ?? []).map((link) => ({
      traceId: String(link.context?.trace_id ?? '').toLowerCase(),
      spanId: String(link.context?.span_id ?? '').toLowerCase(),
      traceState: traceStateText(link.context?.trace_state),
      attributes: (link.attributes ?? {}) as Attributes,
      droppedAttributesCount: 0,
      flags: 0,
    })),
    droppedLinksCount: 0,
    statusCode: STATUS_NUMBERS[statusCode],
    statusMessage: span.status?.description ?? '',
    resource: (span.resource?.attributes ?? {}) as Attributes,
    resourceSchemaUrl: span.resource?.schema_url ?? '',
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: {},
  };
  const mapping = mapSpan(record);
  mapping.rolloutId = rolloutId;
  mapping.attemptId = attemptId;
  mapping.sequenceId = span.sequence_id;
  return { span: record, mapping };
}

/**
 * The times a span can carry, in seconds since the epoch: what signed 64-bit nanoseconds (the
 * `*_unix_nano` columns) hold, years 1677 to 2262.
 */
const MAX_ABS_SECONDS = 9_223_372_036;

/** Adds an issue unless `value` is null, absent, or a number of seconds the tables can hold. */
function checkSeconds(value: unknown, loc: (string | number)[], issues: { loc: (string | number)[]; msg: string; type: string }[]): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) issues.push({ loc, msg: 'Expected a number of seconds or null', type: 'float_type' });
  else if (Math.abs(value) > MAX_ABS_SECONDS) {
    issues.push({ loc, msg: `Expected seconds since the epoch from -${MAX_ABS_SECONDS} to ${MAX_ABS_SECONDS}`, type: 'value_error' });
  }
}

/** Seconds (a double) as integer nanoseconds, exact to the microsecond. */
function secondsToNanos(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e6)) * 1000n;
}

function nanosToSeconds(nanos: string | bigint | null | undefined): number | null {
  if (nanos === null || nanos === undefined) return null;
  const value = BigInt(nanos);
  return Number(value / 1000n) / 1e6;
}

function spanContext(traceId: string, spanId: string, traceState: string | null): SpanContext {
  const state: Record<string, string> = {};
  for (const entry of (traceState ?? '').split(',')) {
    const at = entry.indexOf('=');
    if (at > 0) state[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return { trace_id: traceId, span_id: spanId, is_remote: false, trace_state: state };
}

function traceStateText(state: Record<string, string> | undefined | null): string {
  if (!state || typeof state !== 'object') return '';
  return Object.entries(state)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Attributes in the contract's flat shape: nested objects become dotted keys, homogeneous arrays
 * of primitives stay, anything else (mixed or nested arrays) becomes its JSON text, nulls go.
 */
export function flattenAttributes(attributes: Attributes, prefix = '', into: SpanAttributes = {}): SpanAttributes {
  for (const [key, value] of Object.entries(attributes)) {
    const name = prefix + key;
    flattenValue(name, value, into);
  }
  return into;
}

function flattenValue(name: string, value: AttributeValue, into: SpanAttributes): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'boolean') into[name] = value;
  else if (typeof value === 'number') into[name] = value;
  else if (typeof value === 'bigint') into[name] = Number(value);
  else if (Array.isArray(value)) {
    const kinds = new Set(value.map((item) => typeof item));
    if (value.length === 0 || (kinds.size === 1 && ['string', 'number', 'boolean'].includes([...kinds][0]))) {
      into[name] = value as string[];
    } else {
      into[name] = JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? Number(item) : item));
    }
  } else if (value instanceof Uint8Array) {
    into[name] = Buffer.from(value).toString('base64');
  } else {
    flattenAttributes(value as Attributes, `${name}.`, into);
  }
}
