import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGENTOPS_ENTITY_OUTPUT,
  AGENTOPS_TASK_OUTPUT,
  AGL_ANNOTATION,
  AGL_REWARD,
  aglRewardNameAttribute,
  aglRewardValueAttribute,
  mapSpan,
} from '../../src/semconv/index.ts';
import { makeSpan } from './span-fixtures.ts';

describe('mapSpan: rewards', () => {
  it('reads a v0.3 single reward (emit_reward(0.75))', () => {
    const mapping = mapSpan(
      makeSpan({
        name: AGL_ANNOTATION,
        attributes: {
          'agentlightning.reward.0.name': 'primary',
          'agentlightning.reward.0.value': 0.75,
          'agentlightning.rollout_id': 'ro-1',
        },
      }),
    );
    assert.deepEqual(mapping.rewards, [{ name: 'primary', value: 0.75, index: 0, primary: true }]);
    assert.equal(mapping.rolloutId, 'ro-1');
    assert.equal(mapping.llmCall, null);
  });

  it('reads a multi-dimensional reward with index 0 as the primary', () => {
    const mapping = mapSpan(
      makeSpan({
        name: AGL_ANNOTATION,
        attributes: {
          // Out of order on purpose: the index decides, not the key order.
          [aglRewardNameAttribute(2)]: 'latency',
          [aglRewardValueAttribute(2)]: -0.2,
          [aglRewardNameAttribute(0)]: 'task_completion',
          [aglRewardValueAttribute(0)]: 1,
          [aglRewardNameAttribute(1)]: 'efficiency',
          [aglRewardValueAttribute(1)]: 0.8,
          'agentlightning.tag.0': 'fast',
        },
      }),
    );
    assert.deepEqual(mapping.rewards, [
      { name: 'task_completion', value: 1, index: 0, primary: true },
      { name: 'efficiency', value: 0.8, index: 1, primary: false },
      { name: 'latency', value: -0.2, index: 2, primary: false },
    ]);
  });

  it('reads values given as strings or bigints and names unnamed dimensions', () => {
    const mapping = mapSpan(
      makeSpan({
        name: AGL_REWARD,
        attributes: {
          'agentlightning.reward.0.value': '0.5',
          'agentlightning.reward.1.value': 3n,
        },
      }),
    );
    assert.deepEqual(mapping.rewards, [
      { name: 'primary', value: 0.5, index: 0, primary: true },
      { name: 'reward_1', value: 3, index: 1, primary: false },
    ]);
  });

  it('reads the reward list as one structured attribute (kvlists or JSON)', () => {
    const structured = mapSpan(
      makeSpan({
        name: AGL_ANNOTATION,
        attributes: {
          'agentlightning.reward': [
            { name: 'accuracy', value: 0.9 },
            { name: 'cost', value: -1 },
          ],
        },
      }),
    );
    assert.deepEqual(structured.rewards, [
      { name: 'accuracy', value: 0.9, index: 0, primary: true },
      { name: 'cost', value: -1, index: 1, primary: false },
    ]);
    const json = mapSpan(
      makeSpan({ name: AGL_ANNOTATION, attributes: { 'agentlightning.reward': '[{"name":"accuracy","value":0.25}]' } }),
    );
    assert.deepEqual(json.rewards, [{ name: 'accuracy', value: 0.25, index: 0, primary: true }]);
  });

  it('drops non-numeric, NaN and infinite dimensions, keeping the others', () => {
    const mapping = mapSpan(
      makeSpan({
        name: AGL_ANNOTATION,
        attributes: {
          'agentlightning.reward.0.name': 'primary',
          'agentlightning.reward.0.value': 'not a number',
          'agentlightning.reward.1.name': 'nan',
          'agentlightning.reward.1.value': Number.NaN,
          'agentlightning.reward.2.name': 'inf',
          'agentlightning.reward.2.value': Number.POSITIVE_INFINITY,
          'agentlightning.reward.3.name': 'bool',
          'agentlightning.reward.3.value': true,
          'agentlightning.reward.4.name': 'empty',
          'agentlightning.reward.4.value': '',
          'agentlightning.reward.5.name': 'ok',
          'agentlightning.reward.5.value': 0.1,
          'agentlightning.reward.x.value': 9,
        },
      }),
    );
    // The primary (index 0) was invalid: no dimension is promoted in its place.
    assert.deepEqual(mapping.rewards, [{ name: 'ok', value: 0.1, index: 5, primary: false }]);
  });

  it('reads the v0.2 plain `reward` attribute on reward and annotation spans', () => {
    for (const [name, raw, expected] of [
      [AGL_REWARD, 1, 1],
      [AGL_ANNOTATION, 0.25, 0.25],
      [AGL_REWARD, '0.5', 0.5],
      [AGL_REWARD, ' -2 ', -2],
    ] as const) {
      const mapping = mapSpan(makeSpan({ name, attributes: { reward: raw } }));
      assert.deepEqual(mapping.rewards, [{ name: 'primary', value: expected, index: 0, primary: true }], `${name} ${raw}`);
    }
    const operation = mapSpan(
      makeSpan({
        name: 'agentlightning.operation',
        attributes: { 'agentlightning.operation.name': 'agentlightning.reward', reward: 0.3 },
      }),
    );
    assert.deepEqual(operation.rewards, [{ name: 'primary', value: 0.3, index: 0, primary: true }]);
  });

  it('ignores a plain `reward` on other spans, and unreadable plain rewards', () => {
    assert.deepEqual(mapSpan(makeSpan({ name: 'grade answer', attributes: { reward: 1 } })).rewards, []);
    for (const raw of ['abc', '', Number.NaN, true, null, [1], { value: 1 }]) {
      assert.deepEqual(mapSpan(makeSpan({ name: AGL_REWARD, attributes: { reward: raw as never } })).rewards, [], String(raw));
    }
  });

  it("reads AgentOps' reward JSON, as a string or a structured value", () => {
    const asString = mapSpan(
      makeSpan({
        name: 'reward',
        attributes: {
          [AGENTOPS_TASK_OUTPUT]: '{"type": "reward", "value": 0.5}',
          'agentops.span.kind': 'task',
          'operation.name': 'agentops_reward_operation',
        },
      }),
    );
    assert.deepEqual(asString.rewards, [{ name: 'primary', value: 0.5, index: 0, primary: true }]);
    const asObject = mapSpan(makeSpan({ attributes: { [AGENTOPS_TASK_OUTPUT]: { type: 'reward', value: 1 } } }));
    assert.deepEqual(asObject.rewards, [{ name: 'primary', value: 1, index: 0, primary: true }]);
    const older = mapSpan(makeSpan({ attributes: { [AGENTOPS_ENTITY_OUTPUT]: '{"type":"reward","value":"0.125"}' } }));
    assert.deepEqual(older.rewards, [{ name: 'primary', value: 0.125, index: 0, primary: true }]);
  });

  it('ignores AgentOps outputs that are not rewards or not numeric', () => {
    for (const raw of [
      '"HELLO"',
      '{"args":["hello"]}',
      '{"type":"reward"}',
      '{"type":"reward","value":null}',
      '{"type":"reward","value":"high"}',
      '{"type": "reward", "value": 0.5',
      '',
      42,
    ]) {
      assert.deepEqual(mapSpan(makeSpan({ attributes: { [AGENTOPS_TASK_OUTPUT]: raw } })).rewards, [], String(raw));
    }
  });

  it('prefers v0.3 dimensions, then AgentOps, then the plain reward', () => {
    const all = mapSpan(
      makeSpan({
        name: AGL_REWARD,
        attributes: {
          reward: 0.1,
          [AGENTOPS_TASK_OUTPUT]: '{"type":"reward","value":0.2}',
          'agentlightning.reward.0.value': 0.3,
        },
      }),
    );
    assert.deepEqual(all.rewards, [{ name: 'primary', value: 0.3, index: 0, primary: true }]);
    const noDimensions = mapSpan(
      makeSpan({ name: AGL_REWARD, attributes: { reward: 0.1, [AGENTOPS_TASK_OUTPUT]: '{"type":"reward","value":0.2}' } }),
    );
    assert.deepEqual(noDimensions.rewards, [{ name: 'primary', value: 0.2, index: 0, primary: true }]);
    // Invalid dimensions fall through to the next form.
    const invalidDimensions = mapSpan(
      makeSpan({ name: AGL_REWARD, attributes: { reward: 0.1, 'agentlightning.reward.0.value': 'n/a' } }),
    );
    assert.deepEqual(invalidDimensions.rewards, [{ name: 'primary', value: 0.1, index: 0, primary: true }]);
  });
});
