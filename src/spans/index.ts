export { SpanKind, StatusCode } from './span-record.ts';
export type {
  AttributeValue,
  Attributes,
  DecodedTraces,
  SpanEventRecord,
  SpanLinkRecord,
  SpanRecord,
} from './span-record.ts';
