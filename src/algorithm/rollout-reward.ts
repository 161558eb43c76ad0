import { readRewards } from '../semconv/index.ts';
import type { SpanRecord } from '../spans/index.ts';
import type { Span } from '../store/index.ts';
import type { AlgorithmStore } from './algorithm.ts';

/** The reward of one attempt, as its spans carry it. */
export interface AttemptReward {
  /** The primary (index 0) value of the last span that carries rewards; null when none does. */
  reward: number | null;
  /** Every dimension of that span by name (the primary one included). */
  dimensions: Record<string, number>;
}

/**
 * Reads an attempt's reward from its spans (the same conventions the `rewards` view reads:
 * `agentlightning.reward.<i>.*`, AgentOps' reward JSON, the plain `reward` attribute). As in Agent
 * Lightning, the last span carrying a reward is the attempt's final reward.
 */
export async function readAttemptReward(store: Pick<AlgorithmStore, 'querySpans'>, rolloutId: string, attemptId = 'latest'): Promise<AttemptReward> {
  const page = await store.querySpans({ rolloutId, attemptId, limit: -1 });
  const spans = [...page.items].sort((a, b) => a.sequence_id - b.sequence_id || (a.end_time ?? 0) - (b.end_time ?? 0));
  for (let index = spans.length - 1; index >= 0; index--) {
    const rewards = readRewards(asRewardSource(spans[index]));
    if (rewards.length === 0) continue;
    const dimensions = Object.fromEntries(rewards.map((reward) => [reward.name, reward.value]));
    return { reward: rewards.find((reward) => reward.primary)?.value ?? null, dimensions };
  }
  return { reward: null, dimensions: {} };
}

/** `readRewards` looks at a span's name and attributes only; the store's spans carry both, flattened. */
function asRewardSource(span: Span): SpanRecord {
  return { name: span.name, attributes: span.attributes } as unknown as SpanRecord;
}
