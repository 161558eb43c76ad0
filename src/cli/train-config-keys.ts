import type { ApoOptions } from '../algorithm/index.ts';

/**
 * The keys of an `agl train --config` file (JSON, or YAML for `.yaml` / `.yml`): the command's
 * flags in camelCase, and `apo` for APO's options. Paths in the file are relative to the file.
 */
export interface TrainConfig {
  /** A built-in example (a preset of the keys below), e.g. `room-selector`. */
  example?: string;
  /** The agent module (what `agl runner --agent` loads). */
  agent?: string;
  /** Instead of `agent`: the agent as a command line in any language (what `agl runner --command` runs). */
  command?: string;
  /** A command agent's grader module. */
  grader?: string;
  /** A command agent's time limit per rollout, in seconds. */
  timeout?: number;
  /** Prompt application by the gateway for a command agent: `system` or `marker`. */
  gatewayPrompt?: string;
  /** The training tasks: JSON Lines, a JSON array or CSV. */
  dataset?: string;
  /** The validation tasks (same formats). */
  valDataset?: string;
  /** Instead of `valDataset`: the share of `dataset` (its last tasks) kept for validation. */
  valFraction?: number;
  /** The initial prompt template (f-string placeholders such as `{question}`). */
  prompt?: string;
  /** Instead of `prompt`: a file holding it. */
  promptFile?: string;
  /** `apo` (default) or `baseline` (evaluate the prompt, train nothing). */
  algorithm?: string;
  server?: string;
  tracesEndpoint?: string;
  db?: string;
  port?: number;
  out?: string;
  runners?: number;
  seed?: number;
  /** Resume the run of these settings (or `apo.runId`); an error when there is none. */
  resume?: boolean;
  /** The agent's model (set as `AGENT_MODEL` for the agent module). */
  agentModel?: string;
  apo?: ApoOptions<unknown>;
}

/** A built-in example: the keys it sets, with absolute paths, and what it is. */
export interface TrainPreset extends Omit<TrainConfig, 'example' | 'agent' | 'dataset'> {
  description: string;
  agent: string;
  dataset: string;
}
