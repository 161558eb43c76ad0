import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import type { Json } from '@duckdb/node-api';
import type { Collector } from '../../collector/index.ts';
import { setupTracing } from '../../src/tracing/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * What the tracing SDK tests share: a real collector with the global tracer exporting to it
 * (official OTLP/protobuf exporter), fresh rollout ids, and reading a rollout's spans back from
 * DuckDB.
 */

/** The collector of this test file, set by {@link useTracingCollector}. */
export let collector: Collector;
/** The global tracer of this test file, set by {@link useTracingCollector}. */
export let tracer: OtelTracer;

/** Starts a collector and the global tracer before the calling file's tests; stops both after. */
export function useTracingCollector(): void {
  before(async () => {
    collector = await startTestCollector();
    tracer = setupTracing({ endpoint: collector.url, serviceName: 'tracing-test', batch: { scheduledDelayMillis: 50 } });
  });
  after(async () => {
    await tracer.shutdown();
    await collector.close();
  });
}

let counter = 0;
/** Fresh ids for one run. */
export function ids(prefix: string): { rolloutId: string; attemptId: string } {
  counter++;
  return { rolloutId: `ro-${prefix}-${counter}`, attemptId: `at-${prefix}-${counter}` };
}

export type Row = Record<string, Json>;

/** Spans of a rollout, in sequence order, after flushing the exporter. */
export async function spansOf(rolloutId: string): Promise<Row[]> {
  await tracer.forceFlush();
  return queryRows(
    collector,
    `SELECT span_id, parent_span_id, trace_id, name, status_code, status_message, attributes, rollout_id, attempt_id, sequence_id, scope_name, service_name, events
     FROM spans WHERE rollout_id = '${rolloutId}' ORDER BY sequence_id`,
  );
}

export function attributesOf(row: Row): Record<string, Json> {
  return (typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes) as Record<string, Json>;
}

/** "Another library": starts spans through the plain OpenTelemetry API, knowing nothing of rollouts. */
export const otherLibrary = {
  async call(label: string): Promise<string> {
    return trace.getTracer('other-library').startActiveSpan('library.call', async (span) => {
      await sleep(1);
      const inner = await this.nested(label);
      span.end();
      return inner;
    });
  },
  async nested(label: string): Promise<string> {
    const span = trace.getTracer('other-library').startSpan('library.nested', { attributes: { label } });
    await sleep(1);
    span.end();
    return label.toUpperCase();
  },
};
