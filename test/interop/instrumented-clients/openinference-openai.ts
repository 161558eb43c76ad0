/** OpenInference's `@arizeai/openinference-instrumentation-openai` on the OpenAI SDK (patched by hand: ESM). */
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import OpenAI from 'openai';
import { clientEnvironment, openAiConversation, report, startTracing } from './client-harness.ts';

const environment = clientEnvironment();
const provider = startTracing(environment);
new OpenAIInstrumentation({ tracerProvider: provider }).manuallyInstrument(OpenAI);
const openai = new OpenAI({ baseURL: environment.modelBaseUrl, apiKey: 'sim' });
report(await openAiConversation(openai));
await provider.shutdown();
