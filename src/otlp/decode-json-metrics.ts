/**
 * OTLP/JSON `ExportMetricsServiceRequest` → {@link MetricPoint}s, with the rules of `decode-json.ts`
 * (lowerCamelCase or snake_case keys, enums by number or name, 64-bit integers as numbers or
 * strings, `null` as absent, unknown fields ignored). Exemplars are skipped.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';
import { decodeAttributes } from './decode-json-attributes.ts';
import { JsonShapeError, asArray, asDouble, asElement, asEnum, asInt64, asObject, asString, asUint32, asUint64, typeError } from './json-field-readers.ts';
import type { JsonObject } from './json-field-readers.ts';
import { parseJsonRequest } from './json-request.ts';
import { TEMPORALITY_NAMES, invalidPointReason } from './metric-point.ts';
import type { DecodedMetrics, MetricKind, MetricPoint } from './metric-point.ts';
import { SpanRejections } from './span-rejections.ts';

const TEMPORALITY_BY_NAME: Readonly<Record<string, number>> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

const KINDS: ReadonlyArray<[MetricKind, string, string]> = [
  ['gauge', 'gauge', 'gauge'],
  ['sum', 'sum', 'sum'],
  ['histogram', 'histogram', 'histogram'],
  ['exponential_histogram', 'exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary', 'summary'],
];

/**
 * Decodes an OTLP `ExportMetricsServiceRequest` in OTLP/JSON (the body of an `application/json`
 * POST to `/v1/metrics`); invalid points are counted in `rejectedPoints` as by the protobuf decoder.
 *
 * @throws {InvalidRequestError} when the body is not valid JSON or a field has the wrong type.
 */
export function decodeMetricsJson(body: Uint8Array | string): DecodedMetrics {
  const points: MetricPoint[] = [];
  const rejections = new SpanRejections();
  parseJsonRequest(body, 'ExportMetricsServiceRequest', (request) => {
    const list = asArray(request.resourceMetrics ?? request.resource_metrics, 'resourceMetrics');
    for (let index = 0; index < list.length; index++) {
      try {
        decodeResourceMetrics(list[index], points, rejections);
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`resourceMetrics[${index}]`) : error;
      }
    }
  });
  return { points, rejectedPoints: rejections.count, rejectionMessage: rejections.message() };
}

function decodeResourceMetrics(value: unknown, points: MetricPoint[], rejections: SpanRejections): void {
  const resourceMetrics = asElement(value, '');
  const resourceObject = asObject(resourceMetrics.resource, 'resource');
  const resource: Attributes = {};
  if (resourceObject !== undefined) decodeAttributes(resourceObject.attributes, resource, 'resource.attributes');
  const resourceSchemaUrl = asString(resourceMetrics.schemaUrl ?? resourceMetrics.schema_url, 'schemaUrl');
  const scopeList = asArray(resourceMetrics.scopeMetrics ?? resourceMetrics.scope_metrics, 'scopeMetrics');
  for (let index = 0; index < scopeList.length; index++) {
    try {
      const scopeMetrics = asElement(scopeList[index], '');
      const scope = asObject(scopeMetrics.scope, 'scope');
      const scopeAttributes: Attributes = {};
      if (scope !== undefined) decodeAttributes(scope.attributes, scopeAttributes, 'scope.attributes');
      const base = {
        resource,
        resourceSchemaUrl,
        scopeName: scope === undefined ? '' : asString(scope.name, 'scope.name'),
        scopeVersion: scope === undefined ? '' : asString(scope.version, 'scope.version'),
        scopeAttributes,
      };
      const metricList = asArray(scopeMetrics.metrics, 'metrics');
      for (let metricIndex = 0; metricIndex < metricList.length; metricIndex++) {
        try {
          decodeMetric(asElement(metricList[metricIndex], ''), base, points, rejections);
        } catch (error) {
          throw error instanceof JsonShapeError ? error.within(`metrics[${metricIndex}]`) : error;
        }
      }
    } catch (error) {
      throw error instanceof JsonShapeError ? error.within(`scopeMetrics[${index}]`) : error;
    }
  }
}

type PointBase = Pick<MetricPoint, 'resource' | 'resourceSchemaUrl' | 'scopeName' | 'scopeVersion' | 'scopeAttributes'>;

