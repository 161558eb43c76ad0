import { WORKER_STATUSES } from '../../src/store/index.ts';
import type { LightningStore, WorkerQuery, WorkerStatus } from '../../src/store/index.ts';
import type { RouteTable } from '../http/route-table.ts';
import { Fields, answer, filterLogic, pageFromBody, queryFields, readObjectBody } from './store-wire.ts';

/** The worker routes of Agent Lightning's store API (`/v1/agl/workers/…`) and `GET /v1/agl/statistics`. */
export function registerWorkerRoutes(routes: RouteTable, store: LightningStore): void {
  const query = (fields: Fields): WorkerQuery => ({
    ...pageFromBody(fields),
    statusIn: fields.stringList('status_in', WORKER_STATUSES) as WorkerStatus[] | null | undefined,
    workerIdContains: fields.string('worker_id_contains'),
    filterLogic: filterLogic(fields),
  });
  routes
    .on('GET', '/v1/agl/workers', async ({ url, response }) => {
      answer(response, await store.queryWorkers(query(queryFields(url, ['status_in'], ['limit', 'offset']))));
    })
    .on('POST', '/v1/agl/workers/search', async ({ request, response }) => {
      answer(response, await store.queryWorkers(query(new Fields(await readObjectBody(request, true)))));
    })
    .on('GET', '/v1/agl/workers/:worker_id', async ({ params, response }) => answer(response, await store.getWorker(params.worker_id)))
    .on('POST', '/v1/agl/workers/:worker_id', async ({ request, params, response }) => {
      const fields = new Fields(await readObjectBody(request, true)).notNull('heartbeat_stats');
      const heartbeatStats = fields.has('heartbeat_stats') ? fields.object('heartbeat_stats') : undefined;
      answer(response, await store.updateWorker(params.worker_id, { heartbeatStats }));
    })
    .on('GET', '/v1/agl/statistics', async ({ response }) => answer(response, await store.statistics()));
}
