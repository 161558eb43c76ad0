import type { ChatRequest } from './chat-types.ts';

/**
 * Approximate token count of a text: every whitespace-separated word counts as ceil(length / 4)
 * tokens (a word of up to 4 characters is one token). Close enough to BPE tokenisers for English
 * prose and JSON to make `usage` figures plausible; never exact.
 */
export function countTokens(text: string): number {
  let tokens = 0;
  for (const word of text.split(/\s+/)) if (word) tokens += Math.ceil(word.length / 4);
  return tokens;
}

/** Prompt tokens of a request: each message's text and tool calls plus 3 per message, plus the tool definitions. */
export function countPromptTokens(request: ChatRequest): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += 3 + countTokens(message.content);
    for (const call of message.toolCalls ?? []) tokens += countTokens(call.function.name) + countTokens(call.function.arguments);
  }
  if (request.tools.length > 0) tokens += countTokens(JSON.stringify(request.tools));
  return tokens;
}
