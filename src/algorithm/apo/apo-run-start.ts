import { NotFoundError } from '../../errors/index.ts';
import type { AlgorithmData, AlgorithmStore } from '../algorithm.ts';
import { sqlString } from './apo-data.ts';
import type { ApoRunStart, ResolvedApoOptions } from './apo-options.ts';
import type { ApoRoundRecord } from './apo-round-record.ts';
import { apoRunFingerprint, apoRunIdOf } from './apo-run-identity.ts';

/** What {@link startApoRun} looks at. */
export interface ApoRunInput<TTask> {
  store: AlgorithmStore;
  data: AlgorithmData;
  options: ResolvedApoOptions<TTask>;
  train: readonly TTask[];
  val: readonly TTask[];
}

/** The run an APO session works on. */
export interface FoundApoRun {
  runId: string;
  fingerprint: string;
  /** Its completed rounds, oldest first (none for a new run). */
  rounds: ApoRoundRecord[];
}

/**
 * Finds the run: its id (given, or derived from the fingerprint of the initial resources,
 * datasets and options) and its completed rounds (none for a new run). With `resume`, a run that
 * is not there is an error listing the runs that are. Says how it starts through `onRunStart`.
 */
export async function startApoRun<TTask>(input: ApoRunInput<TTask>): Promise<FoundApoRun> {
  const latest = await input.store.getLatestResources();
  const fingerprint = apoRunFingerprint({ initialResources: latest?.resources ?? {}, trainDataset: input.train, valDataset: input.val, options: input.options });
  const runId = input.options.runId ?? apoRunIdOf(fingerprint);
  const rows = await input.data.query(`SELECT * FROM apo_rounds WHERE run_id = ${sqlString(runId)} ORDER BY round`);
  const rounds = rows.map((row) => row as unknown as ApoRoundRecord);
  if (rounds.length === 0 && input.options.resume) {
    const runs = await input.data.query(
      `SELECT run_id, count(*)::INTEGER AS rounds, max(round)::INTEGER AS last_round FROM apo_rounds GROUP BY run_id ORDER BY max(completed_at) DESC LIMIT 10`,
    );
    const known = runs.map((run) => `${String(run.run_id)} (${Number(run.last_round)} rounds done)`).join(', ');
    throw new NotFoundError(
      `Nothing to resume: no APO run ${input.options.runId === null ? `with this initial prompt, these datasets and options (${runId})` : `\`${runId}\``} in the store. ` +
        (known ? `Runs there: ${known}; resume one by its run id, or` : 'There are no APO runs there;') +
        ' start a new run without resume.',
    );
  }
  const last = rounds[rounds.length - 1];
  const start: ApoRunStart = {
    runId,
    fingerprint,
    resumedAfterRound: last ? last.round : null,
    identityDiffers: last ? (rounds[0].run_fingerprint ?? null) !== null && rounds[0].run_fingerprint !== fingerprint : false,
    bestScore: last ? last.best_val_score : null,
    initialResourcesId: last ? rounds[0].leader_resources_id : (latest?.resources_id ?? null),
  };
  input.options.onRunStart?.(start);
  return { runId, fingerprint, rounds };
}
