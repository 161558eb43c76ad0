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
import type { Router } from '../http/router.ts';
import { Fields, answer, filterLogic, pageFromBody, queryFields, readObjectBody, storeRoute } from './store-wire.ts';

/**
 * The rollout routes of Agent Lightning's store API: the queue (`/v1/agl/queues/rollouts/…`),
 * rollouts and their attempts (`/v1/agl/rollouts/…`) and the long-poll `POST /v1/agl/waits/rollouts`.
 * Our addition: `POST /v1/agl/rollouts/{rollout_id}/cancel`.
 */
export function registerRolloutRoutes(router: Router, store: LightningStore): void {
  router
    .on(
      'POST',
      '/v1/agl/queues/rollouts/enqueue',
      storeRoute('body', async ({ request, response }) => {
        const fields = new Fields(await readObjectBody(request));
        const list = fields.raw('rollouts');
        if (!Array.isArray(list)) {
          throw StoreValidationError.at(['body', 'rollouts'], list === undefined ? 'Field required' : 'Input should be a valid list', list === undefined ? 'missing' : 'list_type');
        }
        const rollouts = list.map((item, index) => newRollout(item, ['body', 'rollouts', index]));
        answer(response, await store.enqueueRollouts(rollouts), 201);
      }),
    )
    .on(
      'POST',
      '/v1/agl/queues/rollouts/dequeue',
      storeRoute('body', async ({ request, response }) => {
        const fields = new Fields(await readObjectBody(request, true));
        const limit = fields.integer('limit');
        if (limit !== undefined && limit < 0) throw StoreValidationError.at(['body', 'limit'], 'Input should be ≥ 0', 'greater_than_equal');
        answer(response, await store.dequeueRollouts({ limit, workerId: fields.string('worker_id') }));
      }),
    )
    .on(
      'POST',
      '/v1/agl/rollouts',
      storeRoute('body', async ({ request, response }) => {
        const body = await readObjectBody(request);
        const options = newRollout(body, ['body']);
        answer(response, await store.startRollout({ ...options, workerId: new Fields(body).string('worker_id') }), 201);
      }),
    )
    .on(
      'GET',
      '/v1/agl/rollouts',
      storeRoute('query', async ({ url, response }) => {
        const fields = queryFields(url, ['status_in', 'rollout_id_in', 'mode_in'], ['limit', 'offset']);
        answer(response, await store.queryRollouts(rolloutQuery(fields)));
      }),
    )
    .on(
      'POST',
      '/v1/agl/rollouts/search',
      storeRoute('body', async ({ request, response }) => {
        answer(response, await store.queryRollouts(rolloutQuery(new Fields(await readObjectBody(request, true)))));
      }),
    )
    .on(
      'GET',
      '/v1/agl/rollouts/{rollout_id}',
      storeRoute('query', async ({ params, response }) => {
        const rollout = await store.getRollout(params.rollout_id);
        if (!rollout) throw new NotFoundError(`Rollout ${params.rollout_id} not found`);
        answer(response, rollout);
      }),
    )
    .on(
      'POST',
      '/v1/agl/rollouts/{rollout_id}',
      storeRoute('body', async ({ request, params, response }) => {
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
      }),
    )
    .on(
      'POST',
      '/v1/agl/rollouts/{rollout_id}/cancel',
      storeRoute('body', async ({ request, params, response }) => {
        request.resume();
        answer(response, await store.cancelRollout(params.rollout_id));
      }),
    )
    .on(
      'POST',
      '/v1/agl/rollouts/{rollout_id}/attempts',
      storeRoute('body', async ({ request, params, response }) => {
        const fields = new Fields(await readObjectBody(request, true));
        answer(response, await store.startAttempt(params.rollout_id, { workerId: fields.string('worker_id') }), 201);
      }),
    )
    .on(
      'GET',
      '/v1/agl/rollouts/{rollout_id}/attempts',
      storeRoute('query', async ({ url, params, response }) => {
        const fields = queryFields(url, [], ['limit', 'offset']);
        answer(response, await store.queryAttempts(params.rollout_id, pageFromBody(fields, 'sequence_id')));
      }),
    )
    .on(
      'POST',
      '/v1/agl/rollouts/{rollout_id}/attempts/search',
      storeRoute('body', async ({ request, params, response }) => {
        const fields = new Fields(await readObjectBody(request, true));
        answer(response, await store.queryAttempts(params.rollout_id, pageFromBody(fields, 'sequence_id')));
      }),
    )
    .on(
      'GET',
      '/v1/agl/rollouts/{rollout_id}/attempts/latest',
      storeRoute('query', async ({ params, response }) => {
        answer(response, await store.getLatestAttempt(params.rollout_id));
      }),
    );

  const updateAttempt = storeRoute('body', async ({ request, params, response }) => {
    const fields = new Fields(await readObjectBody(request)).notNull('status').notNull('worker_id').notNull('last_heartbeat_time').notNull('metadata');
    const update: AttemptUpdate = {};
    const status = fields.enumValue<AttemptStatus>('status', ATTEMPT_STATUSES);
    if (status) update.status = status;
    if (fields.has('worker_id')) update.workerId = fields.string('worker_id');
    if (fields.has('last_heartbeat_time')) update.lastHeartbeatTime = fields.number('last_heartbeat_time');
    if (fields.has('metadata')) update.metadata = fields.object('metadata');
    answer(response, await store.updateAttempt(params.rollout_id, params.attempt_id ?? 'latest', update));
  });
  router
    .on('POST', '/v1/agl/rollouts/{rollout_id}/attempts/{attempt_id}', updateAttempt)
    // `latest` is a literal route for GET; POST to it updates the latest attempt.
    .on('POST', '/v1/agl/rollouts/{rollout_id}/attempts/latest', updateAttempt)
    .on(
      'POST',
      '/v1/agl/waits/rollouts',
      storeRoute('body', async ({ request, response }) => {
        const fields = new Fields(await readObjectBody(request));
        const rolloutIds = fields.stringList('rollout_ids');
        if (!rolloutIds) throw StoreValidationError.at(['body', 'rollout_ids'], 'Field required', 'missing');
        const timeoutSeconds = fields.number('timeout');
        // A client that hangs up ends its wait.
        const abort = new AbortController();
        response.once('close', () => abort.abort());
        answer(response, await store.waitForRollouts(rolloutIds, { timeoutSeconds, signal: abort.signal }));
      }),
    );
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
