/** One candidate prompt scored in an APO round (a row of `apo_rounds.candidates`). */
export interface ApoCandidateScore {
  /** The store's resources id holding the candidate prompt. */
  resources_id: string;
  /** The prompt it was edited from; null for the initial prompt. */
  parent_resources_id: string | null;
  /** Mean reward on the round's validation batch (failures and timeouts count 0). */
  val_batch_score: number | null;
  /** Whether it stayed in the beam. */
  kept: boolean;
}

/**
 * One completed round of an APO run, as stored in the `apo_rounds` table (snake_case, as in SQL and
 * on the wire). Round 0 is the initial validation.
 */
export interface ApoRoundRecord {
  run_id: string;
  round: number;
  /** Epoch seconds. */
  completed_at: number;
  candidates: ApoCandidateScore[];
  /** The beam after the round, best first. */
  beam: ApoCandidateScore[];
  leader_resources_id: string | null;
  /** The leader's score on the full validation set. */
  leader_val_score: number | null;
  /** The best prompt seen so far (history best) and its full validation score. */
  best_resources_id: string | null;
  best_val_score: number | null;
  /** Edits refused because they broke the template (a placeholder lost or invented, bad braces). */
  rejected_edits: number;
  /** Rollouts of the round that did not finish in time (scored as failures). */
  timed_out_rollouts: number;
  timed_out_rollout_ids: string[];
  /** Rollouts of the round that ended failed or cancelled (scored 0). Absent in rows of older clients: 0. */
  failed_rollouts?: number;
  /** Critiques of the round written from rollouts none of which had a recorded LLM call. Absent: 0. */
  critiques_without_llm_calls?: number;
  /** The run's identity hash (initial resources, datasets, options). Absent: null. */
  run_fingerprint?: string | null;
}
