/**
 * One OTLP metric data point in binary protobuf → a {@link MetricPoint}: number (gauge and sum),
 * histogram, exponential histogram and summary points, for `decode-protobuf-metrics.ts`. Repeated
 * numbers (bucket counts and bounds) are read packed or not, as protobuf parsers must. Exemplars
 * are skipped.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';
import { decodeKeyValue } from './decode-protobuf-attributes.ts';
import type { ScopeContext } from './decode-protobuf-span.ts';
import { fieldTags } from './field-tags.ts';
import type { MetricKind, MetricPoint } from './metric-point.ts';
import { otlpRoot } from './proto-schema.ts';
import { enterMessage, readFixed64, skipField, toInt64 } from './protobuf-reader.ts';
import type { BodyReader } from './protobuf-reader.ts';

const type = (name: string) => otlpRoot.lookupType(`opentelemetry.proto.metrics.v1.${name}`);
const NUMBER_POINT = fieldTags(type('NumberDataPoint'), {
  attributes: 'message',
  startTimeUnixNano: 'fixed64',
  timeUnixNano: 'fixed64',
  asDouble: 'double',
  asInt: 'sfixed64',
  flags: 'uint32',
});
const HISTOGRAM_POINT = fieldTags(type('HistogramDataPoint'), {
  attributes: 'message',
  startTimeUnixNano: 'fixed64',
  timeUnixNano: 'fixed64',
  count: 'fixed64',
  sum: 'double',
  bucketCounts: 'fixed64',
  explicitBounds: 'double',
  flags: 'uint32',
  min: 'double',
  max: 'double',
});
const EXPONENTIAL_POINT = fieldTags(type('ExponentialHistogramDataPoint'), {
  attributes: 'message',
  startTimeUnixNano: 'fixed64',
  timeUnixNano: 'fixed64',
  count: 'fixed64',
  sum: 'double',
  scale: 'sint32',
  zeroCount: 'fixed64',
  positive: 'message',
  negative: 'message',
  flags: 'uint32',
  min: 'double',
  max: 'double',
  zeroThreshold: 'double',
});
const BUCKETS = fieldTags(type('ExponentialHistogramDataPoint.Buckets'), { offset: 'sint32', bucketCounts: 'uint64' });
const SUMMARY_POINT = fieldTags(type('SummaryDataPoint'), {
  attributes: 'message',
  startTimeUnixNano: 'fixed64',
  timeUnixNano: 'fixed64',
  count: 'fixed64',
  sum: 'double',
  quantileValues: 'message',
  flags: 'uint32',
});
const QUANTILE = fieldTags(type('SummaryDataPoint.ValueAtQuantile'), { quantile: 'double', value: 'double' });

/** The length-delimited tag of a repeated scalar field, as packed encoders write it. */
const packed = (tag: number): number => ((tag >>> 3) << 3) | 2;

/** Where a data point belongs: its resource, scope and metric. */
export interface MetricContext extends ScopeContext {
  metricName: string;
  description: string;
  unit: string;
}

function newPoint(kind: MetricKind, context: MetricContext): MetricPoint {
  return {
    metricName: context.metricName,
    description: context.description,
    unit: context.unit,
    kind,
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    value: null,
    intValue: null,
    count: null,
    sum: null,
    min: null,
    max: null,
    data: null,
    aggregationTemporality: null,
    isMonotonic: null,
    flags: 0,
    attributes: {} as Attributes,
    resource: context.resource,
    resourceSchemaUrl: context.resourceSchemaUrl,
    scopeName: context.scopeName,
    scopeVersion: context.scopeVersion,
    scopeAttributes: context.scopeAttributes,
  };
}

/** Decodes one data point of a metric of `kind`; the reader is at the point's length. */
export function decodePoint(reader: BodyReader, kind: MetricKind, context: MetricContext): MetricPoint {
  const point = newPoint(kind, context);
  const outerLen = enterMessage(reader);
  if (kind === 'gauge' || kind === 'sum') readNumberPoint(reader, point);
  else if (kind === 'histogram') readHistogramPoint(reader, point);
  else if (kind === 'exponential_histogram') readExponentialPoint(reader, point);
  else readSummaryPoint(reader, point);
  reader.len = outerLen;
  return point;
}

function readNumberPoint(reader: BodyReader, point: MetricPoint): void {
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case NUMBER_POINT.attributes:
        decodeKeyValue(reader, point.attributes, 0);
        break;
      case NUMBER_POINT.startTimeUnixNano:
        point.startTimeUnixNano = readFixed64(reader);
        break;
      case NUMBER_POINT.timeUnixNano:
        point.timeUnixNano = readFixed64(reader);
        break;
      case NUMBER_POINT.asDouble:
        point.value = reader.double();
        point.intValue = null;
        break;
      case NUMBER_POINT.asInt: {
        const low = reader.fixed32();
        const high = reader.fixed32();
        point.intValue = toInt64(low, high);
        point.value = Number(point.intValue);
        break;
      }
      case NUMBER_POINT.flags:
        point.flags = reader.uint32();
        break;
      default:
        skipField(reader, tag);
    }
  }
}

