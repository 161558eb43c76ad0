import { PromptTemplate, readAttemptReward, toNamedResources } from '../../src/index.ts';
import type { AlgorithmContext, AlgorithmFunction, RolloutStatus } from '../../src/index.ts';

/** One candidate prompt's outcome. */
export interface PromptSweepRow {
  /** The candidate's position in the list (0-based). */
  index: number;
  template: string;
  /** The resources version the candidate was stored as. */
  resourcesId: string;
  /** Mean primary reward over the tasks that recorded one; null when none did. */
  meanReward: number | null;
  succeeded: number;
  /** Rollouts that ended `failed` or `cancelled`. */
  failed: number;
  /** Rollouts still unfinished when the wait gave up (scored as failures: they count in no mean). */
  unfinished: number;
  /** The rollouts, for SQL (`WHERE rollout_id IN (...)`). */
  rolloutIds: string[];
}

/** What {@link promptSweep} resolves with. */
export interface PromptSweepResult {
  rows: PromptSweepRow[];
  /** The best row (highest mean reward; the earlier candidate on a tie); null when none scored. */
  best: PromptSweepRow | null;
}

/** Options of {@link promptSweep}. */
export interface PromptSweepOptions {
  /** How long one candidate's rollouts may take. @default 120 */
  timeoutSeconds?: number;
  /** The name of the template in the resources. @default 'prompt_template' */
  resourceName?: string;
}

/**
 * A user-written algorithm, as in Agent Lightning's getting-started guide: it tries each prompt
 * in turn and keeps the best. Everything goes through the store it is given — the same calls
 * whether the store is the in-process collector or a `StoreClient` to `agl serve`:
 *
 * 1. `addResources` — the candidate becomes a new resources version;
 * 2. `enqueueRollouts` — the validation tasks, pinned to that version, for the runners;
 * 3. `waitForRollouts` — a server-side wait (long poll) until they are finished, no client polling;
 * 4. `querySpans` (through `readAttemptReward`) — each rollout's reward, from its spans.
 */
export function promptSweep<TTask>(candidates: readonly string[], options: PromptSweepOptions = {}): AlgorithmFunction<TTask, PromptSweepResult> {
  if (candidates.length === 0) throw new RangeError('Expected at least one candidate prompt');
  for (const template of candidates) new PromptTemplate(template); // Throws now on a template that is not a string.
  const timeoutSeconds = options.timeoutSeconds ?? 120;
  const resourceName = options.resourceName ?? 'prompt_template';

  return async function promptSweepAlgorithm({ store, trainDataset, valDataset, signal, log }: AlgorithmContext<TTask>): Promise<PromptSweepResult> {
    const tasks = valDataset ?? trainDataset;
    const rows: PromptSweepRow[] = [];
    for (const [index, template] of candidates.entries()) {
      signal.throwIfAborted();
      const { resources_id: resourcesId } = await store.addResources(toNamedResources({ [resourceName]: new PromptTemplate(template) }));
      const rollouts = await store.enqueueRollouts(tasks.map((input) => ({ input, mode: 'val', resourcesId })));
      const ids = rollouts.map((rollout) => rollout.rollout_id);

      const finished = new Map<string, RolloutStatus>();
      const deadline = Date.now() + timeoutSeconds * 1000;
      while (finished.size < ids.length && Date.now() < deadline) {
        const pending = ids.filter((id) => !finished.has(id));
        const waitSeconds = Math.min(5, Math.max(0, (deadline - Date.now()) / 1000));
        for (const rollout of await store.waitForRollouts(pending, { timeoutSeconds: waitSeconds, signal })) finished.set(rollout.rollout_id, rollout.status);
        signal.throwIfAborted();
      }

      const rewards: number[] = [];
      for (const id of ids) {
        if (finished.get(id) !== 'succeeded') continue;
        const { reward } = await readAttemptReward(store, id);
        if (reward !== null) rewards.push(reward);
      }
      const statuses = [...finished.values()];
      const row: PromptSweepRow = {
        index,
        template,
        resourcesId,
        meanReward: rewards.length === 0 ? null : rewards.reduce((sum, value) => sum + value, 0) / rewards.length,
        succeeded: statuses.filter((status) => status === 'succeeded').length,
        failed: statuses.filter((status) => status === 'failed' || status === 'cancelled').length,
        unfinished: ids.length - finished.size,
        rolloutIds: ids,
      };
      if (row.unfinished > 0) {
        log.warn(`prompt ${index + 1}: ${row.unfinished} rollout(s) unfinished after ${timeoutSeconds} s: ${ids.filter((id) => !finished.has(id)).join(', ')}`);
        for (const id of ids.filter((id) => !finished.has(id))) await store.cancelRollout(id).catch(() => undefined);
      }
      log.info(`prompt ${index + 1}/${candidates.length} (${resourcesId}): mean reward ${row.meanReward?.toFixed(3) ?? 'n/a'} over ${rewards.length} of ${ids.length} tasks`);
      rows.push(row);
    }
    let best: PromptSweepRow | null = null;
    for (const row of rows) if (row.meanReward !== null && (best === null || row.meanReward > (best.meanReward ?? -Infinity))) best = row;
    return { rows, best };
  };
}

/** The rows as a text table: `#`, resources version, mean reward, succeeded/failed/unfinished, the prompt's first line. */
export function formatSweepTable(result: PromptSweepResult): string {
  const header = ['#', 'resources', 'reward', 'ok', 'failed', 'unfinished', 'prompt'];
  const lines = result.rows.map((row) => [
    String(row.index + 1) + (row === result.best ? '*' : ''),
    row.resourcesId,
    row.meanReward === null ? 'n/a' : row.meanReward.toFixed(3),
    String(row.succeeded),
    String(row.failed),
    String(row.unfinished),
    row.template.replace(/\s*\n\s*/g, ' ⏎ ').slice(0, 90),
  ]);
  const widths = header.map((name, column) => Math.max(name.length, ...lines.map((line) => line[column].length)));
  const render = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...lines.map(render)].join('\n');
}
