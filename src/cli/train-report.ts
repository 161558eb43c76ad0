import type { ApoResult, ApoRoundRecord, BaselineResult } from '../algorithm/index.ts';
import { formatRolloutFailure } from '../algorithm/index.ts';
import { formatQueryResult } from './format-table.ts';

/** A score with three decimals, or `n/a`. */
export function formatScore(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

/** The line `agl train` prints when an APO round completes (round 0: the baseline). */
export function describeRound(round: ApoRoundRecord): string {
  const failed = round.failed_rollouts ? `, ${round.failed_rollouts} rollouts failed` : '';
  const blind = round.critiques_without_llm_calls ? `, ${round.critiques_without_llm_calls} critiques without LLM calls` : '';
  if (round.round === 0) return `initial prompt ${round.leader_resources_id}: validation score ${formatScore(round.leader_val_score)}${failed}`;
  return (
    `round ${round.round} done: ${round.candidates.length} candidates, leader ${round.leader_resources_id} ${formatScore(round.leader_val_score)}, ` +
    `best ${formatScore(round.best_val_score)}${round.rejected_edits ? `, ${round.rejected_edits} edits rejected` : ''}` +
    `${round.timed_out_rollouts ? `, ${round.timed_out_rollouts} rollouts timed out` : ''}${failed}${blind}`
  );
}

/** The final table: the baseline and each round's scores, prompt versions and failures. */
export function roundsTable(rounds: readonly ApoRoundRecord[]): string {
  const rows = rounds.map((round) => [
    round.round === 0 ? 'baseline' : String(round.round),
    round.round === 0 ? 0 : round.candidates.length,
    round.leader_resources_id,
    formatScore(round.leader_val_score),
    formatScore(round.best_val_score),
    round.best_resources_id,
    round.beam.map((entry) => entry.resources_id).join(' '),
    round.rejected_edits,
    round.timed_out_rollouts,
    round.failed_rollouts ?? 0,
  ]);
  const names = ['round', 'candidates', 'leader', 'leader val score', 'best val score', 'best', 'beam (resources ids)', 'rejected', 'timed out', 'failed'];
  return formatQueryResult({ columns: names.map((name) => ({ name, type: 'VARCHAR' })), rows, truncated: false }, 'table');
}

/** What `agl train` prints at the end of an APO training (the table, the scores, the best prompt and where it was saved). */
export function apoReport(result: ApoResult, outPath: string): string {
  const bestRound = result.rounds.find((round) => round.leader_resources_id === result.bestResourcesId && round.leader_val_score === result.bestScore);
  const failed = result.rounds.reduce((sum, round) => sum + (round.failed_rollouts ?? 0), 0);
  const blind = result.rounds.reduce((sum, round) => sum + (round.critiques_without_llm_calls ?? 0), 0);
  return (
    `\n${roundsTable(result.rounds)}` +
    `APO run: ${result.runId}\n` +
    `baseline validation score: ${formatScore(result.baselineScore)}\n` +
    `best validation score: ${formatScore(result.bestScore)} (${result.bestResourcesId}${bestRound ? `, round ${bestRound.round}` : ''})\n` +
    `edits rejected: ${result.rejectedEdits}; rollouts timed out: ${result.timedOutRolloutIds.length}; rollouts failed: ${failed}` +
    `${blind ? `; critiques written without LLM calls: ${blind}` : ''}\n` +
    `\nbest prompt (saved to ${outPath}):\n${result.bestPrompt.template}\n`
  );
}

/** What `agl train --algorithm baseline` prints: the mean reward, the counts and the first failure. */
export function baselineReport(result: BaselineResult): string {
  const firstFailure = result.tasks.find((task) => task.failure !== null)?.failure ?? null;
  return (
    `\nbaseline (resources ${result.resourcesId ?? 'none'}): mean reward ${formatScore(result.meanReward)} over ${result.total} tasks — ` +
    `${result.succeeded} succeeded, ${result.failed} failed (${result.total === 0 ? 0 : Math.round((100 * result.failed) / result.total)}%), ${result.unfinished} unfinished\n` +
    (firstFailure ? `first failure: ${formatRolloutFailure(firstFailure)}\n` : '')
  );
}