function readHistogramPoint(reader: BodyReader, point: MetricPoint): void {
  const bucketCounts: bigint[] = [];
  const explicitBounds: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case HISTOGRAM_POINT.attributes:
        decodeKeyValue(reader, point.attributes, 0);
        break;
      case HISTOGRAM_POINT.startTimeUnixNano:
        point.startTimeUnixNano = readFixed64(reader);
        break;
      case HISTOGRAM_POINT.timeUnixNano:
        point.timeUnixNano = readFixed64(reader);
        break;
      case HISTOGRAM_POINT.count:
        point.count = readFixed64(reader);
        break;
      case HISTOGRAM_POINT.sum:
        point.sum = reader.double();
        break;
      case HISTOGRAM_POINT.min:
        point.min = reader.double();
        break;
      case HISTOGRAM_POINT.max:
        point.max = reader.double();
        break;
      case HISTOGRAM_POINT.bucketCounts:
        bucketCounts.push(readFixed64(reader));
        break;
      case packed(HISTOGRAM_POINT.bucketCounts):
        readPacked(reader, () => bucketCounts.push(readFixed64(reader)));
        break;
      case HISTOGRAM_POINT.explicitBounds:
        explicitBounds.push(reader.double());
        break;
      case packed(HISTOGRAM_POINT.explicitBounds):
        readPacked(reader, () => explicitBounds.push(reader.double()));
        break;
      case HISTOGRAM_POINT.flags:
        point.flags = reader.uint32();
        break;
      default:
        skipField(reader, tag);
    }
  }
  point.data = { bucket_counts: bucketCounts, explicit_bounds: explicitBounds };
}

function readExponentialPoint(reader: BodyReader, point: MetricPoint): void {
  const data: { [key: string]: AttributeValue } = { scale: 0, zero_count: 0n, zero_threshold: 0 };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case EXPONENTIAL_POINT.attributes:
        decodeKeyValue(reader, point.attributes, 0);
        break;
      case EXPONENTIAL_POINT.startTimeUnixNano:
        point.startTimeUnixNano = readFixed64(reader);
        break;
      case EXPONENTIAL_POINT.timeUnixNano:
        point.timeUnixNano = readFixed64(reader);
        break;
      case EXPONENTIAL_POINT.count:
        point.count = readFixed64(reader);
        break;
      case EXPONENTIAL_POINT.sum:
        point.sum = reader.double();
        break;
      case EXPONENTIAL_POINT.min:
        point.min = reader.double();
        break;
      case EXPONENTIAL_POINT.max:
        point.max = reader.double();
        break;
      case EXPONENTIAL_POINT.scale:
        data.scale = reader.sint32();
        break;
      case EXPONENTIAL_POINT.zeroCount:
        data.zero_count = readFixed64(reader);
        break;
      case EXPONENTIAL_POINT.zeroThreshold:
        data.zero_threshold = reader.double();
        break;
      case EXPONENTIAL_POINT.positive:
        data.positive = readBuckets(reader);
        break;
      case EXPONENTIAL_POINT.negative:
        data.negative = readBuckets(reader);
        break;
      case EXPONENTIAL_POINT.flags:
        point.flags = reader.uint32();
        break;
      default:
        skipField(reader, tag);
    }
  }
  data.positive ??= { offset: 0, bucket_counts: [] };
  data.negative ??= { offset: 0, bucket_counts: [] };
  point.data = data;
}

function readBuckets(reader: BodyReader): { [key: string]: AttributeValue } {
  const outerLen = enterMessage(reader);
  let offset = 0;
  const counts: (number | bigint)[] = [];
  const readCount = () => {
    const long = reader.uint64();
    counts.push(toInt64(long.low, long.high));
  };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === BUCKETS.offset) offset = reader.sint32();
    else if (tag === BUCKETS.bucketCounts) readCount();
    else if (tag === packed(BUCKETS.bucketCounts)) readPacked(reader, readCount);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  return { offset, bucket_counts: counts };
}

function readSummaryPoint(reader: BodyReader, point: MetricPoint): void {
  const quantiles: { [key: string]: AttributeValue }[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case SUMMARY_POINT.attributes:
        decodeKeyValue(reader, point.attributes, 0);
        break;
      case SUMMARY_POINT.startTimeUnixNano:
        point.startTimeUnixNano = readFixed64(reader);
        break;
      case SUMMARY_POINT.timeUnixNano:
        point.timeUnixNano = readFixed64(reader);
        break;
      case SUMMARY_POINT.count:
        point.count = readFixed64(reader);
        break;
      case SUMMARY_POINT.sum:
        point.sum = reader.double();
        break;
      case SUMMARY_POINT.quantileValues: {
        const outerLen = enterMessage(reader);
        const quantile = { quantile: 0, value: 0 };
        while (reader.pos < reader.len) {
          const quantileTag = reader.tag();
          if (quantileTag === QUANTILE.quantile) quantile.quantile = reader.double();
          else if (quantileTag === QUANTILE.value) quantile.value = reader.double();
          else skipField(reader, quantileTag);
        }
        reader.len = outerLen;
        quantiles.push(quantile);
        break;
      }
      case SUMMARY_POINT.flags:
        point.flags = reader.uint32();
        break;
      default:
        skipField(reader, tag);
    }
  }
  point.data = { quantile_values: quantiles };
}

/** Reads a packed repeated field's values, one `readOne` call each. */
function readPacked(reader: BodyReader, readOne: () => void): void {
  const outerLen = enterMessage(reader);
  while (reader.pos < reader.len) readOne();
  reader.len = outerLen;
}
