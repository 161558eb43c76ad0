import type { LightningStore, WorkerQuery } from '../../src/store/index.ts';
import type { z } from 'zod';
import type { RouteTable } from '../http/route-table.ts';
import { parseWith } from '../http/validate.ts';
import { WORKER_QUERY_BODY, WORKER_QUERY_QUERY, WORKER_UPDATE_BODY } from './store-schemas.ts';
import { answer, pageOptions, parseQuery, readObjectBody, refuseNull } from './store-wire.ts';

/** The worker routes of Agent Lightning's store API (`/v1/agl/workers/…`) and `GET /v1/agl/statistics`. */
export function registerWorkerRoutes(routes: RouteTable, store: LightningStore): void {
  const query = (parsed: z.infer<typeof WORKER_QUERY_BODY>): WorkerQuery => ({
    ...pageOptions(parsed),
    statusIn: parsed.status_in,
    workerIdContains: parsed.worker_id_contains,
    filterLogic: parsed.filter_logic ?? undefined,
  });
  routes
    .on('GET', '/v1/agl/workers', async ({ url, response }) => {
      answer(response, await store.queryWorkers(query(parseQuery(url, WORKER_QUERY_QUERY, ['status_in']))));
    })
    .on('POST', '/v1/agl/workers/search', async ({ request, response }) => {
      answer(response, await store.queryWorkers(query(parseWith(WORKER_QUERY_BODY, await readObjectBody(request, true)))));
    })
    .on('GET', '/v1/agl/workers/:worker_id', async ({ params, response }) => answer(response, await store.getWorker(params.worker_id)))
    .on('POST', '/v1/agl/workers/:worker_id', async ({ request, params, response }) => {
      const raw = refuseNull(await readObjectBody(request, true), ['heartbeat_stats']);
      const { heartbeat_stats: stats } = parseWith(WORKER_UPDATE_BODY, raw);
      const heartbeatStats = Object.hasOwn(raw, 'heartbeat_stats') ? stats : undefined;
      answer(response, await store.updateWorker(params.worker_id, { heartbeatStats }));
    })
    .on('GET', '/v1/agl/statistics', async ({ response }) => answer(response, await store.statistics()));
}
