import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGL_ATTEMPT_ID, AGL_ROLLOUT_ID, AGL_SPAN_SEQUENCE_ID, mapSpan } from '../../src/semconv/index.ts';
import { makeSpan } from './span-fixtures.ts';

describe('mapSpan: rollout ids and service', () => {
  it('reads the ids and service.name from the resource', () => {
    const mapping = mapSpan(
      makeSpan({
        resource: {
          'service.name': 'room-selector',
          [AGL_ROLLOUT_ID]: 'ro-1',
          [AGL_ATTEMPT_ID]: 'at-1',
          [AGL_SPAN_SEQUENCE_ID]: 3,
        },
      }),
    );
    assert.deepEqual(mapping, {
      rolloutId: 'ro-1',
      attemptId: 'at-1',
      sequenceId: 3,
      serviceName: 'room-selector',
      rewards: [],
      llmCall: null,
    });
  });

  it('lets span attributes override the resource ones, each on its own', () => {
    const resource = { 'service.name': 'svc', [AGL_ROLLOUT_ID]: 'ro-res', [AGL_ATTEMPT_ID]: 'at-res', [AGL_SPAN_SEQUENCE_ID]: 1 };
    const overridden = mapSpan(makeSpan({ resource, attributes: { [AGL_ROLLOUT_ID]: 'ro-span', [AGL_SPAN_SEQUENCE_ID]: 7 } }));
    assert.equal(overridden.rolloutId, 'ro-span');
    assert.equal(overridden.attemptId, 'at-res');
    assert.equal(overridden.sequenceId, 7);
    // The same resource object again (the mapper caches per resource object): still the resource values.
    const plain = mapSpan(makeSpan({ resource }));
    assert.equal(plain.rolloutId, 'ro-res');
    assert.equal(plain.sequenceId, 1);
  });

  it('reads a span-only rollout without resource ids', () => {
    const mapping = mapSpan(
      makeSpan({ resource: {}, attributes: { [AGL_ROLLOUT_ID]: 'ro-9', [AGL_ATTEMPT_ID]: 'at-9', [AGL_SPAN_SEQUENCE_ID]: 0 } }),
    );
    assert.equal(mapping.rolloutId, 'ro-9');
    assert.equal(mapping.attemptId, 'at-9');
    assert.equal(mapping.sequenceId, 0);
    assert.equal(mapping.serviceName, null);
  });

  it('accepts the sequence id as an int, a string or a bigint', () => {
    for (const [raw, expected] of [
      [5, 5],
      ['12', 12],
      [' 42 ', 42],
      [9007199254740993n, 9007199254740992],
      [123n, 123],
    ] as const) {
      assert.equal(mapSpan(makeSpan({ attributes: { [AGL_SPAN_SEQUENCE_ID]: raw } })).sequenceId, expected, String(raw));
    }
  });

  it('treats unreadable span values as absent, falling back to the resource', () => {
    const resource = { [AGL_ROLLOUT_ID]: 'ro-res', [AGL_ATTEMPT_ID]: 'at-res', [AGL_SPAN_SEQUENCE_ID]: '4' };
    const mapping = mapSpan(
      makeSpan({
        resource,
        attributes: { [AGL_ROLLOUT_ID]: '', [AGL_ATTEMPT_ID]: null, [AGL_SPAN_SEQUENCE_ID]: 'four' },
      }),
    );
    assert.equal(mapping.rolloutId, 'ro-res');
    assert.equal(mapping.attemptId, 'at-res');
    assert.equal(mapping.sequenceId, 4);
    for (const bad of [2.5, 'x1', true, [1], { value: 1 }, new Uint8Array([1]), Number.NaN]) {
      assert.equal(mapSpan(makeSpan({ resource: {}, attributes: { [AGL_SPAN_SEQUENCE_ID]: bad as never } })).sequenceId, null);
    }
  });

  it('writes numeric ids as strings', () => {
    const mapping = mapSpan(makeSpan({ attributes: { [AGL_ROLLOUT_ID]: 17, [AGL_ATTEMPT_ID]: 18n } }));
    assert.equal(mapping.rolloutId, '17');
    assert.equal(mapping.attemptId, '18');
  });

  it('maps a span with no convention at all to nulls and no rewards', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'GET /rooms',
        resource: {},
        attributes: {
          'http.request.method': 'GET',
          'url.full': 'http://localhost:8080/rooms',
          'http.response.status_code': 200,
          'server.port': 8080,
          'ai_feature.enabled': true,
          'agent.name': 'x',
          'rewarded': 1,
          'llmish': 'no',
          'gen_ai': 'not a prefix',
        },
      }),
    );
    assert.deepEqual(mapping, {
      rolloutId: null,
      attemptId: null,
      sequenceId: null,
      serviceName: null,
      rewards: [],
      llmCall: null,
    });
  });

  it('ignores other agentlightning.* attributes for the ids', () => {
    const mapping = mapSpan(
      makeSpan({
        name: 'agentlightning.message',
        attributes: { 'agentlightning.message.body': 'hello', 'agentlightning.tag.0': 'fast' },
      }),
    );
    assert.equal(mapping.rolloutId, null);
    assert.deepEqual(mapping.rewards, []);
    assert.equal(mapping.llmCall, null);
    assert.equal(mapping.serviceName, 'test-agent');
  });
});
