/**
 * A client process for `openai-instrumentation.test.ts`: the official
 * `@opentelemetry/instrumentation-openai` with message capture on
 * (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`), instrumenting the official `openai`
 * SDK (loaded through `require`, which the instrumentation patches), spans sent with the official
 * OTLP trace exporter and the messages, as log records, with the official OTLP logs exporter
 * (`AGL_TEST_LOGS_EXPORTER`: `proto`, `http` (JSON) or `grpc`). The rollout's ids are resource attributes.
 */
import { createRequire } from 'node:module';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { clientEnvironment, openAiConversation, report, startTracing } from '../interop/instrumented-clients/client-harness.ts';

process.env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = 'true';
const environment = clientEnvironment();
const tracerProvider = startTracing(environment);
const kind = process.env.AGL_TEST_LOGS_EXPORTER ?? 'proto';
const exporter: LogRecordExporter =
  kind === 'grpc'
    ? new GrpcLogExporter({ url: process.env.AGL_TEST_GRPC_URL })
    : kind === 'http'
      ? new JsonLogExporter({ url: `${environment.collectorUrl}/v1/logs` })
      : new ProtoLogExporter({ url: `${environment.collectorUrl}/v1/logs` });
const loggerProvider = new LoggerProvider({
  resource: resourceFromAttributes({
    'service.name': 'instrumented-client',
    'agentlightning.rollout_id': environment.rolloutId,
    'agentlightning.attempt_id': environment.attemptId,
  }),
  processors: [new BatchLogRecordProcessor({ exporter })],
});
logs.setGlobalLoggerProvider(loggerProvider);
registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()] });
const OpenAI = createRequire(import.meta.url)('openai');
const openai = new OpenAI({ baseURL: environment.modelBaseUrl, apiKey: 'sim' });
const result = await openAiConversation(openai);
// Logs first or spans first, as the parent asks: the collector must join them either way.
if (process.env.AGL_TEST_LOGS_FIRST === '1') {
  await loggerProvider.shutdown();
  await tracerProvider.shutdown();
} else {
  await tracerProvider.shutdown();
  await loggerProvider.shutdown();
}
report(result);
