import type { SpanMapping } from '../semconv/index.ts';
import type { SpanRecord } from '../spans/index.ts';

/** A decoded span together with what the convention mapper read from it. */
export interface MappedSpan {
  span: SpanRecord;
  mapping: SpanMapping;
}
