/**
 * Plain-object shapes of the OTLP trace request messages, as protobufjs reads them when encoding
 * (lowerCamelCase fields, ids as bytes). Used to build payloads in tests and benchmarks; the
 * collector itself never passes these past the receiver.
 */

/** A 64-bit integer: a `bigint`, a safe `number`, a decimal string, or a `Long`-like `{ low, high }`. */
export type OtlpInt64 = bigint | number | string | { low: number; high: number; unsigned?: boolean };

/** OTLP `AnyValue`: set at most one member. */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: OtlpInt64;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: Uint8Array;
}

/** OTLP `KeyValue`. */
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

/** OTLP `Span.Event`. */
export interface OtlpSpanEvent {
  timeUnixNano?: OtlpInt64;
  name?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

/** OTLP `Span.Link`. */
export interface OtlpSpanLink {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

/** OTLP `Span`. */
export interface OtlpSpan {
  /** 16 bytes. */
  traceId?: Uint8Array;
  /** 8 bytes. */
  spanId?: Uint8Array;
  traceState?: string;
  /** 8 bytes, or empty for a root span. */
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  /** `SpanKind` number. */
  kind?: number;
  /** Nanoseconds since the Unix epoch. */
  startTimeUnixNano?: OtlpInt64;
  /** Nanoseconds since the Unix epoch. */
  endTimeUnixNano?: OtlpInt64;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events?: OtlpSpanEvent[];
  droppedEventsCount?: number;
  links?: OtlpSpanLink[];
  droppedLinksCount?: number;
  /** `code` is a `StatusCode` number. */
  status?: { code?: number; message?: string };
}

/** OTLP `InstrumentationScope`. */
export interface OtlpInstrumentationScope {
  name?: string;
  version?: string;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
}

/** OTLP `ScopeSpans`. */
export interface OtlpScopeSpans {
  scope?: OtlpInstrumentationScope;
  spans?: OtlpSpan[];
  schemaUrl?: string;
}

/** OTLP `ResourceSpans`. */
export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[]; droppedAttributesCount?: number };
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}

/** OTLP `ExportTraceServiceRequest`, the body of an OTLP trace export. */
export interface OtlpExportTraceServiceRequest {
  resourceSpans?: OtlpResourceSpans[];
}
