import type { RolloutStatus } from '../../store/index.ts';

/** A prompt under consideration: a resources version in the store. */
export interface Candidate {
  resourcesId: string;
  template: string;
  parentResourcesId: string | null;
}

/** One rollout of an evaluation. */
export interface ScoredRollout<TTask> {
  rolloutId: string;
  task: TTask;
  status: RolloutStatus | 'timeout';
  /** The primary reward; 0 for failures and timeouts. */
  reward: number;
}

/** Counters of one round, shared by its concurrent children. */
export interface RoundTally {
  round: number;
  rejectedEdits: number;
  timedOut: string[];
  /** Rollouts that ended failed or cancelled. */
  failed: number;
  /** Critiques written from rollouts without any recorded LLM call. */
  critiquesWithoutLlmCalls: number;
}

/** Where a run stands between rounds: the beam, the best prompt so far and the initial prompt's score. */
export interface BeamState {
  beam: Candidate[];
  best: { candidate: Candidate; score: number | null };
  baselineScore: number | null;
}

/** What one evaluation gives: the score, each rollout, and how many failed. */
export interface Evaluation<TTask> {
  score: number;
  rollouts: ScoredRollout<TTask>[];
  failed: number;
}

/** The counters of a round that has just started. */
export function newTally(round: number): RoundTally {
  return { round, rejectedEdits: 0, timedOut: [], failed: 0, critiquesWithoutLlmCalls: 0 };
}
