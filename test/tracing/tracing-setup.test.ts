import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveTracesEndpoint, setupTracing } from '../../src/tracing/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { collector, useTracingCollector } from './tracing-harness.ts';

/**
 * The tracing SDK end to end (setup): agents run through `rollout()` / `LitAgent`, spans exported
 * by the official OTLP/protobuf exporter to a real collector, and read back from DuckDB.
 */

useTracingCollector();

describe('setup', () => {
  it('resolves the traces endpoint from the option, then the standard variables', () => {
    assert.equal(resolveTracesEndpoint('http://host:1/'), 'http://host:1/v1/traces');
    assert.equal(resolveTracesEndpoint('http://host:1/v1/traces'), 'http://host:1/v1/traces');
    assert.throws(() => resolveTracesEndpoint('host:1'), TypeError);
    const saved = { traces: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, base: process.env.OTEL_EXPORTER_OTLP_ENDPOINT };
    try {
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://base:2';
      assert.equal(resolveTracesEndpoint(), 'http://base:2/v1/traces');
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://traces:3/custom';
      assert.equal(resolveTracesEndpoint(), 'http://traces:3/custom');
    } finally {
      for (const [key, value] of [['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', saved.traces], ['OTEL_EXPORTER_OTLP_ENDPOINT', saved.base]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses a second global tracer while one is set up', () => {
    assert.throws(() => setupTracing({ endpoint: collector.url }), /already set up/);
  });

  it('sends the bearer token to a collector that requires one', async () => {
    const guarded = await startTestCollector({ token: 'secret-token' });
    try {
      for (const token of ['secret-token', 'wrong-token']) {
        const local = setupTracing({ endpoint: guarded.url, token, registerGlobal: false });
        local.getTracer().startSpan(`with-${token}`).end();
        await local.forceFlush().catch(() => undefined);
        await local.shutdown();
      }
      const rows = await queryRows(guarded, 'SELECT name FROM spans ORDER BY name');
      assert.deepEqual(rows, [{ name: 'with-secret-token' }]);
    } finally {
      await guarded.close();
    }
  });
});
