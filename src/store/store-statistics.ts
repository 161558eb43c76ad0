import type { DuckDBConnection } from '@duckdb/node-api';
import { nowSeconds } from './store-draft.ts';
import type { StoreMirror } from './store-mirror.ts';
import { isQueuedRolloutStatus } from './store-types.ts';
import type { StoreStatistics } from './store-types.ts';

/**
 * `DuckDBLightningStore`'s statistics: the spans counted in `spans` through `reader`, everything
 * else from the mirror; `uptime` counts from `openedAt` (epoch seconds).
 */
export async function storeStatistics(reader: DuckDBConnection, mirror: StoreMirror, openedAt: number): Promise<StoreStatistics> {
  const spans = await reader.runAndReadAll('SELECT count(*) FROM spans');
  let attempts = 0;
  let queued = 0;
  const byStatus: Record<string, number> = {};
  for (const entry of mirror.rollouts.values()) {
    attempts += entry.attempts.length;
    byStatus[entry.rollout.status] = (byStatus[entry.rollout.status] ?? 0) + 1;
    if (isQueuedRolloutStatus(entry.rollout.status)) queued++;
  }
  return {
    name: 'DuckDBLightningStore',
    total_rollouts: mirror.rollouts.size,
    total_attempts: attempts,
    total_spans: Number(spans.getRows()[0][0]),
    total_resources: mirror.resources.size,
    total_workers: mirror.workers.size,
    uptime: nowSeconds() - openedAt,
    queue_length: queued,
    rollouts_by_status: byStatus,
  };
}
