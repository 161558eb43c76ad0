import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { LocalApoData, RemoteApoData, readAttemptReward } from '../../src/algorithm/index.ts';
import { readFinalRewards } from '../../src/algorithm/rollout-reward.ts';
import { buildExportSelect } from '../../src/export/index.ts';
import { runReadOnlyQuery } from '../../src/storage/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import type { SpanSpec } from '../collector/otlp-requests.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * "The final reward of an attempt" has one definition, the `final_rewards` view, and every reader
 * agrees with it on data made to trip up a naive one: rewards with equal sequence ids, a reward
 * without a sequence id, several reward spans per attempt (one with no primary dimension), a span
 * whose primary dimension is not written first, and a retried rollout. The readers: the view, APO
 * (`readFinalRewards`, local and over HTTP), Baseline and the trainer's server helper
 * (`readAttemptReward`, in process and through a `StoreClient`), the dashboard's rollout list and
 * the triplet export.
 */

const T0 = 1_700_000_000n * 1_000_000_000n;
const ms = (millis: number) => T0 + BigInt(millis) * 1_000_000n;

let collector: Collector;
const ids: Record<string, { rollout: string; attempt: string }> = {};
let firstRetryAttempt = '';

function span(rollout: string, attempt: string, seq: number | null, endMillis: number, attributes: Record<string, string | number>): SpanSpec {
  const ids: Record<string, string | number> = { 'agentlightning.rollout_id': rollout, 'agentlightning.attempt_id': attempt };
  if (seq !== null) ids['agentlightning.span_sequence_id'] = seq;
  return spanSpec({ name: 'agentlightning.annotation', startTimeUnixNano: ms(endMillis - 1), endTimeUnixNano: ms(endMillis), attributes: { ...ids, ...attributes } });
}

function reward(rollout: string, attempt: string, seq: number | null, endMillis: number, value: number): SpanSpec {
  return span(rollout, attempt, seq, endMillis, { 'agentlightning.reward.0.name': 'score', 'agentlightning.reward.0.value': value });
}

function llmCall(rollout: string, attempt: string, seq: number): SpanSpec {
  return spanSpec({
    name: 'chat',
    startTimeUnixNano: ms(0),
    endTimeUnixNano: ms(1),
    attributes: {
      'agentlightning.rollout_id': rollout,
      'agentlightning.attempt_id': attempt,
      'agentlightning.span_sequence_id': seq,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'm',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'q' }] }]),
    },
  });
}

/** What each rollout's latest attempt must have as its final reward. */
const EXPECTED: Record<string, number | null> = {
  equalSequence: 0.7,
  nullSequence: 0.6,
  several: 0.8,
  primaryNotFirst: 0.55,
  retried: 0.2,
  none: null,
};

