import { decodeTracesJson, decodeTracesProtobuf } from '../otlp/index.ts';
import { mapSpan } from '../semconv/index.ts';
import type { DecodedTraces } from '../spans/index.ts';
import { toSpanRows } from '../storage/index.ts';
import type { MappedSpan, SpanRows } from '../storage/index.ts';

/** The encodings an OTLP export request may come in. */
export type OtlpEncoding = 'protobuf' | 'json';

/** An OTLP request made ready for the writer. */
export interface DecodedRequest {
  rows: SpanRows;
  /** Spans dropped as invalid. */
  rejectedSpans: number;
  /** Why, or `''`. */
  rejectionMessage: string;
}

/**
 * Decode → map conventions → build rows: all the CPU work of ingesting a request, pure and
 * synchronous so that it can run on a decoder thread. Throws `InvalidRequestError` for a body
 * that cannot be decoded.
 */
export function decodeRequest(body: Uint8Array, encoding: OtlpEncoding): DecodedRequest {
  return prepareDecoded(encoding === 'protobuf' ? decodeTracesProtobuf(body) : decodeTracesJson(body));
}

/** The latest span time the tables keep (BIGINT nanoseconds, 2^63 - 1: in the year 2262). */
const MAX_STORED_TIME_UNIX_NANO = 0x7fffffffffffffffn;

/**
 * Maps and builds rows for spans that are already decoded. A span valid in OTLP (any uint64 time)
 * but with a time past what the tables keep is rejected with the others the decoder rejected.
 */
export function prepareDecoded(decoded: DecodedTraces): DecodedRequest {
  const mapped: MappedSpan[] = [];
  let rejectedSpans = decoded.rejectedSpans;
  const reasons = decoded.rejectionMessage ? [decoded.rejectionMessage] : [];
  for (const span of decoded.spans) {
    if (span.startTimeUnixNano > MAX_STORED_TIME_UNIX_NANO || span.endTimeUnixNano > MAX_STORED_TIME_UNIX_NANO) {
      if (rejectedSpans++ < 3) {
        reasons.push(`span ${JSON.stringify(span.name)}: its time is past the year 2262 (2^63 - 1 ns), the latest time stored`);
      }
      continue;
    }
    mapped.push({ span, mapping: mapSpan(span) });
  }
  return { rows: toSpanRows(mapped), rejectedSpans, rejectionMessage: reasons.join('; ') };
}
