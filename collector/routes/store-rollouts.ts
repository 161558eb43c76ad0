import { NotFoundError } from '../../src/errors/index.ts';
import { ATTEMPT_STATUSES, ROLLOUT_MODES, ROLLOUT_STATUSES, StoreValidationError } from '../../src/store/index.ts';
import type {
  AttemptStatus,
  AttemptUpdate,
  LightningStore,
  NewRollout,
  RolloutQuery,
  RolloutConfig,
  RolloutMode,
  RolloutStatus,
  RolloutUpdate,
} from '../../src/store/index.ts';
import { z } from 'zod';
import type { RouteHandler, RouteTable } from '../http/route-table.ts';
import { parseWith } from '../http/validate.ts';
import { Fields, answer, filterLogic, pageFromBody, queryFields, readObjectBody } from './store-wire.ts';

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
      const fields = queryFields(url, ['status_in', 'rollout_id_in', 'mode_in'], ['limit', 'offset']);
      answer(response, await store.queryRollouts(rolloutQuery(fields)));
    })
    .on('POST', '/v1/agl/rollouts/search', async ({ request, response }) => {
      answer(response, await store.queryRollouts(rolloutQuery(new Fields(await readObjectBody(request, true)))));
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
      const fields = new Fields(await readObjectBody(request, true));
      answer(response, await store.startAttempt(params.rollout_id, { workerId: fields.string('worker_id') }), 201);
    })
    .on('GET', '/v1/agl/rollouts/:rollout_id/attempts', async ({ url, params, response }) => {
      const fields = queryFields(url, [], ['limit', 'offset']);
      answer(response, await store.queryAttempts(params.rollout_id, pageFromBody(fields, 'sequence_id')));
    })
    .on('POST', '/v1/agl/rollouts/:rollout_id/attempts/search', async ({ request, params, response }) => {
      const fields = new Fields(await readObjectBody(request, true));
      answer(response, await store.queryAttempts(params.rollout_id, pageFromBody(fields, 'sequence_id')));
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
    const fields = new Fields(await readObjectBody(request));
    const list = fields.raw('rollouts');
    if (!Array.isArray(list)) {
      throw StoreValidationError.at(['body', 'rollouts'], list === undefined ? 'Field required' : 'Input should be a valid list', list === undefined ? 'missing' : 'list_type');
    }
    const rollouts = list.map((item, index) => newRollout(item, ['body', 'rollouts', index]));
    answer(response, await store.enqueueRollouts(rollouts), 201);
  };
}

/** `POST /v1/agl/queues/rollouts/dequeue` with an optional `{limit, worker_id}`. */
function dequeueHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const fields = new Fields(await readObjectBody(request, true));
    const limit = fields.integer('limit');
    if (limit !== undefined && limit < 0) throw StoreValidationError.at(['body', 'limit'], 'Input should be ≥ 0', 'greater_than_equal');
    answer(response, await store.dequeueRollouts({ limit, workerId: fields.string('worker_id') }));
  };
}

/** `POST /v1/agl/rollouts`: a rollout started at once (with its first attempt), for `worker_id` when given. */
function startRolloutHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const body = await readObjectBody(request);
    const options = newRollout(body, ['body']);
    answer(response, await store.startRollout({ ...options, workerId: new Fields(body).string('worker_id') }), 201);
  };
}

/** `POST /v1/agl/rollouts/:rollout_id`: the fields given are updated; `status` and `config` cannot be null. */
function updateRolloutHandler(store: LightningStore): RouteHandler {
  return async ({ request, params, response }) => {
    const fields = new Fields(await readObjectBody(request)).notNull('status').notNull('config');
    const update: RolloutUpdate = {};
    if (fields.has('input')) update.input = fields.raw('input');
    if (fields.has('mode')) update.mode = fields.enumValue<RolloutMode>('mode', ROLLOUT_MODES);
    if (fields.has('resources_id')) update.resourcesId = fields.string('resources_id');
    const status = fields.enumValue<RolloutStatus>('status', ROLLOUT_STATUSES);
    if (status) update.status = status;
    const config = fields.object('config');
    if (config) update.config = config as Partial<RolloutConfig>;
    if (fields.has('metadata')) update.metadata = fields.object('metadata');
    answer(response, await store.updateRollout(params.rollout_id, update));
  };
}

/** `POST /v1/agl/rollouts/:rollout_id/attempts/:attempt_id` (or `…/latest`): the fields given are updated. */
function updateAttemptHandler(store: LightningStore): RouteHandler {
  return async ({ request, params, response }) => {
    const fields = new Fields(await readObjectBody(request)).notNull('status').notNull('worker_id').notNull('last_heartbeat_time').notNull('metadata');
    const update: AttemptUpdate = {};
    const status = fields.enumValue<AttemptStatus>('status', ATTEMPT_STATUSES);
    if (status) update.status = status;
    if (fields.has('worker_id')) update.workerId = fields.string('worker_id');
    if (fields.has('last_heartbeat_time')) update.lastHeartbeatTime = fields.number('last_heartbeat_time');
    if (fields.has('metadata')) update.metadata = fields.object('metadata');
    answer(response, await store.updateAttempt(params.rollout_id, params.attempt_id ?? 'latest', update));
  };
}

/** The body of `POST /v1/agl/waits/rollouts`: the rollouts to wait for, and for how long at most (seconds; null: no limit). */
const WAIT_BODY = z.object({ rollout_ids: z.array(z.string()), timeout: z.number().nullable().optional() });

/** `POST /v1/agl/waits/rollouts` with `{rollout_ids, timeout?}`: the long poll; a client that hangs up ends its wait. */
function waitHandler(store: LightningStore): RouteHandler {
  return async ({ request, response }) => {
    const { rollout_ids: rolloutIds, timeout: timeoutSeconds } = parseWith(WAIT_BODY, await readObjectBody(request));
    const abort = new AbortController();
    response.once('close', () => abort.abort());
    answer(response, await store.waitForRollouts(rolloutIds, { timeoutSeconds, signal: abort.signal }));
  };
}

function newRollout(value: unknown, loc: (string | number)[]): NewRollout {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw StoreValidationError.at(loc, 'Input should be a valid dictionary', 'dict_type');
  }
  const fields = new Fields(value as Record<string, unknown>, loc);
  if (!fields.has('input')) throw StoreValidationError.at([...loc, 'input'], 'Field required', 'missing');
  const config = fields.object('config');
  return {
    input: fields.raw('input'),
    mode: fields.enumValue<RolloutMode>('mode', ROLLOUT_MODES),
    resourcesId: fields.string('resources_id'),
    config: config as Partial<RolloutConfig> | null | undefined,
    metadata: fields.object('metadata'),
  };
}

function rolloutQuery(fields: Fields): RolloutQuery {
  return {
    ...pageFromBody(fields),
    statusIn: fields.stringList('status_in', ROLLOUT_STATUSES) as RolloutStatus[] | null | undefined,
    rolloutIdIn: fields.stringList('rollout_id_in'),
    rolloutIdContains: fields.string('rollout_id_contains'),
    modeIn: fields.stringList('mode_in', ROLLOUT_MODES) as RolloutMode[] | null | undefined,
    filterLogic: filterLogic(fields),
  };
}
