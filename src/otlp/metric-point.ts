/**
 * The project's own shape of an OTLP metric data point, as the decoders hand it to ingest.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';

/** The OTLP metric kinds. */
export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/** One data point of one metric, with what it shares with its neighbours (metric, resource, scope). */
export interface MetricPoint {
  metricName: string;
  description: string;
  unit: string;
  kind: MetricKind;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** A gauge's or sum's value as a double (an integer point too, possibly rounded); `null` for the other kinds. */
  value: number | null;
  /** An integer gauge or sum point, exact. */
  intValue: number | bigint | null;
  /** Histograms and summaries: how many values were recorded. */
  count: bigint | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  /**
   * Histograms: `{bucket_counts, explicit_bounds}`; exponential histograms: `{scale, zero_count,
   * zero_threshold, positive: {offset, bucket_counts}, negative: {…}}`; summaries:
   * `{quantile_values: [{quantile, value}]}`. `null` for gauges and sums.
   */
  data: { [key: string]: AttributeValue } | null;
  /** Sums, histograms: `delta`, `cumulative` or `unspecified`; `null` for the other kinds. */
  aggregationTemporality: string | null;
  /** Sums only. */
  isMonotonic: boolean | null;
  flags: number;
  attributes: Attributes;
  resource: Attributes;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** The data points of one export request, with the ones left out as invalid. */
export interface DecodedMetrics {
  points: MetricPoint[];
  /** Data points dropped as invalid. */
  rejectedPoints: number;
  rejectionMessage: string;
}

/** `AggregationTemporality` names by number. */
export const TEMPORALITY_NAMES: readonly string[] = ['unspecified', 'delta', 'cumulative'];

/** Why a decoded point cannot be stored, or `undefined`: shared by both decoders. */
export function invalidPointReason(point: MetricPoint): string | undefined {
  if (point.metricName === '') return 'a metric without a name';
  const data = point.data;
  if (point.kind === 'histogram' && data !== null) {
    const counts = data.bucket_counts as unknown[];
    const bounds = data.explicit_bounds as unknown[];
    if (counts.length > 0 && counts.length !== bounds.length + 1) {
      return `metric ${JSON.stringify(point.metricName)}: ${counts.length} bucket counts for ${bounds.length} bounds (expected bounds + 1)`;
    }
  }
  if (point.count !== null && point.count > 0x7fffffffffffffffn) return `metric ${JSON.stringify(point.metricName)}: a count beyond 2^63 - 1`;
  return undefined;
}
