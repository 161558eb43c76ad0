/** The rows of ingested metric data points: one `metric_points` row each. */
import type { MetricPoint } from '../otlp/index.ts';
import type { Attributes } from '../spans/index.ts';
import { readId } from '../semconv/index.ts';
import { attributesToJson, valueToJson } from './json-text.ts';
import { RECORD_TABLE_COLUMNS } from './record-rows.ts';
import type { RecordRows } from './record-rows.ts';
import { RowPacker } from './row-pack.ts';

const ROLLOUT_ID = 'agentlightning.rollout_id';
const ATTEMPT_ID = 'agentlightning.attempt_id';

/**
 * Builds the rows of `points`. Rollout and attempt ids: the point's attributes, else its resource's
 * (`agentlightning.rollout_id`, `agentlightning.attempt_id`), the rule spans and logs follow.
 */
export function toMetricRows(points: readonly MetricPoint[]): RecordRows {
  const rows = new RowPacker(RECORD_TABLE_COLUMNS.metric_points, points.length);
  const resourceJson = new Map<Attributes, string>();
  for (const point of points) {
    let resource = resourceJson.get(point.resource);
    if (resource === undefined) {
      resource = attributesToJson(point.resource);
      resourceJson.set(point.resource, resource);
    }
    const serviceName = point.resource['service.name'];
    rows.add(point.metricName);
    rows.add(point.description || null);
    rows.add(point.unit || null);
    rows.add(point.kind);
    rows.add(point.startTimeUnixNano);
    rows.add(point.timeUnixNano);
    rows.add(point.value);
    rows.add(point.intValue === null ? null : BigInt(point.intValue));
    rows.add(point.count);
    rows.add(point.sum);
    rows.add(point.min);
    rows.add(point.max);
    rows.add(point.data === null ? null : valueToJson(point.data));
    rows.add(point.aggregationTemporality);
    rows.add(point.isMonotonic);
    rows.add(point.flags);
    rows.add(attributesToJson(point.attributes));
    rows.add(resource);
    rows.add(point.scopeName || null);
    rows.add(point.scopeVersion || null);
    rows.add(typeof serviceName === 'string' && serviceName !== '' ? serviceName : null);
    rows.add(readId(point.attributes[ROLLOUT_ID]) ?? readId(point.resource[ROLLOUT_ID]));
    rows.add(readId(point.attributes[ATTEMPT_ID]) ?? readId(point.resource[ATTEMPT_ID]));
  }
  return { recordCount: points.length, tables: { metric_points: rows.finish() } };
}
