/** The outcome of ingesting one OTLP export request: expected outcomes are data. */
export type IngestResult =
  /** Every span is durable. */
  | { kind: 'accepted'; acceptedSpans: number }
  /** The valid spans are durable; `rejectedSpans` invalid ones were dropped, for `message`. */
  | { kind: 'partial'; acceptedSpans: number; rejectedSpans: number; message: string }
  /** Nothing was stored: the collector is overloaded or storage failed; try again later. */
  | { kind: 'retryable'; retryAfterMillis: number; message: string };
