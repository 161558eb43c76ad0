import type { AlgorithmStore } from './algorithm.ts';
import { apoDataForStore, sqlString } from './apo/apo-data.ts';
import type { ApoData } from './apo/apo-data.ts';

/** The reward of one attempt, as its spans carry it. */
export interface AttemptReward {
  /** The attempt's final primary reward (its row of the `final_rewards` view); null when it has none. */
  reward: number | null;
  /** Every dimension of the span that final reward came from, by name (the primary one included). */
  dimensions: Record<string, number>;
}

/** Read-only SQL over the collector's tables (an {@link ApoData}'s `query`). */
export type RewardSql = Pick<ApoData, 'query'>;

/**
 * The final primary reward of each rollout's latest attempt, read from the `final_rewards` view
 * (one row per attempt: the primary value of its latest reward by span sequence id, then time — the
 * one definition APO, Baseline, the dashboard and the triplet export share). Rollouts without one
 * are absent from the map.
 */
export async function readFinalRewards(sql: RewardSql, rolloutIds: readonly string[]): Promise<Map<string, number>> {
  if (rolloutIds.length === 0) return new Map();
  const rows = await sql.query(
    `SELECT f.rollout_id, f.value FROM final_rewards f
     JOIN rollouts r ON r.rollout_id = f.rollout_id AND r.latest_attempt_id = f.attempt_id
     WHERE f.rollout_id IN (${rolloutIds.map(sqlString).join(', ')})`,
  );
  return new Map(rows.map((row) => [String(row.rollout_id), Number(row.value)]));
}

/**
 * Reads an attempt's final reward (`attemptId` `'latest'`: the rollout's latest attempt) from the
 * `final_rewards` view, and every dimension of the span it came from. The SQL goes to `sql` (an
 * algorithm passes its `context.data`), else to the store's collector: its database when the store
 * is a collector's in this process, else its HTTP API (a `StoreClient`).
 */
export async function readAttemptReward(
  store: AlgorithmStore,
  rolloutId: string,
  attemptId = 'latest',
  sql: RewardSql = apoDataForStore(store),
): Promise<AttemptReward> {
  const attempt =
    attemptId === 'latest'
      ? `(SELECT latest_attempt_id FROM rollouts WHERE rollout_id = ${sqlString(rolloutId)})`
      : sqlString(attemptId);
  const rows = await sql.query(
    `SELECT f.value AS final_value, r.name, r.value
     FROM final_rewards f JOIN rewards r ON r.trace_id = f.trace_id AND r.span_id = f.span_id
     WHERE f.rollout_id = ${sqlString(rolloutId)} AND f.attempt_id = ${attempt}
     ORDER BY r.reward_index`,
  );
  if (rows.length === 0) return { reward: null, dimensions: {} };
  return {
    reward: Number(rows[0]!.final_value),
    dimensions: Object.fromEntries(rows.map((row) => [String(row.name), Number(row.value)])),
  };
}
