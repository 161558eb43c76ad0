import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Collector } from '../../collector/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

let collector: Collector;

before(async () => {
  collector = await startTestCollector({ grpcPort: 0 });
});

after(async () => {
  await collector.close();
});

/** Records a counter, an up-down counter, a histogram and a gauge through the official SDK and exporter. */
async function recordWith(exporter: PushMetricExporter, rolloutId: string): Promise<void> {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'metrics-client', 'agentlightning.rollout_id': rolloutId, 'agentlightning.attempt_id': 'at-1' }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
  });
  const meter = provider.getMeter('metrics-test', '1.0.0');
  meter.createCounter('gen_ai.requests', { unit: '{request}', description: 'Requests' }).add(3, { 'gen_ai.request.model': 'm' });
  meter.createUpDownCounter('queue.depth').add(-2);
  const histogram = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  for (const value of [10, 20, 300]) histogram.record(value, { 'gen_ai.token.type': 'input' });
  meter.createGauge('temperature').record(21.5);
  await provider.forceFlush();
  await provider.shutdown();
}

async function check(rolloutId: string): Promise<void> {
  const rows = await queryRows(
    collector,
    `SELECT metric_name, kind, value, int_value, count, sum, min, max, data, aggregation_temporality, is_monotonic, unit, attributes, attempt_id, scope_name, time
     FROM metric_points WHERE rollout_id = '${rolloutId}' ORDER BY metric_name`,
  );
  const byName = new Map(rows.map((row) => [row.metric_name, row]));
  assert.deepEqual([...byName.keys()].sort(), ['gen_ai.client.token.usage', 'gen_ai.requests', 'queue.depth', 'temperature']);
  const counter = byName.get('gen_ai.requests')!;
  assert.equal(counter.kind, 'sum');
  assert.equal(counter.value, 3);
  assert.equal(counter.is_monotonic, true);
  assert.equal(counter.aggregation_temporality, 'cumulative');
  assert.equal(counter.unit, '{request}');
  assert.equal(counter.attempt_id, 'at-1');
  assert.equal(counter.scope_name, 'metrics-test');
  assert.deepEqual(counter.attributes, { 'gen_ai.request.model': 'm' });
  assert.equal(byName.get('queue.depth')!.is_monotonic, false);
  assert.equal(byName.get('queue.depth')!.value, -2);
  assert.equal(byName.get('temperature')!.kind, 'gauge');
  assert.equal(byName.get('temperature')!.value, 21.5);
  const histogram = byName.get('gen_ai.client.token.usage')!;
  assert.equal(histogram.kind, 'histogram');
  assert.equal(Number(histogram.count), 3);
  assert.equal(histogram.sum, 330);
  assert.equal(histogram.min, 10);
  assert.equal(histogram.max, 300);
  const data = histogram.data as { bucket_counts: number[]; explicit_bounds: number[] };
  assert.equal(data.bucket_counts.length, data.explicit_bounds.length + 1);
  assert.equal(data.bucket_counts.reduce((a, b) => a + Number(b), 0), 3);
}

describe('POST /v1/metrics and MetricsService/Export', () => {
  test('the official protobuf exporter: every kind lands in metric_points', async () => {
    await recordWith(new ProtoMetricExporter({ url: `${collector.url}/v1/metrics`, temporalityPreference: AggregationTemporality.CUMULATIVE }), 'ro-m-proto');
    await check('ro-m-proto');
  });

  test('the official gRPC exporter', async () => {
    await recordWith(new GrpcMetricExporter({ url: collector.grpcUrl! }), 'ro-m-grpc');
    await check('ro-m-grpc');
  });

  test('OTLP/JSON with gzip: an exponential histogram, a summary, an exact int; an invalid point is rejected (partial success)', async () => {
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'agentlightning.rollout_id', value: { stringValue: 'ro-m-json' } }] },
          scopeMetrics: [
            {
              scope: { name: 'hand' },
              metrics: [
                { name: 'big', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000001', asInt: '9007199254740993' }] } },
                {
                  name: 'latency',
                  exponentialHistogram: {
                    aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
                    dataPoints: [{ timeUnixNano: '1', count: '3', sum: 6, scale: 1, zeroCount: '1', positive: { offset: 2, bucketCounts: ['1', '1'] } }],
                  },
                },
                { name: 'quantiles', summary: { dataPoints: [{ timeUnixNano: '1', count: 4, sum: 10, quantileValues: [{ quantile: 0.5, value: 2 }] }] } },
                { name: 'bad', histogram: { dataPoints: [{ timeUnixNano: '1', count: 1, bucketCounts: ['1', '0'], explicitBounds: [1, 2] }] } },
              ],
            },
          ],
        },
      ],
    };
    const response = await fetch(`${collector.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body)),
    });
    assert.equal(response.status, 200);
    const answer = (await response.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    assert.equal(answer.partialSuccess.rejectedDataPoints, '1');
    assert.match(answer.partialSuccess.errorMessage, /2 bucket counts for 2 bounds/);
    const rows = await queryRows(collector, `SELECT metric_name, kind, int_value, time_unix_nano, data, aggregation_temporality FROM metric_points WHERE rollout_id = 'ro-m-json' ORDER BY metric_name`);
    assert.deepEqual(rows.map((row) => row.metric_name), ['big', 'latency', 'quantiles']);
    assert.equal(String(rows[0]!.int_value), '9007199254740993');
    assert.equal(String(rows[0]!.time_unix_nano), '1700000000000000001');
    assert.equal(rows[1]!.aggregation_temporality, 'delta');
    assert.deepEqual((rows[1]!.data as { positive: unknown }).positive, { offset: 2, bucket_counts: [1, 1] });
    assert.deepEqual((rows[2]!.data as { quantile_values: unknown }).quantile_values, [{ quantile: 0.5, value: 2 }]);
  });

  test('400 for an undecodable body, 415 for another type', async () => {
    const bad = await fetch(`${collector.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff]) });
    assert.equal(bad.status, 400);
    const text = await fetch(`${collector.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(text.status, 415);
  });
});
