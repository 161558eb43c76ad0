import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { rollout } from '../../src/agent/index.ts';
import { emitAnnotation, emitException, emitReward } from '../../src/tracing/index.ts';
import { queryRows } from '../helpers/collector.ts';
import { attributesOf, collector, ids, spansOf, tracer, useTracingCollector } from './tracing-harness.ts';
import type { Row } from './tracing-harness.ts';

/**
 * The tracing SDK end to end (rewards and exceptions): agents run through `rollout()` / `LitAgent`,
 * spans exported by the official OTLP/protobuf exporter to a real collector, and read back from
 * DuckDB.
 */

useTracingCollector();

describe('rewards', () => {
  async function rewardsOf(rolloutId: string): Promise<Row[]> {
    await tracer.forceFlush();
    return queryRows(collector, `SELECT attempt_id, name, value, is_primary, reward_index FROM rewards WHERE rollout_id = '${rolloutId}' ORDER BY reward_index`);
  }

  it('records a returned number as the primary reward', async () => {
    const run = ids('returned');
    const outcome = await rollout(async () => 0.75).run({}, run);
    assert.deepEqual(outcome, { output: 0.75, reward: 0.75 });
    assert.deepEqual(await rewardsOf(run.rolloutId), [{ attempt_id: run.attemptId, name: 'primary', value: 0.75, is_primary: true, reward_index: 0 }]);
    const rows = await spansOf(run.rolloutId);
    const reward = rows.find((row) => row.name === 'agentlightning.annotation')!;
    assert.equal(reward.parent_span_id, rows[0].span_id);
  });

  it('records no reward for a non-number result', async () => {
    const run = ids('no-reward');
    const outcome = await rollout(async () => ({ answer: 'B' })).run({}, run);
    assert.deepEqual(outcome, { output: { answer: 'B' }, reward: null });
    assert.deepEqual(await rewardsOf(run.rolloutId), []);
  });

  it('records a multi-dimensional reward with the primary at index 0', async () => {
    const run = ids('multi');
    await rollout(async () => {
      emitReward({ primary: 'quality', dimensions: { speed: 0.5, quality: 0.9, cost: -1 } });
    }).run({}, run);
    assert.deepEqual(await rewardsOf(run.rolloutId), [
      { attempt_id: run.attemptId, name: 'quality', value: 0.9, is_primary: true, reward_index: 0 },
      { attempt_id: run.attemptId, name: 'speed', value: 0.5, is_primary: false, reward_index: 1 },
      { attempt_id: run.attemptId, name: 'cost', value: -1, is_primary: false, reward_index: 2 },
    ]);
  });

  it('takes the first dimension as primary when none is named, and refuses bad rewards', async () => {
    const run = ids('first-primary');
    await rollout(async () => {
      emitReward({ dimensions: { accuracy: 1, brevity: 0.25 } });
      assert.throws(() => emitReward(Number.NaN), TypeError);
      assert.throws(() => emitReward({ primary: 'missing', dimensions: { a: 1 } }), /primary/);
      assert.throws(() => emitReward({ dimensions: {} }), TypeError);
    }).run({}, run);
    const rewards = await rewardsOf(run.rolloutId);
    assert.deepEqual(rewards.map((row) => [row.name, row.value, row.is_primary]), [['accuracy', 1, true], ['brevity', 0.25, false]]);
  });

  it('records emitAnnotation attributes flattened', async () => {
    const run = ids('annotation');
    await rollout(async () => {
      emitAnnotation({ 'agentlightning.tag': ['fast', 'correct'], meta: { judge: 'sim', round: 2 } });
    }).run({}, run);
    const annotation = (await spansOf(run.rolloutId)).find((row) => row.name === 'agentlightning.annotation')!;
    const attributes = attributesOf(annotation);
    assert.deepEqual(attributes['agentlightning.tag'], ['fast', 'correct']);
    assert.equal(attributes['meta.judge'], 'sim');
    assert.equal(attributes['meta.round'], 2);
  });
});

describe('exceptions', () => {
  it('records a thrown error as an agentlightning.exception span and rethrows it', async () => {
    const run = ids('throw');
    const error = new RangeError('the tool failed');
    await assert.rejects(
      rollout(async () => {
        await sleep(1);
        throw error;
      }).run({}, run),
      (thrown) => thrown === error,
    );
    const rows = await spansOf(run.rolloutId);
    const exception = rows.find((row) => row.name === 'agentlightning.exception')!;
    assert.ok(exception, 'no exception span');
    const attributes = attributesOf(exception);
    assert.equal(attributes['exception.type'], 'RangeError');
    assert.equal(attributes['exception.message'], 'the tool failed');
    assert.match(String(attributes['exception.stacktrace']), /the tool failed/);
    assert.equal(exception.status_code, 'ERROR');
    assert.equal(exception.parent_span_id, rows[0].span_id);
    assert.equal(rows[0].name, 'agentlightning.rollout');
    assert.equal(rows[0].status_code, 'ERROR');
    assert.equal(rows[0].status_message, 'the tool failed');
  });

  it('emitException records non-Error values too', async () => {
    const run = ids('emit-exception');
    await rollout(async () => {
      emitException('plain string');
    }).run({}, run);
    const exception = (await spansOf(run.rolloutId)).find((row) => row.name === 'agentlightning.exception')!;
    assert.equal(attributesOf(exception)['exception.message'], '"plain string"');
  });
});
