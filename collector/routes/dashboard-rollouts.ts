import type { DuckDBValue } from '@duckdb/node-api';
import { NotFoundError } from '../../src/errors/index.ts';
import type { Database } from '../../src/storage/index.ts';
import { ROLLOUT_MODES, ROLLOUT_STATUSES } from '../../src/store/index.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteTable } from '../http/route-table.ts';
import { QueryParams, keysetPage, queryObjects } from './dashboard-sql.ts';

/**
 * The dashboard's rollout routes:
 * - `GET /v1/agl/dashboard/rollouts?status&mode&resources_id&q&limit&cursor`: newest first, keyset
 *   paginated on the creation order (no OFFSET, so page 1,000 costs what page 1 does), each with its
 *   latest attempt's status and worker and that attempt's final reward (the `final_rewards` view); `total` counts the matches.
 * - `GET /v1/agl/dashboard/rollouts/{rollout_id}`: the rollout, its attempts (with span and LLM-call
 *   counts) and every reward dimension of every attempt.
 */
export function registerDashboardRolloutRoutes(routes: RouteTable, database: Database): void {
  routes
    .on('GET', '/v1/agl/dashboard/rollouts', async ({ url, response }) => {
      sendJson(response, 200, await listRollouts(database, url));
    })
    .on('GET', '/v1/agl/dashboard/rollouts/:rollout_id', async ({ params, response }) => {
      sendJson(response, 200, await rolloutDetail(database, params.rollout_id));
    });
}

async function listRollouts(database: Database, url: URL) {
  const query = new QueryParams(url, ['status', 'mode', 'resources_id', 'q', 'limit', 'cursor']);
  const limit = query.limit(50, 200);
  const cursor = query.cursor('n');
  // Constant SQL fragments; every value is a bound parameter.
  const conditions: string[] = [];
  const values: DuckDBValue[] = [];
  const bind = (fragment: string, value: DuckDBValue) => {
    values.push(value);
    conditions.push(fragment.replaceAll('?', `$${values.length}`));
  };
  const status = query.choice('status', ROLLOUT_STATUSES);
  if (status) bind('r.status = ?', status);
  const mode = query.choice('mode', ROLLOUT_MODES);
  if (mode) bind('r.mode = ?', mode);
  const resourcesId = query.string('resources_id');
  if (resourcesId) bind('r.resources_id = ?', resourcesId);
  const search = query.string('q');
  if (search) bind('(contains(lower(r.rollout_id), lower(?)) OR contains(lower(CAST(r.input AS VARCHAR)), lower(?)))', search);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const totalRows = await queryObjects(database, `SELECT count(*)::INTEGER AS total FROM rollouts r ${where}`, values);
  const pageConditions = [...conditions];
  const pageValues = [...values];
  if (cursor) {
    pageValues.push(cursor[0]);
    pageConditions.push(`r.created_order < $${pageValues.length}`);
  }
  pageValues.push(limit + 1);
  const rows = await queryObjects(
    database,
    `WITH page AS (
       SELECT r.rollout_id, r.status, r.mode, r.resources_id, r.start_time, r.end_time, r.attempt_count,
              r.latest_attempt_id, r.created_order::DOUBLE AS created_order, left(CAST(r.input AS VARCHAR), 200) AS input_preview
       FROM rollouts r ${pageConditions.length > 0 ? `WHERE ${pageConditions.join(' AND ')}` : ''}
       ORDER BY r.created_order DESC LIMIT $${pageValues.length})
     SELECT page.*, a.status AS attempt_status, a.worker_id
     FROM page LEFT JOIN attempts a ON a.rollout_id = page.rollout_id AND a.attempt_id = page.latest_attempt_id
     ORDER BY page.created_order DESC`,
    pageValues,
  );
  const page = keysetPage(rows, limit, (row) => [row.created_order as number]);
  // The page's rollout ids as constants: DuckDB pushes a constant filter on the view's partition key
  // below its window, where a join would rank every reward first (~0.5 s at 400k rewards, not ~30 ms).
  const rewards = new Map<string, (typeof page.items)[number][string]>();
  if (page.items.length > 0) {
    const ids = page.items.map((item) => item.rollout_id as string);
    const finals = await queryObjects(
      database,
      `SELECT rollout_id, attempt_id, value FROM final_rewards WHERE rollout_id IN (${ids.map((_, index) => `$${index + 1}`).join(', ')})`,
      ids,
    );
    for (const row of finals) rewards.set(`${row.rollout_id}\u0000${row.attempt_id}`, row.value);
  }
  for (const item of page.items) {
    delete item.created_order;
    item.reward = rewards.get(`${item.rollout_id}\u0000${item.latest_attempt_id}`) ?? null;
  }
  return { ...page, total: totalRows[0].total };
}

async function rolloutDetail(database: Database, rolloutId: string) {
  const [rollout] = await queryObjects(
    database,
    `SELECT rollout_id, input, mode, resources_id, status, start_time, end_time, max_attempts, retry_condition,
            timeout_seconds, unresponsive_seconds, metadata, attempt_count, latest_attempt_id
     FROM rollouts WHERE rollout_id = $1`,
    [rolloutId],
    ['input', 'retry_condition', 'metadata'],
  );
  if (!rollout) throw new NotFoundError(`Rollout ${rolloutId} not found`);
  // A rollout has at most `max_attempts` attempts; the bounds keep a pathological one cheap anyway.
  const attempts = await queryObjects(
    database,
    `SELECT a.attempt_id, a.sequence_id, a.status, a.start_time, a.end_time, a.worker_id, a.last_heartbeat_time, a.metadata,
            (SELECT count(*)::INTEGER FROM spans s WHERE s.rollout_id = a.rollout_id AND s.attempt_id = a.attempt_id) AS span_count,
            (SELECT count(*)::INTEGER FROM span_llm_calls l WHERE l.rollout_id = a.rollout_id AND l.attempt_id = a.attempt_id) AS llm_call_count
     FROM attempts a WHERE a.rollout_id = $1 ORDER BY a.sequence_id LIMIT 100`,
    [rolloutId],
    ['metadata'],
  );
  const rewards = await queryObjects(
    database,
    `SELECT attempt_id, trace_id, span_id, name, value, is_primary, reward_index, time_unix_nano / 1e9 AS time
     FROM span_rewards WHERE rollout_id = $1 ORDER BY time_unix_nano, reward_index LIMIT 500`,
    [rolloutId],
  );
  return { rollout, attempts, rewards };
}
