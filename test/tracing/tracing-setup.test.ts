import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { resolveTracesEndpoint, setupTracing } from '../../src/tracing/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { collector, tracer, useTracingCollector } from './tracing-harness.ts';

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

  it('a second global setup joins the active one: same provider, warned about what it does not apply, reference-counted', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    let joined;
    try {
      joined = setupTracing({ endpoint: 'http://127.0.0.1:9/elsewhere', serviceName: 'other-service' });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(joined.joined, true);
    assert.equal(tracer.joined, false);
    assert.equal(joined.provider, tracer.provider);
    assert.equal(joined.endpoint, tracer.endpoint);
    assert.equal(warnings.length, 1);
    assert.equal((warnings[0] as Error & { code?: string }).code, 'AGL_TRACING_JOINED');
    assert.match(warnings[0].message, /not applied: endpoint http:\/\/127\.0\.0\.1:9\/elsewhere, serviceName other-service/);

    // A joined handle's shutdown flushes and leaves the setup running for the other handle.
    trace.getTracer('join-test').startSpan('before-joined-shutdown').end();
    await joined.shutdown();
    trace.getTracer('join-test').startSpan('after-joined-shutdown').end();
    await tracer.forceFlush();
    const rows = await queryRows(collector, `SELECT name, service_name FROM spans WHERE scope_name = 'join-test' ORDER BY name`);
    assert.deepEqual(rows, [
      { name: 'after-joined-shutdown', service_name: 'tracing-test' },
      { name: 'before-joined-shutdown', service_name: 'tracing-test' },
    ]);
  });

  it('joins silently when the call passes nothing of its own', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const joined = setupTracing({ batch: { scheduledDelayMillis: 10 } });
      assert.equal(joined.joined, true);
      await joined.shutdown();
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
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
