import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { setupTracing } from '../../src/index.ts';
import type { OtelTracer } from '../../src/index.ts';

/** Options of {@link setupMathAgentTracing}. */
export interface MathAgentTracingOptions {
  /** The collector's base URL (`http://127.0.0.1:4318`); spans go to `<url>/v1/traces`. */
  collectorUrl: string;
  /** Bearer token of the collector. @default `AGL_TOKEN` when set */
  token?: string;
  /** The resource's `service.name`. @default 'math-agent' */
  serviceName?: string;
}

/**
 * The agent process's OpenTelemetry setup, spelled out: the official OTLP HTTP exporter
 * (`@opentelemetry/exporter-trace-otlp-proto`, protobuf over HTTP) pointed at the collector,
 * behind a `BatchSpanProcessor`, on a `NodeTracerProvider` registered globally — which is where
 * the Vercel AI SDK's telemetry finds its tracer — with our `RolloutSpanProcessor` in front, which
 * stamps the rollout's ids on every span started inside a rollout, the AI SDK's included.
 *
 * `setupTracing` assembles exactly that; we hand it our exporter so the settings are visible here.
 * To send to Jaeger as well, point an OpenTelemetry Collector at both (see `otel-config.yaml`).
 */
export function setupMathAgentTracing(options: MathAgentTracingOptions): OtelTracer {
  const token = options.token ?? process.env.AGL_TOKEN;
  const exporter = new OTLPTraceExporter({
    url: `${options.collectorUrl.replace(/\/+$/, '')}/v1/traces`,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    timeoutMillis: 10_000,
  });
  return setupTracing({
    exporter,
    serviceName: options.serviceName ?? 'math-agent',
    // BatchSpanProcessor settings: short delay so a rollout's spans reach the store quickly; the
    // runner also force-flushes after each rollout, before it reports the attempt finished.
    batch: { scheduledDelayMillis: 200, maxExportBatchSize: 512, maxQueueSize: 8192 },
  });
}
