import { registerTables } from '../../storage/index.ts';
import type { Database, OwnedTables } from '../../storage/index.ts';
import type { ApoRoundRecord } from './apo-round-record.ts';

/**
 * APO's table in the collector's database, `apo_rounds`: one row per completed round of one APO
 * run (round 0 is the initial validation). A run resumes after its last row. Candidates and the
 * beam are JSON lists of {resources_id, parent_resources_id, val_batch_score, kept}. (Files from
 * before tables had owners got these as core migrations 3 and 6.)
 */
export const APO_TABLES: OwnedTables = {
  owner: 'apo',
  migrations: [
    {
      version: 1,
      description: 'apo_rounds: the scores of every round of an APO training',
      statements: [
        `CREATE TABLE apo_rounds (
          run_id VARCHAR NOT NULL,
          round INTEGER NOT NULL,
          completed_at DOUBLE NOT NULL,
          candidates JSON NOT NULL,
          beam JSON NOT NULL,
          leader_resources_id VARCHAR,
          leader_val_score DOUBLE,
          best_resources_id VARCHAR,
          best_val_score DOUBLE,
          rejected_edits INTEGER NOT NULL,
          timed_out_rollouts INTEGER NOT NULL,
          timed_out_rollout_ids JSON NOT NULL,
          PRIMARY KEY (run_id, round)
        )`,
      ],
    },
    {
      version: 2,
      description: 'apo_rounds: failed rollouts, critiques written without LLM calls, and the run fingerprint',
      statements: [
        // Rollouts of the round that ended failed or cancelled (scored 0); critiques written from
        // rollouts none of which had a recorded LLM call (the critic saw no conversation); the hash
        // of the run's initial resources, datasets and options (its identity: a different one is a new run).
        'ALTER TABLE apo_rounds ADD COLUMN failed_rollouts INTEGER DEFAULT 0',
        'ALTER TABLE apo_rounds ADD COLUMN critiques_without_llm_calls INTEGER DEFAULT 0',
        'ALTER TABLE apo_rounds ADD COLUMN run_fingerprint VARCHAR',
      ],
    },
  ],
};

// Loading APO (as the collector does, for its `apo_rounds` route) gives every database it opens the table.
registerTables(APO_TABLES);

/**
 * Writes rows of the `apo_rounds` table ({@link APO_TABLES}) on a connection of its own. It lives in the
 * collector process, the only writer of the DuckDB file: an APO running in that process uses it
 * directly, a remote one through `POST /v1/agl/apo/rounds`.
 */
export class ApoRoundsTable {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  /** Inserts a round (replacing a row of the same run and round, so a retried write is harmless). */
  async record(round: ApoRoundRecord): Promise<void> {
    const connection = await this.#database.connect();
    try {
      await connection.run(
        `INSERT OR REPLACE INTO apo_rounds (run_id, round, completed_at, candidates, beam, leader_resources_id, leader_val_score,
           best_resources_id, best_val_score, rejected_edits, timed_out_rollouts, timed_out_rollout_ids,
           failed_rollouts, critiques_without_llm_calls, run_fingerprint)
         VALUES ($1, $2, $3, $4::JSON, $5::JSON, $6, $7, $8, $9, $10, $11, $12::JSON, $13, $14, $15)`,
        [
          round.run_id,
          round.round,
          round.completed_at,
          JSON.stringify(round.candidates),
          JSON.stringify(round.beam),
          round.leader_resources_id,
          round.leader_val_score,
          round.best_resources_id,
          round.best_val_score,
          round.rejected_edits,
          round.timed_out_rollouts,
          JSON.stringify(round.timed_out_rollout_ids),
          round.failed_rollouts ?? 0,
          round.critiques_without_llm_calls ?? 0,
          round.run_fingerprint ?? null,
        ],
      );
    } finally {
      this.#database.release(connection);
    }
  }
}

/** Checks the JSON body of `POST /v1/agl/apo/rounds`; returns an error message or null. */
export function apoRoundProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'Expected a JSON object';
  const round = body as Record<string, unknown>;
  if (typeof round.run_id !== 'string' || round.run_id === '') return 'Expected a non-empty string `run_id`';
  if (!Number.isInteger(round.round) || (round.round as number) < 0) return 'Expected an integer `round` ≥ 0';
  if (typeof round.completed_at !== 'number') return 'Expected a number `completed_at`';
  for (const key of ['candidates', 'beam', 'timed_out_rollout_ids']) if (!Array.isArray(round[key])) return `Expected an array \`${key}\``;
  for (const key of ['rejected_edits', 'timed_out_rollouts']) if (!Number.isInteger(round[key])) return `Expected an integer \`${key}\``;
  for (const key of ['failed_rollouts', 'critiques_without_llm_calls']) {
    if (round[key] !== undefined && (!Number.isInteger(round[key]) || (round[key] as number) < 0)) return `Expected \`${key}\` to be an integer ≥ 0 when given`;
  }
  if (round.run_fingerprint !== undefined && round.run_fingerprint !== null && typeof round.run_fingerprint !== 'string') return 'Expected `run_fingerprint` to be a string or null';
  for (const key of ['leader_val_score', 'best_val_score']) if (round[key] !== null && typeof round[key] !== 'number') return `Expected \`${key}\` to be a number or null`;
  for (const key of ['leader_resources_id', 'best_resources_id']) if (round[key] !== null && typeof round[key] !== 'string') return `Expected \`${key}\` to be a string or null`;
  return null;
}
