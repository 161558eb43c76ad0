/**
 * OTLP binary protobuf `ExportMetricsServiceRequest` → {@link MetricPoint}s, in one pass over the
 * wire format, in the style of `decode-protobuf.ts`. Repeated numbers (bucket counts and bounds)
 * are read packed or not, as protobuf parsers must. Exemplars are skipped.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';
import { decodeKeyValue } from './decode-protobuf-attributes.ts';
import type { ScopeContext } from './decode-protobuf-span.ts';
import { decodeResource, decodeScope } from './decode-protobuf.ts';
import { fieldTags } from './field-tags.ts';
import { TEMPORALITY_NAMES, invalidPointReason } from './metric-point.ts';
import type { DecodedMetrics, MetricKind, MetricPoint } from './metric-point.ts';
import { otlpRoot, otlpTypes } from './proto-schema.ts';
import { bodyReader, cachedString, enterMessage, readFixed64, readWithDecodeErrors, skipField, startDecoding, toInt64 } from './protobuf-reader.ts';
import type { BodyReader } from './protobuf-reader.ts';
import { SpanRejections } from './span-rejections.ts';

const type = (name: string) => otlpRoot.lookupType(`opentelemetry.proto.metrics.v1.${name}`);
const REQUEST = fieldTags(otlpTypes.exportMetricsServiceRequest, { resourceMetrics: 'message' });
const RESOURCE_METRICS = fieldTags(type('ResourceMetrics'), { resource: 'message', scopeMetrics: 'message', schemaUrl: 'string' });
const SCOPE_METRICS = fieldTags(type('ScopeMetrics'), { scope: 'message', metrics: 'message' });
const METRIC = fieldTags(type('Metric'), {
  name: 'string',
  description: 'string',
  unit: 'string',
  gauge: 'message',
  sum: 'message',
  histogram: 'message',
  exponentialHistogram: 'message',
  summary: 'message',
});
// Gauge, Sum, Histogram, ExponentialHistogram and Summary share these numbers.
const DATA = fieldTags(type('Sum'), { dataPoints: 'message', aggregationTemporality: 'enum', isMonotonic: 'bool' });
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

interface MetricContext extends ScopeContext {
  metricName: string;
  description: string;
  unit: string;
}

/**
 * Decodes an OTLP `ExportMetricsServiceRequest` in binary protobuf (the body of an
 * `application/x-protobuf` POST to `/v1/metrics`, or of a gRPC `MetricsService/Export`). Points of
 * a metric without a name, histograms whose bucket counts do not match their bounds, and counts
 * beyond 2^63 - 1 are left out and counted in `rejectedPoints`.
 *
 * @throws {InvalidRequestError} when the bytes are not a well-formed `ExportMetricsServiceRequest`.
 */
export function decodeMetricsProtobuf(body: Uint8Array): DecodedMetrics {
  const reader = bodyReader(body);
  const points: MetricPoint[] = [];
  const rejections = new SpanRejections();
  startDecoding('ExportMetricsServiceRequest');
  readWithDecodeErrors(reader, () => {
    while (reader.pos < reader.len) {
      const tag = reader.tag();
      if (tag === REQUEST.resourceMetrics) decodeResourceMetrics(reader, points, rejections);
      else skipField(reader, tag);
    }
  });
  return { points, rejectedPoints: rejections.count, rejectionMessage: rejections.message() };
}

function decodeResourceMetrics(reader: BodyReader, points: MetricPoint[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: ScopeContext = { resource: {}, resourceSchemaUrl: '', scopeName: '', scopeVersion: '', scopeAttributes: {} };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE_METRICS.resource) decodeResource(reader, context.resource);
    else if (tag === RESOURCE_METRICS.schemaUrl) context.resourceSchemaUrl = reader.string();
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === RESOURCE_METRICS.scopeMetrics) decodeScopeMetrics(reader, context, points, rejections);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeScopeMetrics(reader: BodyReader, resourceContext: ScopeContext, points: MetricPoint[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: ScopeContext = { ...resourceContext, scopeName: '', scopeVersion: '', scopeAttributes: {} };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === SCOPE_METRICS.scope) decodeScope(reader, context);
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === SCOPE_METRICS.metrics) decodeMetric(reader, context, points, rejections);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
}

function decodeMetric(reader: BodyReader, scope: ScopeContext, points: MetricPoint[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  const start = reader.pos;
  const context: MetricContext = { ...scope, metricName: '', description: '', unit: '' };
  // The name may follow the data: read it first.
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === METRIC.name) context.metricName = cachedString(reader);
    else if (tag === METRIC.description) context.description = reader.string();
    else if (tag === METRIC.unit) context.unit = cachedString(reader);
    else skipField(reader, tag);
  }
  reader.pos = start;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const kind: MetricKind | null =
      tag === METRIC.gauge
        ? 'gauge'
        : tag === METRIC.sum
          ? 'sum'
          : tag === METRIC.histogram
            ? 'histogram'
            : tag === METRIC.exponentialHistogram
              ? 'exponential_histogram'
              : tag === METRIC.summary
                ? 'summary'
                : null;
    if (kind === null) skipField(reader, tag);
    else decodeData(reader, kind, context, points, rejections);
  }
  reader.len = outerLen;
}

function decodeData(reader: BodyReader, kind: MetricKind, context: MetricContext, points: MetricPoint[], rejections: SpanRejections): void {
  const outerLen = enterMessage(reader);
  const first = points.length;
  let temporality = 0;
  let isMonotonic = false;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === DATA.dataPoints) {
      const point = decodePoint(reader, kind, context);
      const reason = invalidPointReason(point);
      if (reason === undefined) points.push(point);
      else rejections.add(reason);
    } else if (tag === DATA.aggregationTemporality && kind !== 'gauge' && kind !== 'summary') temporality = reader.int32();
    else if (tag === DATA.isMonotonic && kind === 'sum') isMonotonic = reader.bool();
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  if (kind === 'sum' || kind === 'histogram' || kind === 'exponential_histogram') {
    for (let index = first; index < points.length; index++) {
      points[index]!.aggregationTemporality = TEMPORALITY_NAMES[temporality] ?? String(temporality);
      if (kind === 'sum') points[index]!.isMonotonic = isMonotonic;
    }
  }
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

function decodePoint(reader: BodyReader, kind: MetricKind, context: MetricContext): MetricPoint {
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