function decodeMetric(metric: JsonObject, base: PointBase, points: MetricPoint[], rejections: SpanRejections): void {
  const metricName = asString(metric.name, 'name');
  const description = asString(metric.description, 'description');
  const unit = asString(metric.unit, 'unit');
  for (const [kind, camel, snake] of KINDS) {
    const data = asObject(metric[camel] ?? metric[snake], camel);
    if (data === undefined) continue;
    const temporality = asEnum(data.aggregationTemporality ?? data.aggregation_temporality, TEMPORALITY_BY_NAME, `${camel}.aggregationTemporality`);
    const monotonic = data.isMonotonic ?? data.is_monotonic;
    if (monotonic !== undefined && monotonic !== null && typeof monotonic !== 'boolean') throw typeError(`${camel}.isMonotonic`, 'true or false', monotonic);
    const list = asArray(data.dataPoints ?? data.data_points, `${camel}.dataPoints`);
    for (let index = 0; index < list.length; index++) {
      let point: MetricPoint;
      try {
        point = decodePoint(asElement(list[index], ''), kind, { ...base, metricName, description, unit });
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`${camel}.dataPoints[${index}]`) : error;
      }
      if (kind === 'sum' || kind === 'histogram' || kind === 'exponential_histogram') {
        point.aggregationTemporality = TEMPORALITY_NAMES[temporality] ?? String(temporality);
      }
      if (kind === 'sum') point.isMonotonic = monotonic === true;
      const reason = invalidPointReason(point);
      if (reason === undefined) points.push(point);
      else rejections.add(reason);
    }
  }
}

function optionalDouble(value: unknown, path: string): number | null {
  return value === undefined || value === null ? null : asDouble(value, path);
}

function decodePoint(raw: JsonObject, kind: MetricKind, base: PointBase & { metricName: string; description: string; unit: string }): MetricPoint {
  const attributes: Attributes = {};
  decodeAttributes(raw.attributes, attributes, 'attributes');
  const point: MetricPoint = {
    ...base,
    kind,
    startTimeUnixNano: asUint64(raw.startTimeUnixNano ?? raw.start_time_unix_nano, 'startTimeUnixNano'),
    timeUnixNano: asUint64(raw.timeUnixNano ?? raw.time_unix_nano, 'timeUnixNano'),
    value: null,
    intValue: null,
    count: null,
    sum: null,
    min: null,
    max: null,
    data: null,
    aggregationTemporality: null,
    isMonotonic: null,
    flags: asUint32(raw.flags, 'flags'),
    attributes,
  };
  if (kind === 'gauge' || kind === 'sum') {
    const asInt = raw.asInt ?? raw.as_int;
    const asDoubleValue = raw.asDouble ?? raw.as_double;
    if (asInt !== undefined && asInt !== null) {
      point.intValue = asInt64(asInt, 'asInt');
      point.value = Number(point.intValue);
    } else if (asDoubleValue !== undefined && asDoubleValue !== null) {
      point.value = asDouble(asDoubleValue, 'asDouble');
    }
    return point;
  }
  point.count = asUint64(raw.count, 'count');
  point.sum = optionalDouble(raw.sum, 'sum');
  if (kind === 'summary') {
    const quantiles = asArray(raw.quantileValues ?? raw.quantile_values, 'quantileValues').map((item, index) => {
      const quantile = asElement(item, `quantileValues[${index}]`);
      return { quantile: asDouble(quantile.quantile ?? 0, 'quantile'), value: asDouble(quantile.value ?? 0, 'value') };
    });
    point.data = { quantile_values: quantiles };
    return point;
  }
  point.min = optionalDouble(raw.min, 'min');
  point.max = optionalDouble(raw.max, 'max');
  if (kind === 'histogram') {
    point.data = {
      bucket_counts: asArray(raw.bucketCounts ?? raw.bucket_counts, 'bucketCounts').map((count, index) => asUint64(count, `bucketCounts[${index}]`)),
      explicit_bounds: asArray(raw.explicitBounds ?? raw.explicit_bounds, 'explicitBounds').map((bound, index) => asDouble(bound, `explicitBounds[${index}]`)),
    };
    return point;
  }
  const buckets = (value: unknown, path: string): { [key: string]: AttributeValue } => {
    const object = asObject(value, path);
    return {
      offset: object === undefined ? 0 : Number(asInt64(object.offset ?? 0, `${path}.offset`)),
      bucket_counts:
        object === undefined
          ? []
          : asArray(object.bucketCounts ?? object.bucket_counts, `${path}.bucketCounts`).map((count, index) => asUint64(count, `${path}.bucketCounts[${index}]`)),
    };
  };
  point.data = {
    scale: Number(asInt64(raw.scale ?? 0, 'scale')),
    zero_count: asUint64(raw.zeroCount ?? raw.zero_count, 'zeroCount'),
    zero_threshold: raw.zeroThreshold ?? raw.zero_threshold ? asDouble(raw.zeroThreshold ?? raw.zero_threshold, 'zeroThreshold') : 0,
    positive: buckets(raw.positive, 'positive'),
    negative: buckets(raw.negative, 'negative'),
  };
  return point;
}
