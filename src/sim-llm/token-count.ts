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

// Token ids: the same split as countTokens (each word in pieces of up to 4 characters), each piece
// hashed (FNV-1a) into 100..99999; ids 0..99 are the simulated tokenizer's special tokens. So the
// ids are deterministic, equal texts give equal ids, and their count is the usage count.
const FIRST_ORDINARY_ID = 100;
const VOCABULARY_SIZE = 100_000;
const ROLE_IDS: Record<string, number> = { system: 11, developer: 12, user: 13, assistant: 14, tool: 15, function: 16 };

/** The simulated tokenizer's ids of a text: `countTokens(text)` of them. */
export function textTokenIds(text: string): number[] {
  const ids: number[] = [];
  for (const word of text.split(/\s+/)) {
    for (let start = 0; start < word.length; start += 4) ids.push(pieceId(word.slice(start, start + 4)));
  }
  return ids;
}

/** The prompt's ids: `countPromptTokens(request)` of them (3 to begin, 3 per message around its text and tool calls, the tools). */
export function promptTokenIds(request: ChatRequest): number[] {
  const ids = [1, 2, 3];
  for (const message of request.messages) {
    ids.push(4, ROLE_IDS[message.role] ?? 17, 5, ...textTokenIds(message.content));
    for (const call of message.toolCalls ?? []) ids.push(...textTokenIds(call.function.name), ...textTokenIds(call.function.arguments));
  }
  if (request.tools.length > 0) ids.push(...textTokenIds(JSON.stringify(request.tools)));
  return ids;
}

function pieceId(piece: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < piece.length; index++) {
    hash ^= piece.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return FIRST_ORDINARY_ID + (hash % (VOCABULARY_SIZE - FIRST_ORDINARY_ID));
}
