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

/** Maps and builds rows for spans that are already decoded. */
export function prepareDecoded(decoded: DecodedTraces): DecodedRequest {
  const mapped: MappedSpan[] = new Array(decoded.spans.length);
  for (let index = 0; index < decoded.spans.length; index++) {
    const span = decoded.spans[index];
    mapped[index] = { span, mapping: mapSpan(span) };
  }
  return { rows: toSpanRows(mapped), rejectedSpans: decoded.rejectedSpans, rejectionMessage: decoded.rejectionMessage };
}
