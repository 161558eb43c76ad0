import { ATTEMPT_STATUSES, GATEWAY_PROMPT_MODES, GATEWAY_PROMPT_RESOURCE_TYPE, ROLLOUT_MODES, ROLLOUT_STATUSES } from './store-types.ts';
import type { AttemptUpdate, NewRollout, RolloutUpdate } from './lightning-store.ts';
import type { GatewayPromptMode, GatewayPromptResource, NamedResources, Rollout, RolloutConfig } from './store-types.ts';
import { StoreValidationError } from './store-validation-error.ts';

/** The largest value of an INTEGER column. */
const INT32_MAX = 2_147_483_647;

/** A {@link NewRollout} checked, with defaults filled in. */
export interface CheckedNewRollout {
  input: unknown;
  mode: Rollout['mode'];
  resourcesId: string | null;
  config: RolloutConfig;
  metadata: Record<string, unknown> | null;
}

/** A new rollout request checked, with defaults filled in; throws on a bad field. */
export function checkNewRollout(request: NewRollout, loc: (string | number)[]): CheckedNewRollout {
  if (typeof request !== 'object' || request === null) throw StoreValidationError.at(loc, 'Expected an object', 'dict_type');
  if (!('input' in request)) throw StoreValidationError.at([...loc, 'input'], 'Field required', 'missing');
  const mode = request.mode ?? null;
  if (mode !== null && !ROLLOUT_MODES.includes(mode)) {
    throw StoreValidationError.at([...loc, 'mode'], `Expected one of ${ROLLOUT_MODES.join(', ')} or null`, 'enum');
  }
  const resourcesId = request.resourcesId ?? null;
  if (resourcesId !== null && typeof resourcesId !== 'string') throw StoreValidationError.at([...loc, 'resources_id'], 'Expected a string or null', 'string_type');
  const metadata = request.metadata ?? {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw StoreValidationError.at([...loc, 'metadata'], 'Expected an object or null', 'dict_type');
  return { input: request.input ?? null, mode, resourcesId, config: checkConfig(request.config ?? {}, [...loc, 'config']), metadata };
}

/** A config with defaults filled in; throws on a bad field. */
export function checkConfig(config: Partial<RolloutConfig>, loc: (string | number)[]): RolloutConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw StoreValidationError.at(loc, 'Expected an object', 'dict_type');
  const maxAttempts = config.max_attempts ?? 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw StoreValidationError.at([...loc, 'max_attempts'], `Expected an integer ≥ 1, got ${JSON.stringify(maxAttempts)}`, 'greater_than_equal');
  }
  // The column is an INTEGER (int32).
  if (maxAttempts > INT32_MAX) {
    throw StoreValidationError.at([...loc, 'max_attempts'], `Input should be less than or equal to ${INT32_MAX}`, 'less_than_equal');
  }
  const retry = config.retry_condition ?? [];
  if (!Array.isArray(retry) || retry.some((status) => !ATTEMPT_STATUSES.includes(status))) {
    throw StoreValidationError.at([...loc, 'retry_condition'], `Expected a list of ${ATTEMPT_STATUSES.join(', ')}`, 'enum');
  }
  for (const field of ['timeout_seconds', 'unresponsive_seconds'] as const) {
    const value = config[field];
    if (value !== undefined && value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw StoreValidationError.at([...loc, field], `Expected a number of seconds ≥ 0 or null, got ${JSON.stringify(value)}`, 'float_type');
    }
  }
  return {
    timeout_seconds: config.timeout_seconds ?? null,
    unresponsive_seconds: config.unresponsive_seconds ?? null,
    max_attempts: maxAttempts,
    retry_condition: [...retry],
  };
}

/** Throws unless `resources` is an object of resources, each with a string `resource_type`. */
export function checkResources(resources: NamedResources): void {
  if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw StoreValidationError.at(['resources'], 'Expected an object of named resources', 'dict_type');
  }
  for (const [name, resource] of Object.entries(resources)) {
    if (typeof resource !== 'object' || resource === null || typeof resource.resource_type !== 'string') {
      throw StoreValidationError.at(['resources', name, 'resource_type'], 'Expected an object with a string `resource_type`', 'missing');
    }
    if (resource.resource_type === GATEWAY_PROMPT_RESOURCE_TYPE) checkGatewayPromptResource(resources, name, ['resources', name]);
  }
}

const GATEWAY_PROMPT_FIELDS = new Set(['resource_type', 'mode', 'prompt']);

/**
 * Throws unless `resources[name]` is a well-formed {@link GatewayPromptResource}: `mode` one of
 * {@link GATEWAY_PROMPT_MODES}, `prompt` (optional) the name of a prompt template among the same
 * `resources` (without it, one named `prompt_template` or a single prompt template must be there),
 * and no other field. `loc` is where the resource sits in the request.
 */
