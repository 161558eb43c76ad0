/**
 * Reads the rewards a span carries, in the three forms Agent Lightning has emitted them.
 */
import type { SpanRecord } from '../spans/index.ts';
import type { RewardRecord } from './span-mapping.ts';
import { indexedGroups, isRecord, parseArray, parseRecord, readNumber, readString, type LooseRecord } from './attribute-values.ts';
import {
  AGENTOPS_ENTITY_OUTPUT,
  AGENTOPS_TASK_OUTPUT,
  AGL_ANNOTATION,
  AGL_OPERATION,
  AGL_OPERATION_NAME,
  AGL_REWARD,
  AGL_REWARD_NAME_KEY,
  AGL_REWARD_PREFIX,
  AGL_REWARD_VALUE_KEY,
  LEGACY_REWARD,
} from './semantic-conventions.ts';

/** The name of a single, unnamed reward (as Agent Lightning's `emit_reward(float)` names it). */
export const PRIMARY_REWARD_NAME = 'primary';

/**
 * The rewards of a span, from the first of these forms that yields a valid value:
 *
 * 1. Agent Lightning v0.3: `agentlightning.reward.<i>.name` / `.value` (index 0 primary), on any
 *    span (the names cannot mean anything else); also the same list as one structured attribute
 *    `agentlightning.reward` (`[{name, value}]`, OTLP kvlists or JSON), or a bare number there;
 * 2. AgentOps (Agent Lightning's older emitter): `agentops.task.output` (or the older
 *    `agentops.entity.output`) holding `{"type": "reward", "value": <number>}`, object or JSON;
 * 3. Agent Lightning v0.2: a plain `reward` attribute (a number or a numeric string) on a span named
 *    `agentlightning.reward` or `agentlightning.annotation` (or an `agentlightning.operation` span
 *    whose operation is `agentlightning.reward`); on other spans `reward` is too generic a name.
 *
 * Values that are not finite numbers are dropped.
 */
export function readRewards(span: SpanRecord): RewardRecord[] {
  const attributes = span.attributes as LooseRecord;
  const dimensions = readDimensions(attributes);
  if (dimensions.length > 0) return dimensions;

  for (const key of [AGENTOPS_TASK_OUTPUT, AGENTOPS_ENTITY_OUTPUT]) {
    const raw = attributes[key];
    if (raw === undefined || raw === null) continue;
    const output = isRecord(raw) ? raw : parseRecord(raw);
    if (output === null || output.type !== 'reward') continue;
    const value = readNumber(output.value);
    if (value !== null) return [{ name: PRIMARY_REWARD_NAME, value, index: 0, primary: true }];
  }

  if (attributes[LEGACY_REWARD] !== undefined && isRewardSpanName(span)) {
    const value = readNumber(attributes[LEGACY_REWARD]);
    if (value !== null) return [{ name: PRIMARY_REWARD_NAME, value, index: 0, primary: true }];
  }
  return [];
}

function isRewardSpanName(span: SpanRecord): boolean {
  if (span.name === AGL_REWARD || span.name === AGL_ANNOTATION) return true;
  return span.name === AGL_OPERATION && span.attributes[AGL_OPERATION_NAME] === AGL_REWARD;
}

function readDimensions(attributes: LooseRecord): RewardRecord[] {
  const rewards: RewardRecord[] = [];
  const structured = attributes[AGL_REWARD_PREFIX];
  if (structured !== undefined && structured !== null) {
    if (typeof structured !== 'object') {
      // A bare number under the prefix itself: a single primary reward.
      pushDimension(rewards, 0, null, structured);
      if (rewards.length > 0) return rewards;
    }
    const list = typeof structured === 'string' || Array.isArray(structured) ? parseArray(structured) : null;
    if (list !== null) {
      list.forEach((item, index) => {
        if (isRecord(item)) pushDimension(rewards, index, item[AGL_REWARD_NAME_KEY], item[AGL_REWARD_VALUE_KEY]);
      });
      if (rewards.length > 0) return rewards;
    }
  }
  for (const [index, fields] of indexedGroups(attributes, `${AGL_REWARD_PREFIX}.`)) {
    // `agentlightning.reward.<i>` holding the value itself lands under ''.
    pushDimension(rewards, index, fields[AGL_REWARD_NAME_KEY], fields[AGL_REWARD_VALUE_KEY] ?? fields['']);
  }
  return rewards;
}

function pushDimension(into: RewardRecord[], index: number, rawName: unknown, rawValue: unknown): void {
  const value = readNumber(rawValue);
  if (value === null) return;
  const name = readString(rawName) ?? (index === 0 ? PRIMARY_REWARD_NAME : `reward_${index}`);
  into.push({ name, value, index, primary: index === 0 });
}
