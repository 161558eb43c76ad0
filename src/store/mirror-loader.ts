import type { DuckDBConnection } from '@duckdb/node-api';
import type { RolloutEntry } from './store-draft.ts';
import type { QueueEntry, StoreMirror } from './store-mirror.ts';
import type { Attempt, AttemptStatus, Rollout, RolloutStatus, Worker } from './store-types.ts';

/** Fills an empty mirror (and its counters) with the state kept in the store's tables. */
export async function loadMirror(reader: DuckDBConnection, mirror: StoreMirror): Promise<void> {
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await reader.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  const attempts = new Map<string, Attempt[]>();
  for (const row of await rows('SELECT * FROM attempts ORDER BY rollout_id, sequence_id')) {
    const attempt: Attempt = {
      rollout_id: row.rollout_id as string,
      attempt_id: row.attempt_id as string,
      sequence_id: Number(row.sequence_id),
      start_time: row.start_time as number,
      end_time: row.end_time as number | null,
      status: row.status as AttemptStatus,
      worker_id: row.worker_id as string | null,
      last_heartbeat_time: row.last_heartbeat_time as number | null,
      metadata: parseOrNull(row.metadata),
    };
    let list = attempts.get(attempt.rollout_id);
    if (!list) attempts.set(attempt.rollout_id, (list = []));
    list.push(attempt);
  }
  const queued: QueueEntry[] = [];
  for (const row of await rows('SELECT * FROM rollouts ORDER BY created_order')) {
    const entry: RolloutEntry = {
      rollout: {
        rollout_id: row.rollout_id as string,
        input: JSON.parse(row.input as string),
        start_time: row.start_time as number,
        end_time: row.end_time as number | null,
        mode: row.mode as Rollout['mode'],
        resources_id: row.resources_id as string | null,
        status: row.status as RolloutStatus,
        config: {
          timeout_seconds: row.timeout_seconds as number | null,
          unresponsive_seconds: row.unresponsive_seconds as number | null,
          max_attempts: Number(row.max_attempts),
          retry_condition: JSON.parse(row.retry_condition as string),
        },
        metadata: parseOrNull(row.metadata),
      },
      attempts: attempts.get(row.rollout_id as string) ?? [],
      queuePosition: row.queue_position === null ? null : Number(row.queue_position),
      createdOrder: Number(row.created_order),
    };
    mirror.rollouts.set(entry.rollout.rollout_id, entry);
    mirror.createdCounter = Math.max(mirror.createdCounter, entry.createdOrder);
    if (entry.queuePosition !== null) {
      queued.push({ rolloutId: entry.rollout.rollout_id, position: entry.queuePosition });
      mirror.queueCounter = Math.max(mirror.queueCounter, entry.queuePosition);
    }
    if (entry.rollout.status === 'preparing' || entry.rollout.status === 'running') mirror.active.add(entry.rollout.rollout_id);
  }
  mirror.queue = queued.sort((a, b) => a.position - b.position);
  for (const row of await rows('SELECT * FROM workers ORDER BY worker_id')) {
    mirror.workers.set(row.worker_id as string, { ...(row as unknown as Worker), heartbeat_stats: parseOrNull(row.heartbeat_stats) });
  }
  const latestVersions = await rows(`SELECT resources_id, version, CAST(resources AS VARCHAR) AS resources, create_time, update_time, update_order
    FROM resources QUALIFY row_number() OVER (PARTITION BY resources_id ORDER BY version DESC) = 1 ORDER BY update_order`);
  for (const row of latestVersions) {
    mirror.resources.set(row.resources_id as string, {
      resources_id: row.resources_id as string,
      create_time: row.create_time as number,
      update_time: row.update_time as number,
      version: Number(row.version),
      resources: JSON.parse(row.resources as string),
    });
    mirror.latestResourcesId = row.resources_id as string;
    mirror.resourcesCounter = Math.max(mirror.resourcesCounter, Number(row.update_order));
  }
  for (const row of await rows('SELECT rollout_id, last_sequence_id FROM span_sequence_ids')) {
    mirror.sequences.set(row.rollout_id as string, Number(row.last_sequence_id));
  }
  // The spans' own sequence ids are a floor: a span's activity (which records its rollout's
  // counter) is written a little after the span, and a collector killed in between must not issue
  // that id again.
  const stored = await rows(`SELECT s.rollout_id, max(s.sequence_id) AS last_sequence_id FROM spans s
    SEMI JOIN rollouts r ON s.rollout_id = r.rollout_id WHERE s.sequence_id IS NOT NULL GROUP BY s.rollout_id`);
  for (const row of stored) {
    const rolloutId = row.rollout_id as string;
    const last = Number(row.last_sequence_id);
    if (last > (mirror.sequences.get(rolloutId) ?? 0)) mirror.sequences.set(rolloutId, last);
  }
}

function parseOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : (JSON.parse(value as string) as T);
}