export function checkGatewayPromptResource(resources: NamedResources, name: string, loc: (string | number)[]): void {
  const resource = resources[name] as Record<string, unknown>;
  for (const field of Object.keys(resource)) {
    if (!GATEWAY_PROMPT_FIELDS.has(field)) throw StoreValidationError.at([...loc, field], 'Extra inputs are not permitted', 'extra_forbidden');
  }
  if (!('mode' in resource)) throw StoreValidationError.at([...loc, 'mode'], 'Field required', 'missing');
  if (!GATEWAY_PROMPT_MODES.includes(resource.mode as GatewayPromptMode)) {
    throw StoreValidationError.at([...loc, 'mode'], `Input should be ${GATEWAY_PROMPT_MODES.map((mode) => `'${mode}'`).join(' or ')}`, 'enum');
  }
  const isTemplate = (key: string): boolean => resources[key]?.resource_type === 'prompt_template';
  if (resource.prompt !== undefined) {
    if (typeof resource.prompt !== 'string') throw StoreValidationError.at([...loc, 'prompt'], 'Input should be a valid string', 'string_type');
    if (!isTemplate(resource.prompt)) {
      throw StoreValidationError.at([...loc, 'prompt'], `Expected the name of a prompt_template resource of the same resources, got ${JSON.stringify(resource.prompt)}`, 'value_error');
    }
    return;
  }
  const templates = Object.keys(resources).filter(isTemplate);
  if (!isTemplate('prompt_template') && templates.length !== 1) {
    throw StoreValidationError.at(
      [...loc, 'prompt'],
      `Field required when the resources hold ${templates.length === 0 ? 'no prompt template' : `several prompt templates (${templates.join(', ')}) and none named prompt_template`}`,
      'missing',
    );
  }
}

/** The values of a list filter, `null` when absent; throws on one not in `allowed`. */
export function checkEnumList<T extends string>(values: readonly T[] | null | undefined, allowed: readonly T[], field: string): readonly T[] | null {
  if (values === null || values === undefined) return null;
  const bad = values.findIndex((value) => !allowed.includes(value));
  if (!Array.isArray(values) || bad >= 0) {
    throw StoreValidationError.at([field, bad], `Expected one of ${allowed.join(', ')}`, 'enum');
  }
  return values;
}

/** How filters combine: `and` when absent. */
export function checkFilterLogic(logic: string | undefined): 'and' | 'or' {
  if (logic === undefined || logic === 'and' || logic === 'or') return logic ?? 'and';
  throw StoreValidationError.at(['filter_logic'], `Expected 'and' or 'or', got ${JSON.stringify(logic)}`, 'enum');
}

/** Throws on a bad `status` or `mode` of a rollout update (its `config` goes through {@link checkConfig}). */
export function checkRolloutUpdate(update: RolloutUpdate): void {
  if (update.status !== undefined && !ROLLOUT_STATUSES.includes(update.status)) {
    throw StoreValidationError.at(['status'], `Expected one of ${ROLLOUT_STATUSES.join(', ')}`, 'enum');
  }
  if (update.mode !== undefined && update.mode !== null && !ROLLOUT_MODES.includes(update.mode)) {
    throw StoreValidationError.at(['mode'], `Expected one of ${ROLLOUT_MODES.join(', ')} or null`, 'enum');
  }
}

/** Throws on a bad `status` or `lastHeartbeatTime` of an attempt update. */
export function checkAttemptUpdate(update: AttemptUpdate): void {
  if (update.status !== undefined && !ATTEMPT_STATUSES.includes(update.status)) {
    throw StoreValidationError.at(['status'], `Expected one of ${ATTEMPT_STATUSES.join(', ')}`, 'enum');
  }
  if (update.lastHeartbeatTime !== undefined && update.lastHeartbeatTime !== null && !Number.isFinite(update.lastHeartbeatTime)) {
    throw StoreValidationError.at(['last_heartbeat_time'], 'Expected a number of seconds or null', 'float_type');
  }
}

/** A wait's time limit in seconds, `null` (no limit) when absent; throws on one that is not a number ≥ 0. */
export function checkWaitTimeout(timeoutSeconds: number | null | undefined): number | null {
  const checked = timeoutSeconds ?? null;
  if (checked !== null && (!Number.isFinite(checked) || checked < 0)) {
    throw StoreValidationError.at(['timeout'], `Expected a number of seconds ≥ 0 or null, got ${JSON.stringify(checked)}`, 'float_type');
  }
  return checked;
}
