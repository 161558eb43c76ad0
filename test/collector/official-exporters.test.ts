import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Collector } from '../../collector/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { assertOfficialSpansStored, sendOfficialSpans } from '../helpers/official-spans.ts';
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
      const { root, child } = assertOfficialSpansStored(rows, ids, encoding, { 'deployment.environment': 'test' });
      assert.equal(root.start_us, '2023-11-14 22:13:20.123456');
      assert.equal(child.status_code, 'UNSET');
      // The attempt id still comes from the resource.
      assert.equal(child.attempt_id, `at-${encoding}`);
    });
  });
}
