import { StringDecoder } from 'node:string_decoder';
import type { AssembledChoice, OpenAiToolCall } from './gen-ai-messages.ts';
import { isRecord, tokenIdList } from './gen-ai-messages.ts';

const CR = 13;
const SPACE = 32;

/** Token usage as an answer reports it. */
export interface AnswerUsage {
  inputTokens: number | null;
  outputTokens: number | null;
}

/**
 * Rebuilds a streamed Chat Completions (or legacy Completions) answer from its server-sent events,
 * fed chunk by chunk as they pass through: the choices' text, reasoning, tool calls (arguments
 * joined from their deltas) and finish reasons, the usage of the final chunk
 * (`stream_options.include_usage`), and vLLM's token ids (`prompt_token_ids`, `choices[].token_ids`).
 */
export class StreamAssembler {
  // StringDecoder: ~4 µs less per streamed answer than TextDecoder's `stream` mode (Node 20).
  readonly #decoder = new StringDecoder('utf8');
  readonly #choices = new Map<number, AssembledChoice & { toolCallsByIndex: Map<number, OpenAiToolCall> }>();
  #pending = '';
  #data: string[] = [];
  /** The answer's `id`. */
  responseId: string | null = null;
  /** The answer's `model`. */
  model: string | null = null;
  /** The usage of the chunk that carried one. */
  usage: AnswerUsage | null = null;
  /** vLLM's `prompt_token_ids`, when a chunk carried them. */
  promptTokenIds: number[] | null = null;
  /** Whether `data: [DONE]` arrived. */
  done = false;
  /** An `error` object sent inside the stream, if any. */
  streamError: { type: string; message: string } | null = null;

  /** Takes the next bytes of the stream. */
  push(bytes: Uint8Array): void {
    // Lines are read in place by index (no slicing of the rest, no regular expression per line):
    // a streamed answer has tens of events, and this runs on every one that passes through.
    const text = this.#pending + this.#decoder.write(bytes);
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.#line(text, start, newline > start && text.charCodeAt(newline - 1) === CR ? newline - 1 : newline);
      start = newline + 1;
    }
    this.#pending = start === 0 ? text : text.slice(start);
  }

  /** Ends the stream (dispatches an event left without its blank line). */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#line(rest, 0, rest.endsWith('\r') ? rest.length - 1 : rest.length);
    this.#line('', 0, 0);
  }

  /** The choices so far, by index. */
  choices(): AssembledChoice[] {
    return [...this.#choices.values()]
      .sort((a, b) => a.index - b.index)
      .map(({ toolCallsByIndex, ...choice }) => ({
        ...choice,
        toolCalls: [...toolCallsByIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, call]) => call),
      }));
  }

  /** The line `text[start, end)`, without its line ending. */
  #line(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.#data.length > 0) this.#event(this.#data.length === 1 ? this.#data[0] : this.#data.join('\n'));
      this.#data = [];
      return;
    }
    if (text.startsWith('data:', start)) this.#data.push(text.slice(start + 5 < end && text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end));
    // Comments (`:`), `event:`, `id:` and `retry:` lines carry nothing the record needs.
  }

  #event(data: string): void {
    if (data.trim() === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(chunk)) return;
    if (isRecord(chunk.error)) {
      const type = typeof chunk.error.type === 'string' ? chunk.error.type : typeof chunk.error.code === 'string' ? chunk.error.code : 'stream_error';
      this.streamError = { type, message: typeof chunk.error.message === 'string' ? chunk.error.message : JSON.stringify(chunk.error) };
      return;
    }
    if (typeof chunk.id === 'string') this.responseId ??= chunk.id;
    if (typeof chunk.model === 'string') this.model ??= chunk.model;
    if (isRecord(chunk.usage)) this.usage = readUsage(chunk.usage);
    const promptTokenIds = tokenIdList(chunk.prompt_token_ids);
    if (promptTokenIds) this.promptTokenIds = promptTokenIds;
    if (!Array.isArray(chunk.choices)) return;
    for (const raw of chunk.choices) {
      if (!isRecord(raw)) continue;
      const index = typeof raw.index === 'number' ? raw.index : 0;
      let choice = this.#choices.get(index);
      if (!choice) {
        choice = { index, role: 'assistant', content: null, reasoning: null, toolCalls: [], finishReason: null, tokenIds: null, toolCallsByIndex: new Map() };
        this.#choices.set(index, choice);
      }
      if (typeof raw.finish_reason === 'string') choice.finishReason = raw.finish_reason;
      const tokenIds = tokenIdList(raw.token_ids);
      if (tokenIds) choice.tokenIds = choice.tokenIds ? choice.tokenIds.concat(tokenIds) : [...tokenIds];
      if (typeof raw.text === 'string') choice.content = (choice.content ?? '') + raw.text;
      const delta = raw.delta;
      if (!isRecord(delta)) continue;
      if (typeof delta.role === 'string') choice.role = delta.role;
      if (typeof delta.content === 'string') choice.content = (choice.content ?? '') + delta.content;
      const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : null;
      if (reasoning !== null) choice.reasoning = (choice.reasoning ?? '') + reasoning;
      if (Array.isArray(delta.tool_calls)) {
        for (const part of delta.tool_calls) {
          if (!isRecord(part)) continue;
          const callIndex = typeof part.index === 'number' ? part.index : choice.toolCallsByIndex.size;
          let call = choice.toolCallsByIndex.get(callIndex);
          if (!call) {
            call = { id: null, type: 'function', function: { name: '', arguments: '' } };
            choice.toolCallsByIndex.set(callIndex, call);
          }
          if (typeof part.id === 'string') call.id = part.id;
          if (isRecord(part.function)) {
            if (typeof part.function.name === 'string') call.function!.name += part.function.name;
            if (typeof part.function.arguments === 'string') call.function!.arguments += part.function.arguments;
          }
        }
      }
    }
  }
}

/** `usage` of an answer or chunk: prompt/completion tokens (or input/output). */
export function readUsage(usage: Record<string, unknown>): AnswerUsage {
  const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null);
  return {
    inputTokens: count(usage.prompt_tokens) ?? count(usage.input_tokens),
    outputTokens: count(usage.completion_tokens) ?? count(usage.output_tokens),
  };
}
