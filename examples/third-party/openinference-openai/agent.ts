import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import type { TracerProvider } from '@opentelemetry/api';
import OpenAI from 'openai';
import { createRoomSelectorAgent } from '../../room-selector/room-agent.ts';
import type { ModelEndpoint, ThirdPartyAgentSpec } from '../train-third-party.ts';

/**
 * Turns on OpenInference's OpenAI instrumentation: every `chat.completions.create` of every client
 * becomes an `OpenAI Chat Completions` span (`openinference.span.kind = LLM`, flattened
 * `llm.input_messages.*` / `llm.output_messages.*` with tool calls, `llm.token_count.*`).
 * Under ESM the module must be patched by hand (`manuallyInstrument`): the OpenTelemetry
 * `require` hook never sees an `import`.
 */
export function instrumentOpenAI(provider: TracerProvider): OpenAIInstrumentation {
  const instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
  instrumentation.manuallyInstrument(OpenAI); // the class: the patch reaches `OpenAI.OpenAI.Chat.Completions.prototype`
  return instrumentation;
}

/**
 * The APO tutorial's room selector on the plain OpenAI SDK — the same agent as
 * examples/room-selector, but with its own GenAI spans off: the instrumentation records the calls.
 */
export function createOpenInferenceRoomAgent(endpoint: ModelEndpoint) {
  const openai = new OpenAI({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, maxRetries: 2 });
  return createRoomSelectorAgent({ openai, model: endpoint.model, traceCalls: false });
}

/** This example for the shared trainer and command line. */
export const OPENINFERENCE_OPENAI_AGENT: ThirdPartyAgentSpec = {
  name: 'openinference-openai',
  instrument: (provider) => void instrumentOpenAI(provider),
  createAgent: createOpenInferenceRoomAgent,
};
