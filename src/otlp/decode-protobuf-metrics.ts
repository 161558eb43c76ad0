/**
 * OTLP binary protobuf `ExportMetricsServiceRequest` → {@link MetricPoint}s, in one pass over the
 * wire format, in the style of `decode-protobuf.ts`. Exemplars are skipped.
 *
 * This file walks the request down to its data points (resource, scope, metric, and the data's
 * temporality and monotonicity); a data point of each kind is decoded in
 * `decode-protobuf-metric-point.ts`.
 */
import { decodePoint } from './decode-protobuf-metric-point.ts';
import type { MetricContext } from './decode-protobuf-metric-point.ts';
import type { ScopeContext } from './decode-protobuf-span.ts';
import { decodeResource, decodeScope } from './decode-protobuf.ts';
import { fieldTags } from './field-tags.ts';
import { TEMPORALITY_NAMES, invalidPointReason } from './metric-point.ts';
import type { DecodedMetrics, MetricKind, MetricPoint } from './metric-point.ts';
import { otlpRoot, otlpTypes } from './proto-schema.ts';
import { bodyReader, cachedString, enterMessage, readWithDecodeErrors, skipField, startDecoding } from './protobuf-reader.ts';
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
