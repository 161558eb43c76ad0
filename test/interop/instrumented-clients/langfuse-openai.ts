/**
 * Langfuse's SDK as its users run it: `observeOpenAI` (`@langfuse/openai`) wraps the OpenAI client,
 * `@langfuse/tracing` records each call as a generation observation, and `LangfuseSpanProcessor`
 * (`@langfuse/otel`) exports — here with its `exporter` option set to the official OTLP exporter
 * pointed at our collector instead of Langfuse's cloud.
 */
import { observeOpenAI } from '@langfuse/openai';
import { LangfuseSpanProcessor } from '@langfuse/otel';
import OpenAI from 'openai';
import { clientEnvironment, collectorExporter, openAiConversation, report, startTracing } from './client-harness.ts';

const environment = clientEnvironment();
const processor = new LangfuseSpanProcessor({ exporter: collectorExporter(environment), publicKey: 'pk-lf-test', secretKey: 'sk-lf-test', mediaUploadEnabled: false });
const provider = startTracing(environment, processor);
const openai = observeOpenAI(new OpenAI({ baseURL: environment.modelBaseUrl, apiKey: 'sim' }));
report(await openAiConversation(openai));
await provider.shutdown();