describe('final_rewards: one definition, every reader agrees', () => {
  before(async () => {
    collector = await startTestCollector();
    for (const name of Object.keys(EXPECTED)) {
      const started = await collector.store.startRollout({ input: { name } });
      ids[name] = { rollout: started.rollout_id, attempt: started.attempt.attempt_id };
    }
    // The retried rollout: its first attempt's reward is higher, and not what the latest attempt scored.
    firstRetryAttempt = ids.retried.attempt;
    ids.retried.attempt = (await collector.store.startAttempt(ids.retried.rollout)).attempt.attempt_id;

    const { equalSequence: eq, nullSequence: nul, several, primaryNotFirst: pnf, retried, none } = ids;
    const spans: SpanSpec[] = [
      // Equal sequence ids: the later one (by time) wins, whatever order they arrive in.
      reward(eq.rollout, eq.attempt, 5, 200, 0.7),
      reward(eq.rollout, eq.attempt, 5, 100, 0.3),
      reward(eq.rollout, eq.attempt, 4, 300, 0.1),
      // Several reward spans: sequence id beats time; a span with no primary dimension is skipped.
      reward(several.rollout, several.attempt, 3, 900, 0.4),
      reward(several.rollout, several.attempt, 7, 100, 0.8),
      span(several.rollout, several.attempt, 8, 950, { 'agentlightning.reward.1.name': 'aux', 'agentlightning.reward.1.value': 0.05 }),
      // Multi-dimension, the primary (index 0) written after the others.
      span(pnf.rollout, pnf.attempt, 2, 100, {
        'agentlightning.reward.2.name': 'cost',
        'agentlightning.reward.2.value': 3,
        'agentlightning.reward.1.name': 'length',
        'agentlightning.reward.1.value': 120,
        'agentlightning.reward.0.name': 'score',
        'agentlightning.reward.0.value': 0.55,
      }),
      reward(pnf.rollout, pnf.attempt, 1, 500, 0.99),
      reward(nul.rollout, nul.attempt, 2, 100, 0.6),
      reward(retried.rollout, firstRetryAttempt, 1, 100, 0.9),
      reward(retried.rollout, retried.attempt, 1, 200, 0.2),
      ...Object.values(ids).map((entry) => llmCall(entry.rollout, entry.attempt, 0)),
      llmCall(retried.rollout, firstRetryAttempt, 0),
    ];
    const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody(spans) });
    assert.equal(response.status, 200);
    // A reward without a sequence id: the collector numbers the spans of attempts it knows, so such a
    // row comes from a span of an attempt it did not know yet, or from a file written before
    // `span_rewards.sequence_id` existed. It counts as earlier than every reward with one, although later in time.
    const connection = await collector.database.connect();
    try {
      await connection.run(
        `INSERT INTO span_rewards (trace_id, span_id, rollout_id, attempt_id, reward_index, name, value, is_primary, time_unix_nano, sequence_id)
         VALUES ('${'a'.repeat(32)}', '${'b'.repeat(16)}', '${nul.rollout}', '${nul.attempt}', 0, 'score', 0.1, true, ${ms(900)}, NULL)`,
      );
    } finally {
      collector.database.release(connection);
    }
    assert.ok(none);
  });
  after(async () => {
    await collector?.close();
  });

  const expectedByRollout = () => new Map(Object.entries(EXPECTED).map(([name, value]) => [ids[name]!.rollout, value]));

  it('the view holds one row per attempt with a primary reward, chosen by sequence id, then time', async () => {
    const rows = await queryRows(collector, 'SELECT rollout_id, attempt_id, value, name FROM final_rewards');
    const byAttempt = new Map(rows.map((row) => [`${row.rollout_id}/${row.attempt_id}`, row.value]));
    for (const [name, value] of Object.entries(EXPECTED)) {
      assert.equal(byAttempt.get(`${ids[name]!.rollout}/${ids[name]!.attempt}`) ?? null, value, name);
    }
    assert.equal(byAttempt.get(`${ids.retried!.rollout}/${firstRetryAttempt}`), 0.9);
    assert.equal(rows.length, Object.values(EXPECTED).filter((value) => value !== null).length + 1);
    assert.ok(rows.every((row) => row.name === 'score'));
  });

  it('APO reads the same (in process and over HTTP)', async () => {
    const rolloutIds = Object.values(ids).map((entry) => entry.rollout);
    const expected = new Map([...expectedByRollout()].filter(([, value]) => value !== null));
    assert.deepEqual(await readFinalRewards(new LocalApoData(collector.database), rolloutIds), expected);
    assert.deepEqual(await readFinalRewards(new RemoteApoData({ baseUrl: collector.url }), rolloutIds), expected);
  });

  it('Baseline and the trainer server helper read the same, with the winning span\'s dimensions', async () => {
    const client = new StoreClient({ baseUrl: collector.url });
    for (const [name, value] of Object.entries(EXPECTED)) {
      const local = await readAttemptReward(collector.store, ids[name]!.rollout);
      const remote = await readAttemptReward(client, ids[name]!.rollout);
      assert.equal(local.reward, value, name);
      assert.deepEqual(remote, local, name);
    }
    assert.deepEqual((await readAttemptReward(collector.store, ids.primaryNotFirst!.rollout)).dimensions, { score: 0.55, length: 120, cost: 3 });
    assert.deepEqual(await readAttemptReward(collector.store, ids.retried!.rollout, firstRetryAttempt), { reward: 0.9, dimensions: { score: 0.9 } });
  });

  it('the dashboard lists the same reward for each rollout (its latest attempt)', async () => {
    const response = await fetch(`${collector.url}/v1/agl/dashboard/rollouts?limit=50`);
    assert.equal(response.status, 200);
    const page = (await response.json()) as { items: { rollout_id: string; reward: number | null }[] };
    const expected = expectedByRollout();
    assert.equal(page.items.length, expected.size);
    for (const item of page.items) assert.equal(item.reward, expected.get(item.rollout_id), item.rollout_id);
  });

  it('the triplet export gives each attempt\'s calls the same reward', async () => {
    const result = await runReadOnlyQuery(collector.database, buildExportSelect({ what: 'triplets', format: 'jsonl', filters: {} }), { maxRows: 1000 });
    const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
    const expected = expectedByRollout();
    for (const row of rows) {
      const want = row.attempt_id === firstRetryAttempt ? 0.9 : expected.get(String(row.rollout_id));
      assert.equal(row.reward, want, String(row.rollout_id));
    }
    assert.equal(rows.length, Object.keys(EXPECTED).length + 1);
  });
});
