import { NotFoundError } from '../../src/errors/index.ts';
import type { AttemptUpdate, LightningStore, NewRollout, RolloutConfig, RolloutQuery, RolloutUpdate } from '../../src/store/index.ts';
import type { z } from 'zod';
import type { RouteHandler, RouteTable } from '../http/route-table.ts';
import { parseWith } from '../http/validate.ts';
import {
  ATTEMPT_UPDATE_BODY,
  DEQUEUE_BODY,
  ENQUEUE_BODY,
  NEW_ROLLOUT,
  PAGE_BODY,
  PAGE_QUERY,
  ROLLOUT_QUERY_BODY,
  ROLLOUT_QUERY_QUERY,
  ROLLOUT_UPDATE_BODY,
  START_ATTEMPT_BODY,
  START_ROLLOUT_BODY,
  WAIT_BODY,
} from './store-schemas.ts';
import { answer, pageOptions, parseQuery, readObjectBody, refuseNull } from './store-wire.ts';

/**
 * The rollout routes of Agent Lightning's store API: the queue (`/v1/agl/queues/rollouts/…`),
 * rollouts and their attempts (`/v1/agl/rollouts/…`) and the long-poll `POST /v1/agl/waits/rollouts`.
 * Our addition: `POST /v1/agl/rollouts/:rollout_id/cancel`.
 */
export function registerRolloutRoutes(routes: RouteTable, store: LightningStore): void {
  const updateAttempt = updateAttemptHandler(store);
  routes
    .on('POST', '/v1/agl/queues/rollouts/enqueue', enqueueHandler(store))
    .on('POST', '/v1/agl/queues/rollouts/dequeue', dequeueHandler(store))
    .on('POST', '/v1/agl/rollouts', startRolloutHandler(store))
    .on('GET', '/v1/agl/rollouts', async ({ url, response }) => {
      const query = parseQuery(url, ROLLOUT_QUERY_QUERY, ['status_in', 'rollout_id_in', 'mode_in']);
      answer(response, await store.queryRollouts(rolloutQuery(query)));
    })
    .on('POST', '/v1/agl/rollouts/search', async ({ request, response }) => {
      answer(response, await store.queryRollouts(rolloutQuery(parseWith(ROLLOUT_QUERY_BODY, await readObjectBody(request, true)))));
    })
    .on('GET', '/v1/agl/rollouts/:rollout_id', async ({ params, response }) => {
      const rollout = await store.getRollout(params.rollout_id);
      if (!rollout) throw new NotFoundError(`Rollout ${params.rollout_id} not found`);
      answer(response, rollout);
    })
    .on('POST', '/v1/agl/rollouts/:rollout_id', updateRolloutHandler(store))
    .on('POST', '/v1/agl/rollouts/:rollout_id/cancel', async ({ request, params, response }) => {
      request.resume();
      answer(response, await store.cancelRollout(params.rollout_id));
    })
    .on('POST', '/v1/agl/rollouts/:rollout_id/attempts', async ({ request, params, response }) => {
      const { worker_id: workerId } = parseWith(START_ATTEMPT_BODY, await readObjectBody(request, true));
      answer(response, await store.startAttempt(params.rollout_id, { workerId }), 201);
    })
    .on('GET', '/v1/agl/rollouts/:rollout_id/attempts', async ({ url, params, response }) => {
      answer(response, await store.queryAttempts(params.rollout_id, pageOptions(parseQuery(url, PAGE_QUERY), 'sequence_id')));
    })
    .on('POST', '/v1/agl/rollouts/:rollout_id/attempts/search', async ({ request, params, response }) => {
      const page = parseWith(PAGE_BODY, await readObjectBody(request, true));
      answer(response, await store.queryAttempts(params.rollout_id, pageOptions(page, 'sequence_id')));
    })
    .on('GET', '/v1/agl/rollouts/:rollout_id/attempts/latest', async ({ params, response }) => {
      answer(response, await store.getLatestAttempt(params.rollout_id));
    })
    .on('POST', '/v1/agl/rollouts/:rollout_id/attempts/:attempt_id', updateAttempt)
    // `latest` is a literal route for GET; POST to it updates the latest attempt.
    .on('POST', '/v1/agl/rollouts/:rollout_id/attempts/latest', updateAttempt)
    .on('POST', '/v1/agl/waits/rollouts', waitHandler(store));
}

