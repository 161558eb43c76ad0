export { GatewayNotConfiguredError, GatewayPromptError, UpstreamUnreachableError } from './gateway-errors.ts';
export { checkGatewayRecorderTuning, GatewayRecorder } from './gateway-recorder.ts';
export {
  AGL_GATEWAY_PROMPT_APPLIED,
  AGL_GATEWAY_PROMPT_MODE,
  AGL_GATEWAY_STREAM,
  AGL_PROMPT_TOKEN_IDS,
  AGL_RESOURCES_ID,
  AGL_RESPONSE_TOKEN_IDS,
  encodeGatewaySpan,
  encodeGatewaySpans,
  GATEWAY_SCOPE_NAME,
  GATEWAY_SERVICE_NAME,
} from './gateway-span.ts';
export { choicesOfAnswer, genAiFinishReason, promptToGenAiInputMessages, toGenAiInputMessages, toGenAiOutputMessages } from './gen-ai-messages.ts';
export { LlmGateway } from './llm-gateway.ts';
export { applyPrompt, GATEWAY_PROMPT_RESOURCE_TYPE, PROMPT_MARKER, readGatewayPromptSetting, renderRolloutPrompt } from './prompt-application.ts';
export { readUsage, StreamAssembler } from './stream-assembler.ts';
export { UpstreamClient } from './upstream-client.ts';
export type { GatewayRecorderOptions, GatewayRecorderStats } from './gateway-recorder.ts';
export type { GatewayCallRecord } from './gateway-span.ts';
export type { AssembledChoice, GenAiInputMessage, GenAiOutputMessage, GenAiPart, OpenAiToolCall } from './gen-ai-messages.ts';
export type { GatewayAttempt, GatewayCall, GatewayStore, LlmGatewayOptions } from './llm-gateway.ts';
export type { GatewayPromptMode, GatewayPromptSetting } from './prompt-application.ts';
export type { AnswerUsage } from './stream-assembler.ts';
export type { UpstreamAnswer, UpstreamBodyReader, UpstreamClientOptions, UpstreamRequest } from './upstream-client.ts';
