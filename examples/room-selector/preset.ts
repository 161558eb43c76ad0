import { fileURLToPath } from 'node:url';
import type { TrainPreset } from '../../src/cli/train-config-keys.ts';
import { BASELINE_PROMPT } from './room-agent.ts';
import { TUTORIAL_APO_OPTIONS } from './train-room-selector.ts';

/**
 * `agl train room-selector`: the agent module, the dataset, the prompt and the APO settings of
 * Agent Lightning's APO tutorial — the same as
 * `agl train --agent examples/room-selector/agent.ts --dataset examples/room-selector/data/room_tasks.jsonl --val-fraction 0.5 --prompt '…'`
 * with the tutorial's options.
 */
export const ROOM_SELECTOR_PRESET: TrainPreset = {
  description: "the room selector of Agent Lightning's APO tutorial",
  agent: fileURLToPath(new URL('./agent.ts', import.meta.url)),
  dataset: fileURLToPath(new URL('./data/room_tasks.jsonl', import.meta.url)),
  // The tutorial's split: the first 28 of the 57 tasks train, the last 29 validate.
  valFraction: 0.5,
  prompt: BASELINE_PROMPT,
  apo: TUTORIAL_APO_OPTIONS as TrainPreset['apo'],
};
