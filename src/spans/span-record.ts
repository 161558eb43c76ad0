/**
 * The project's own representation of a span, produced at ingest from OTLP (protobuf or JSON).
 * Nothing past the receiver sees wire types: every later stage (convention mapping, storage,
 * forwarding decisions) works on these records.
 */

/**
 * An attribute value as decoded from OTLP `AnyValue`.
 *
 * - `intValue` becomes a `number` when it is a safe integer, otherwise a `bigint` (no precision lost).
 * - `bytesValue` becomes a `Uint8Array`.
 * - `kvlistValue` becomes a plain object, `arrayValue` an array.
 * - An empty `AnyValue` becomes `null`.
 */
export type AttributeValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

/** Attributes keyed by name. Later keys win when OTLP repeats a key. */
export type Attributes = Record<string, AttributeValue>;

/** OTLP `Span.SpanKind`, by number. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

/** OTLP `Status.StatusCode`, by number. */
export const StatusCode = {
  UNSET: 0,
  OK: 1,
  ERROR: 2,
} as const;

/** A timed event inside a span (OTLP `Span.Event`). */
export interface SpanEventRecord {
  /** Nanoseconds since the Unix epoch. */
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

/** A link from a span to another span (OTLP `Span.Link`). */
export interface SpanLinkRecord {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

/** One span, with its resource and instrumentation scope folded in. */
export interface SpanRecord {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  /** 16 lowercase hex characters, or `null` for a root span. */
  parentSpanId: string | null;
  traceState: string;
  flags: number;
  name: string;
  /** One of {@link SpanKind}. */
  kind: number;
  /** Nanoseconds since the Unix epoch. */
  startTimeUnixNano: bigint;
  /** Nanoseconds since the Unix epoch. */
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEventRecord[];
  droppedEventsCount: number;
  links: SpanLinkRecord[];
  droppedLinksCount: number;
  /** One of {@link StatusCode}. */
  statusCode: number;
  statusMessage: string;
  /**
   * The resource attributes of the `ResourceSpans` the span came in. Spans of one resource share
   * the same object: treat it as read-only.
   */
  resource: Attributes;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  /** Scope attributes; shared between spans of one scope, read-only. */
  scopeAttributes: Attributes;
}

/** The result of decoding one OTLP export request. */
export interface DecodedTraces {
  /** The spans that passed validation, in request order. */
  spans: SpanRecord[];
  /** How many spans were dropped as invalid. */
  rejectedSpans: number;
  /** Why spans were rejected (the first few reasons, joined), or `''` when none were. */
  rejectionMessage: string;
}
