import type { Behaviour } from './behaviour.ts';
import type { ChatRequest, SimulatedReply } from './chat-types.ts';
import { genericBehaviour } from './generic-behaviour.ts';
import { judgeBehaviour } from './judge-behaviour.ts';
import { mathBehaviour } from './math-behaviour.ts';
import { optimizerEditBehaviour } from './optimizer-edit-behaviour.ts';
import { optimizerGradientBehaviour } from './optimizer-gradient-behaviour.ts';
import { roomSelectorBehaviour } from './room-selector-behaviour.ts';
import { SeededRandom } from './seeded-random.ts';

/**
 * The behaviours, tried in order; the first that recognises the request answers. The room agent
 * goes first (it is recognised by the request's structure: a room tool or a rooms tool result);
 * the optimizer's edit before its gradient (an edit request has a critique section and no
 * transcripts); the generic reply last.
 */
export const BEHAVIOURS: readonly Behaviour[] = [
  roomSelectorBehaviour,
  optimizerEditBehaviour,
  optimizerGradientBehaviour,
  judgeBehaviour,
  mathBehaviour,
  genericBehaviour,
];

/** Answers one choice of a request. `serverSeed` and the request's `seed` make it reproducible. */
export function simulateReply(request: ChatRequest, serverSeed: number, choiceIndex = 0): { behaviour: string; reply: SimulatedReply } {
  // The model name is left out on purpose: code written for `gpt-4.1-mini` gets the same answers.
  const random = new SeededRandom(serverSeed, request.seed, choiceIndex, request.temperature, JSON.stringify([request.messages, request.tools, request.toolChoice, request.responseFormat]));
  for (const behaviour of BEHAVIOURS) {
    const reply = behaviour.respond({ request, random });
    if (reply) return { behaviour: behaviour.name, reply };
  }
  throw new Error('The generic behaviour answers every request');
}
