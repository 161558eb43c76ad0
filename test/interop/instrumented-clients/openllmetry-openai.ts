/** OpenLLMetry's `@traceloop/instrumentation-openai` on the OpenAI SDK (patched by hand: ESM). */
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import OpenAI from 'openai';
import { clientEnvironment, openAiConversation, report, startTracing } from './client-harness.ts';

const environment = clientEnvironment();
const provider = startTracing(environment);
const instrumentation = new OpenAIInstrumentation({ traceContent: true, enrichTokens: false });
instrumentation.setTracerProvider(provider);
instrumentation.manuallyInstrument(OpenAI);
const openai = new OpenAI({ baseURL: environment.modelBaseUrl, apiKey: 'sim' });
report(await openAiConversation(openai));
await provider.shutdown();
