import type { OtlpForwarder } from '../src/forward/index.ts';
import { GatewayRecorder, LlmGateway } from '../src/gateway/index.ts';
import { RecordIngestor, TraceIngestor } from '../src/ingest/index.ts';
import type { Logger } from '../src/logging/index.ts';
import { Database, DuckDBRecordSink, DuckDBSpanSink } from '../src/storage/index.ts';
import { DuckDBLightningStore } from '../src/store/index.ts';
import type { CollectorOptions, CollectorSettings } from './collector-options.ts';

/** What a collector serves, behind its HTTP and gRPC servers: the database and everything that writes it. */
export interface CollectorCore {
  database: Database;
  /** Where spans go (OTLP traces, the store's spans, the gateway's calls). */
  sink: DuckDBSpanSink;
  /** Where log records and metric data points go (`POST /v1/logs`, `/v1/metrics`, their gRPC services). */
  recordSink: DuckDBRecordSink;
  store: DuckDBLightningStore;
  ingestors: { traces: TraceIngestor; logs: RecordIngestor; metrics: RecordIngestor };
  gateway: LlmGateway;
  gatewayRecorder: GatewayRecorder;
}

/**
 * Opens the database, the sinks, the store, the ingestors (once their decoder threads are ready)
 * and the gateway.
 */
export async function openCollectorCore(
  options: CollectorOptions,
  settings: Pick<CollectorSettings, 'dbPath' | 'memoryLimit' | 'databaseMemoryBytes'>,
  forwarder: OtlpForwarder | null,
  logger: Logger,
): Promise<CollectorCore> {
  const database = await Database.open({
    path: settings.dbPath,
    sqlAllowFiles: options.sqlAllowFiles ?? null,
    memoryLimitBytes: settings.databaseMemoryBytes,
  });
  let store: DuckDBLightningStore | null = null;
  const sink = await DuckDBSpanSink.open(database, {
    maxQueuedSpans: options.maxQueuedSpans,
    // Spans of an attempt are its heartbeat (and the first moves it to running).
    onCommitted: (rows) => store?.recordSpanActivity(rows.attempts),
    // Spans of the store's attempts that carry no sequence id get the attempt's next one.
    beforeWrite: (rows) => store?.assignSpanSequenceIds(rows),
  });
  store = await DuckDBLightningStore.open(database, { spanSink: sink, watchdogIntervalMillis: options.watchdogIntervalMillis });
  const memoryLimit = settings.memoryLimit ?? undefined;
  const traces = new TraceIngestor({
    sink,
    maxCommitWaitMillis: options.maxCommitWaitMillis,
    memoryLimit,
    onStorageError: (error) => logger.error('Storing spans failed', error),
  });
  // Logs and metrics: their own sink (other tables, other connections), the trace decoder threads.
  const recordSink = await DuckDBRecordSink.open(database, { maxQueuedRecords: options.maxQueuedSpans });
  const [logs, metrics] = (['logs', 'metrics'] as const).map(
    (signal) =>
      new RecordIngestor({
        signal,
        sink: recordSink,
        decoders: traces.decoders,
        maxCommitWaitMillis: options.maxCommitWaitMillis,
        memoryLimit,
        onStorageError: (error) => logger.error(`Storing ${signal} failed`, error),
      }),
  );
  // Requests taken before the decoder threads have loaded would wait (and expire) behind them.
  await traces.ready();
  const gatewayRecorder = new GatewayRecorder({ ...options.gatewayRecording, ingestor: traces, forwarder, logger });
  const gateway = new LlmGateway({ ...options.gateway, store, recorder: gatewayRecorder });
  return { database, sink, recordSink, store, ingestors: { traces, logs, metrics }, gateway, gatewayRecorder };
}

/** Makes every accepted span and record durable, then closes the store and the database. */
export async function closeCollectorStorage(core: CollectorCore): Promise<void> {
  await core.ingestors.traces.close();
  await core.sink.close();
  await core.recordSink.close();
  await core.store.close();
  await core.database.close();
}