/** `POST /v1/agl/queues/rollouts/enqueue` with `{rollouts: [{input, mode?, resources_id?, config?, metadata?}]}`. */
function enqueueHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const { rollouts } = parseWith(ENQUEUE_BODY, await readObjectBody(request));
    answer(response, await store.enqueueRollouts(rollouts.map(newRollout)), 201);
  };
}

/** `POST /v1/agl/queues/rollouts/dequeue` with an optional `{limit, worker_id}`. */
function dequeueHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const { limit, worker_id: workerId } = parseWith(DEQUEUE_BODY, await readObjectBody(request, true));
    answer(response, await store.dequeueRollouts({ limit, workerId }));
  };
}

/** `POST /v1/agl/rollouts`: a rollout started at once (with its first attempt), for `worker_id` when given. */
function startRolloutHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const body = parseWith(START_ROLLOUT_BODY, await readObjectBody(request));
    answer(response, await store.startRollout({ ...newRollout(body), workerId: body.worker_id }), 201);
  };
}

/** `POST /v1/agl/rollouts/:rollout_id`: the fields given are updated; `status` and `config` cannot be null. */
function updateRolloutHandler(store: LightningStore): RouteHandler {
  return async ({ request, params, response }) => {
    const raw = refuseNull(await readObjectBody(request), ['status', 'config']);
    const body = parseWith(ROLLOUT_UPDATE_BODY, raw);
    const update: RolloutUpdate = {};
    if (Object.hasOwn(raw, 'input')) update.input = body.input;
    if (Object.hasOwn(raw, 'mode')) update.mode = body.mode;
    if (Object.hasOwn(raw, 'resources_id')) update.resourcesId = body.resources_id;
    if (body.status) update.status = body.status;
    if (body.config) update.config = body.config as Partial<RolloutConfig>;
    if (Object.hasOwn(raw, 'metadata')) update.metadata = body.metadata;
    answer(response, await store.updateRollout(params.rollout_id, update));
  };
}

/** `POST /v1/agl/rollouts/:rollout_id/attempts/:attempt_id` (or `…/latest`): the fields given are updated. */
function updateAttemptHandler(store: LightningStore): RouteHandler {
  return async ({ request, params, response }) => {
    const raw = refuseNull(await readObjectBody(request), ['status', 'worker_id', 'last_heartbeat_time', 'metadata']);
    const body = parseWith(ATTEMPT_UPDATE_BODY, raw);
    const update: AttemptUpdate = {};
    if (body.status) update.status = body.status;
    if (Object.hasOwn(raw, 'worker_id')) update.workerId = body.worker_id;
    if (Object.hasOwn(raw, 'last_heartbeat_time')) update.lastHeartbeatTime = body.last_heartbeat_time;
    if (Object.hasOwn(raw, 'metadata')) update.metadata = body.metadata;
    answer(response, await store.updateAttempt(params.rollout_id, params.attempt_id ?? 'latest', update));
  };
}

/** `POST /v1/agl/waits/rollouts` with `{rollout_ids, timeout?}`: the long poll; a client that hangs up ends its wait. */
function waitHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const { rollout_ids: rolloutIds, timeout: timeoutSeconds } = parseWith(WAIT_BODY, await readObjectBody(request));
    const abort = new AbortController();
    response.once('close', () => abort.abort());
    answer(response, await store.waitForRollouts(rolloutIds, { timeoutSeconds, signal: abort.signal }));
  };
}

function newRollout(rollout: z.infer<typeof NEW_ROLLOUT>): NewRollout {
  return {
    input: rollout.input,
    mode: rollout.mode,
    resourcesId: rollout.resources_id,
    config: rollout.config as Partial<RolloutConfig> | null | undefined,
    metadata: rollout.metadata,
  };
}

function rolloutQuery(query: z.infer<typeof ROLLOUT_QUERY_BODY>): RolloutQuery {
  return {
    ...pageOptions(query),
    statusIn: query.status_in,
    rolloutIdIn: query.rollout_id_in,
    rolloutIdContains: query.rollout_id_contains,
    modeIn: query.mode_in,
    filterLogic: query.filter_logic ?? undefined,
  };
}
