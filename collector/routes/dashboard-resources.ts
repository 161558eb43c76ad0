import { InvalidRequestError, NotFoundError } from '../../src/errors/index.ts';
import type { Database } from '../../src/storage/index.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteTable } from '../http/route-table.ts';
import { QueryParams, keysetPage, queryObjects } from './dashboard-sql.ts';

/**
 * The dashboard's resources, training and worker routes:
 * - `GET /v1/agl/dashboard/resources?limit&cursor`: every version of every resources set, latest
 *   write first, each with the number of rollouts that ran with its id (and how many succeeded).
 * - `GET /v1/agl/dashboard/resources/{resources_id}?version`: one version whole (the latest by default).
 * - `GET /v1/agl/dashboard/training?run_id`: the APO runs in `apo_rounds` and the rounds of one (the
 *   latest by default) with the best prompt.
 * - `GET /v1/agl/dashboard/workers?limit&cursor`: workers by id with their current rollout.
 */
export function registerDashboardResourceRoutes(routes: RouteTable, database: Database): void {
  routes
    .on('GET', '/v1/agl/dashboard/resources', async ({ url, response }) => {
      const query = new QueryParams(url, ['limit', 'cursor']);
      const limit = query.limit(50, 200);
      const cursor = query.cursor('n');
      const rows = await queryObjects(
        database,
        `WITH page AS (
           SELECT resources_id, version, create_time, update_time, update_order::DOUBLE AS update_order, resources
           FROM resources WHERE $1::DOUBLE IS NULL OR update_order < $1::DOUBLE ORDER BY update_order DESC LIMIT $2),
         used AS (
           SELECT resources_id, count(*)::INTEGER AS rollout_count,
                  count(*) FILTER (WHERE status = 'succeeded')::INTEGER AS succeeded_count
           FROM rollouts WHERE resources_id IN (SELECT resources_id FROM page) GROUP BY resources_id)
         SELECT page.*, coalesce(used.rollout_count, 0) AS rollout_count, coalesce(used.succeeded_count, 0) AS succeeded_count
         FROM page LEFT JOIN used USING (resources_id) ORDER BY page.update_order DESC`,
        [cursor ? cursor[0] : null, limit + 1],
        ['resources'],
      );
      const page = keysetPage(rows, limit, (row) => [row.update_order as number]);
      for (const item of page.items) delete item.update_order;
      sendJson(response, 200, page);
    })
    .on('GET', '/v1/agl/dashboard/resources/:resources_id', async ({ params, url, response }) => {
      const query = new QueryParams(url, ['version']);
      const versionText = query.string('version');
      const version = versionText === null ? null : Number(versionText);
      if (version !== null && (!/^\d+$/.test(versionText!) || version > 2 ** 31)) {
        throw new InvalidRequestError(`Expected \`version\` to be an integer ≥ 0, got \`${versionText}\``);
      }
      const [row] = await queryObjects(
        database,
        `SELECT resources_id, version, create_time, update_time, resources FROM resources
         WHERE resources_id = $1 AND ($2::INTEGER IS NULL OR version = $2::INTEGER) ORDER BY version DESC LIMIT 1`,
        [params.resources_id, version],
        ['resources'],
      );
      if (!row) throw new NotFoundError(`Resources ${params.resources_id}${version === null ? '' : ` version ${version}`} not found`);
      sendJson(response, 200, row);
    })
    .on('GET', '/v1/agl/dashboard/training', async ({ url, response }) => {
      const query = new QueryParams(url, ['run_id']);
      const runs = await queryObjects(
        database,
        `SELECT run_id, count(*)::INTEGER AS rounds, max(completed_at) AS last_completed_at FROM apo_rounds
         GROUP BY run_id ORDER BY last_completed_at DESC LIMIT 50`,
      );
      const runId = query.string('run_id') ?? (runs[0]?.run_id as string | undefined) ?? null;
      if (runId === null) {
        sendJson(response, 200, { runs, run_id: null, rounds: [], best: null });
        return;
      }
      const rounds = await queryObjects(
        database,
        `SELECT round, completed_at, candidates, beam, leader_resources_id, leader_val_score, best_resources_id, best_val_score,
                rejected_edits, timed_out_rollouts, failed_rollouts, critiques_without_llm_calls
         FROM apo_rounds WHERE run_id = $1 ORDER BY round LIMIT 1000`,
        [runId],
        ['candidates', 'beam'],
      );
      if (rounds.length === 0) throw new NotFoundError(`APO run ${runId} not found`);
      const last = rounds[rounds.length - 1];
      let best = null;
      if (typeof last.best_resources_id === 'string') {
        const [resources] = await queryObjects(
          database,
          'SELECT resources_id, version, resources FROM resources WHERE resources_id = $1 ORDER BY version DESC LIMIT 1',
          [last.best_resources_id],
          ['resources'],
        );
        best = { resources_id: last.best_resources_id, val_score: last.best_val_score, resources: resources?.resources ?? null };
      }
      sendJson(response, 200, { runs, run_id: runId, rounds, best });
    })
    .on('GET', '/v1/agl/dashboard/workers', async ({ url, response }) => {
      const query = new QueryParams(url, ['limit', 'cursor']);
      const limit = query.limit(100, 500);
      const cursor = query.cursor('s');
      const rows = await queryObjects(
        database,
        `SELECT worker_id, status, heartbeat_stats, last_heartbeat_time, last_dequeue_time, last_busy_time, last_idle_time,
                current_rollout_id, current_attempt_id
         FROM workers WHERE $1::VARCHAR IS NULL OR worker_id > $1::VARCHAR ORDER BY worker_id LIMIT $2`,
        [cursor ? cursor[0] : null, limit + 1],
        ['heartbeat_stats'],
      );
      sendJson(response, 200, keysetPage(rows, limit, (row) => [row.worker_id as string]));
    });
}
