import type { Collector, CollectorOptions } from '../../collector/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { setupTracing } from '../../src/tracing/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { startTestCollector } from './collector.ts';

/** What runner tests run against: a collector, the official OTLP exporter sending to it, and a store client. */
export interface RunnerTestBed {
  collector: Collector;
  tracer: OtelTracer;
  client: StoreClient;
  /** Shuts the tracer down, then closes the collector. */
  close(): Promise<void>;
}

/** Starts a {@link RunnerTestBed}; spans are exported every 50 ms under `serviceName`. */
export async function startRunnerTestBed(serviceName: string, collectorOptions: CollectorOptions = {}): Promise<RunnerTestBed> {
  const collector = await startTestCollector({ watchdogIntervalMillis: 100, ...collectorOptions });
  const tracer = setupTracing({ endpoint: collector.url, serviceName, batch: { scheduledDelayMillis: 50 } });
  const client = new StoreClient({ baseUrl: collector.url });
  return {
    collector,
    tracer,
    client,
    close: async () => {
      await tracer.shutdown();
      await collector.close();
    },
  };
}
