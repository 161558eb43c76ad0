import { NotFoundError } from '../errors/index.ts';
import type { PageOptions, ResourcesQuery, RolloutQuery, WorkerQuery } from './lightning-store.ts';
import { checkPage, paginate } from './paginate.ts';
import { clone } from './store-draft.ts';
import type { RolloutEntry } from './store-draft.ts';
import { checkEnumList, checkFilterLogic } from './store-input-checks.ts';
import type { StoreMirror } from './store-mirror.ts';
import { ROLLOUT_MODES, ROLLOUT_STATUSES, WORKER_STATUSES } from './store-types.ts';
import type { Attempt, AttemptedRollout, PaginatedResult, ResourcesUpdate, Rollout, Worker } from './store-types.ts';

const ROLLOUT_SORTABLE = ['rollout_id', 'start_time', 'end_time', 'status', 'mode', 'resources_id'];
const ATTEMPT_SORTABLE = ['sequence_id', 'attempt_id', 'start_time', 'end_time', 'status', 'worker_id', 'last_heartbeat_time'];
const WORKER_SORTABLE = [
  'worker_id',
  'status',
  'last_heartbeat_time',
  'last_dequeue_time',
  'last_busy_time',
  'last_idle_time',
  'current_rollout_id',
];
const RESOURCES_SORTABLE = ['resources_id', 'create_time', 'update_time', 'version'];

/** A page of the rollouts matching `query`, each with its latest attempt. */
export function queryRollouts(mirror: StoreMirror, query: RolloutQuery): PaginatedResult<Rollout | AttemptedRollout> {
  checkPage(query);
  const statusIn = checkEnumList(query.statusIn, ROLLOUT_STATUSES, 'status_in');
  const modeIn = checkEnumList(query.modeIn, ROLLOUT_MODES, 'mode_in');
  const idIn = query.rolloutIdIn ? new Set(query.rolloutIdIn) : null;
  const contains = query.rolloutIdContains ?? null;
  const logic = checkFilterLogic(query.filterLogic);
  const tests: ((entry: RolloutEntry) => boolean)[] = [];
  if (statusIn) tests.push((entry) => statusIn.includes(entry.rollout.status));
  if (modeIn) tests.push((entry) => entry.rollout.mode !== null && modeIn.includes(entry.rollout.mode));
  // As in Agent Lightning, `rollout_id_in` and `rollout_id_contains` are one filter on the id.
  if (idIn || contains !== null) {
    tests.push((entry) => (!idIn || idIn.has(entry.rollout.rollout_id)) && (contains === null || entry.rollout.rollout_id.includes(contains)));
  }
  // With `rollout_id_in` and AND logic only the listed rollouts can match: no scan of the others.
  const candidates =
    idIn && logic === 'and'
      ? [...idIn].flatMap((id) => mirror.rollouts.get(id) ?? []).sort((a, b) => a.createdOrder - b.createdOrder)
      : [...mirror.rollouts.values()];
  const matches = candidates.filter((entry) => combine(tests, logic, entry));
  const page = paginate(matches.map((entry) => entry.rollout), query, ROLLOUT_SORTABLE);
  return { ...page, items: page.items.map((rollout) => withLatestAttempt(mirror.rollouts.get(rollout.rollout_id)!)) };
}
/** A page of a rollout's attempts, by sequence unless sorted otherwise; `NotFoundError` when the rollout is unknown. */
export function queryAttempts(mirror: StoreMirror, rolloutId: string, query: PageOptions): PaginatedResult<Attempt> {
  const entry = mirror.rollouts.get(rolloutId);
  if (!entry) throw new NotFoundError(`Rollout ${rolloutId} not found`);
  const page = paginate(entry.attempts, { sortBy: 'sequence_id', ...query }, ATTEMPT_SORTABLE);
  return { ...page, items: page.items.map(clone) };
}
/** A page of the latest version of each resources id matching `query`. */
export function queryResources(mirror: StoreMirror, query: ResourcesQuery): PaginatedResult<ResourcesUpdate> {
  const items = [...mirror.resources.values()].filter(
    (item) =>
      (query.resourcesId == null || item.resources_id === query.resourcesId) &&
      (query.resourcesIdContains == null || item.resources_id.includes(query.resourcesIdContains)),
  );
  const page = paginate(items, query, RESOURCES_SORTABLE);
  return { ...page, items: page.items.map(clone) };
}
/** A page of the workers matching `query`. */
export function queryWorkers(mirror: StoreMirror, query: WorkerQuery): PaginatedResult<Worker> {
  checkPage(query);
  const statusIn = checkEnumList(query.statusIn, WORKER_STATUSES, 'status_in');
  const logic = checkFilterLogic(query.filterLogic);
  const tests: ((worker: Worker) => boolean)[] = [];
  if (statusIn) tests.push((worker) => statusIn.includes(worker.status));
  if (query.workerIdContains != null) tests.push((worker) => worker.worker_id.includes(query.workerIdContains!));
  const matches = [...mirror.workers.values()].filter((worker) => combine(tests, logic, worker));
  const page = paginate(matches, query, WORKER_SORTABLE);
  return { ...page, items: page.items.map(clone) };
}
/** A rollout with its latest attempt, if it has one; copies, never the mirror's objects. */
export function withLatestAttempt(entry: RolloutEntry): Rollout | AttemptedRollout {
  const latest = entry.attempts.at(-1);
  return latest ? { ...clone(entry.rollout), attempt: clone(latest) } : clone(entry.rollout);
}

function combine<T>(tests: ((item: T) => boolean)[], logic: 'and' | 'or', item: T): boolean {
  if (tests.length === 0) return true;
  return logic === 'and' ? tests.every((test) => test(item)) : tests.some((test) => test(item));
}
