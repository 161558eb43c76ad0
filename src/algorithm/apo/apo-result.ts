import type { PromptTemplate } from '../../agent/index.ts';
import type { ApoRoundRecord } from './apo-round-record.ts';

/** What {@link APO} resolves with. */
export interface ApoResult {
  runId: string;
  /** The best prompt (highest full-validation score seen). */
  bestPrompt: PromptTemplate;
  bestResourcesId: string;
  /** Its full-validation score (null when never scored: no initial validation and no rounds). */
  bestScore: number | null;
  /** The initial prompt's full-validation score, when `runInitialValidation`. */
  baselineScore: number | null;
  /** Every completed round of the run (round 0 first), resumed ones included. */
  rounds: ApoRoundRecord[];
  /** The round this call started with (1 for a fresh run after round 0). */
  startedAtRound: number;
  /** Edits refused over the whole run. */
  rejectedEdits: number;
  /** Rollouts that did not finish in time over the whole run (scored as failures). */
  timedOutRolloutIds: string[];
}
