import type { ChatMessage, ChatRequest, SimulatedReply } from './chat-types.ts';
import { SeededRandom } from './seeded-random.ts';

/** What a behaviour gets to answer one choice of a request. */
export interface BehaviourContext {
  request: ChatRequest;
  /**
   * Seeded by the server seed, the request's `seed`, the request's content and the choice index.
   * Behaviours draw from it only when `request.temperature > 0`, so temperature 0 answers depend on
   * the request alone.
   */
  random: SeededRandom;
}

/** One recognisable kind of request, answered the way that kind of agent would be answered. */
export interface Behaviour {
  /** A short name, reported in the `x-agl-sim-behaviour` response header. */
  readonly name: string;
  /** The reply, or `undefined` when this behaviour does not recognise the request. */
  respond(context: BehaviourContext): SimulatedReply | undefined;
}

/** The text of the instructions: system, developer and user messages, in order. */
export function promptText(messages: readonly ChatMessage[]): string {
  return messages
    .filter((message) => message.role === 'system' || message.role === 'developer' || message.role === 'user')
    .map((message) => message.content)
    .join('\n');
}

/** Every message's text, in order (for requests recognised by content). */
export function allText(messages: readonly ChatMessage[]): string {
  return messages.map((message) => message.content).join('\n');
}

/** The last user message's text, or `''`. */
export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index--) if (messages[index].role === 'user') return messages[index].content;
  return '';
}

/** Picks a wording: the first at temperature 0, a seeded one otherwise. */
export function choose<T>(context: BehaviourContext, options: readonly T[]): T {
  return context.request.temperature > 0 ? context.random.pick(options) : options[0];
}

/**
 * The randomness behind a behaviour's decisions (which answer, whether it slips): the request's
 * seeded stream at temperature > 0; at temperature 0 a stream seeded by `task` alone — what the
 * request asks to be solved (the room task and the tool's rooms, the sum's N), not the prompt's
 * wording nor the seed. A greedy model then answers the same input the same way, right or wrong, and
 * two prompts are compared on the same draws: a prompt that makes the right answer likelier turns
 * some wrong answers right and none right ones wrong through the slip draw, so scores at temperature
 * 0 follow the prompt's expected score closely.
 */
export function decisionRandom(context: BehaviourContext, purpose: string, task: unknown): SeededRandom {
  if (context.request.temperature > 0) return context.random.fork(purpose);
  return new SeededRandom('greedy', purpose, JSON.stringify(task));
}
