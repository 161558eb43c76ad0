import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Collector } from '../../collector/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { sendOfficialSpans } from '../helpers/official-spans.ts';
import type { OfficialSpanIds } from '../helpers/official-spans.ts';

/**
 * Spans made by the official OpenTelemetry JS SDK and sent by its official OTLP exporters
 * (protobuf and JSON), read back from DuckDB field by field.
 */
async function sendWithOfficialExporter(collector: Collector, encoding: 'protobuf' | 'json', tag: string): Promise<OfficialSpanIds> {
  const url = `${collector.url}/v1/traces`;
  const exporter = encoding === 'protobuf' ? new OTLPProtoExporter({ url }) : new OTLPJsonExporter({ url });
  return sendOfficialSpans(exporter, tag, { 'deployment.environment': 'test' });
}

for (const encoding of ['protobuf', 'json'] as const) {
  describe(`official OTLP ${encoding} exporter → collector → DuckDB`, () => {
    let collector: Collector;
    before(async () => {
      collector = await startTestCollector();
    });
    after(() => collector.close());

    it('stores ids, nanosecond times, attributes, events, links, status and resource exactly', async () => {
      const ids = await sendWithOfficialExporter(collector, encoding, encoding);
      const rows = await queryRows(
        collector,
        `SELECT *, start_time_unix_nano::VARCHAR AS start_ns, end_time_unix_nano::VARCHAR AS end_ns,
                strftime(start_time, '%Y-%m-%d %H:%M:%S.%f') AS start_us
         FROM spans WHERE service_name = 'svc-${encoding}' ORDER BY start_time_unix_nano`,
      );
      assert.equal(rows.length, 3);
      const [other, root, child] = rows;
      assert.equal(root.trace_id, ids.root.traceId);
      assert.equal(root.span_id, ids.root.spanId);
      assert.equal(root.parent_span_id, null);
      assert.equal(root.name, `root-${encoding}`);
      assert.equal(root.kind, 'SERVER');
      assert.equal(root.start_ns, '1700000000123456789');
      assert.equal(root.end_ns, '1700000001987654321');
      assert.equal(root.start_us, '2023-11-14 22:13:20.123456');
      assert.equal(root.status_code, 'ERROR');
      assert.equal(root.status_message, 'it failed');
      assert.equal(root.scope_name, `scope-${encoding}`);
      assert.equal(root.scope_version, '1.2.3');
      assert.deepEqual(root.attributes, {
        s: 'text',
        i: 42,
        neg: -7,
        f: 2.5,
        b: true,
        strings: ['a', 'b'],
        numbers: [1, 2, 3],
        'agentlightning.span_sequence_id': 3,
      });
      assert.deepEqual(root.events, [
        { name: 'checkpoint', time_unix_nano: '1700000000500000001', attributes: { step: 1, note: 'halfway' } },
      ]);
      const links = root.links as Record<string, unknown>[];
      assert.equal(links.length, 1);
      assert.equal(links[0].trace_id, ids.other.traceId);
      assert.equal(links[0].span_id, ids.other.spanId);
      assert.deepEqual(links[0].attributes, { 'link.kind': 'follows' });
      assert.deepEqual(root.resource, {
        'service.name': `svc-${encoding}`,
        'agentlightning.rollout_id': `ro-${encoding}`,
        'agentlightning.attempt_id': `at-${encoding}`,
        'deployment.environment': 'test',
      });
      assert.equal(root.rollout_id, `ro-${encoding}`);
      assert.equal(root.attempt_id, `at-${encoding}`);
      assert.equal(root.sequence_id, 3);

      assert.equal(child.parent_span_id, ids.root.spanId);
      assert.equal(child.trace_id, ids.root.traceId);
      assert.equal(child.kind, 'CLIENT');
      assert.equal(child.start_ns, '1700000000200000000');
      assert.equal(child.end_ns, '1700000000300000999');
      assert.equal(child.status_code, 'UNSET');
      // A span attribute overrides the resource's rollout id; the attempt id still comes from the resource.
      assert.equal(child.rollout_id, `ro-child-${encoding}`);
      assert.equal(child.attempt_id, `at-${encoding}`);
      assert.equal(other.span_id, ids.other.spanId);
    });
  });
}
