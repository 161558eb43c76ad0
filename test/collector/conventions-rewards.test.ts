import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryRows } from '../helpers/collector.ts';
import { collector, sent, useConventionCollector } from './conventions-fixtures.ts';

/**
 * Each convention end to end (spans and rewards): spans with attributes as each instrumentation
 * library emits them, made by the official OpenTelemetry SDK, sent by the official OTLP/protobuf
 * exporter, read back through the `rewards` and `llm_calls` views (`conventions-fixtures.ts` sends
 * them all).
 */

useConventionCollector();

describe('conventions end to end: official SDK → OTLP/protobuf → rewards and llm_calls', () => {
  async function rewards(key: string) {
    const span = sent.get(key);
    assert.ok(span, key);
    return queryRows(
      collector,
      `SELECT rollout_id, attempt_id, name, value, is_primary, reward_index FROM rewards
       WHERE span_id = '${span.spanId}' ORDER BY reward_index`,
    );
  }

  it('stores every span, with or without rollout ids', async () => {
    const rows = await queryRows(collector, 'SELECT span_id, rollout_id, service_name FROM spans ORDER BY span_id');
    assert.equal(rows.length, sent.size);
    const bySpanId = new Map(rows.map((row) => [row.span_id, row]));
    for (const [key, span] of sent) assert.ok(bySpanId.has(span.spanId), `${key} stored`);
    const noIds = bySpanId.get(sent.get('no-ids-http')!.spanId);
    assert.deepEqual(noIds, { span_id: sent.get('no-ids-http')!.spanId, rollout_id: null, service_name: 'plain-service' });
  });

  it('agentlightning: a multi-dimensional reward with index 0 primary', async () => {
    assert.deepEqual(await rewards('multi-reward'), [
      { rollout_id: 'ro-1', attempt_id: 'at-1', name: 'task_completion', value: 1, is_primary: true, reward_index: 0 },
      { rollout_id: 'ro-1', attempt_id: 'at-1', name: 'efficiency', value: 0.8, is_primary: false, reward_index: 1 },
      { rollout_id: 'ro-1', attempt_id: 'at-1', name: 'latency', value: -0.2, is_primary: false, reward_index: 2 },
    ]);
    const [span] = await queryRows(collector, `SELECT sequence_id FROM spans WHERE span_id = '${sent.get('multi-reward')!.spanId}'`);
    assert.equal(span.sequence_id, 7);
  });

  it('agentlightning: the plain `reward` attribute and AgentOps reward JSON', async () => {
    assert.deepEqual(await rewards('plain-reward'), [
      { rollout_id: 'ro-2', attempt_id: 'at-2', name: 'primary', value: 0.5, is_primary: true, reward_index: 0 },
    ]);
    assert.deepEqual(await rewards('agentops-reward'), [
      { rollout_id: 'ro-3', attempt_id: 'at-1', name: 'primary', value: 0.25, is_primary: true, reward_index: 0 },
    ]);
    assert.deepEqual(await rewards('not-a-reward'), []);
    const [count] = await queryRows(collector, 'SELECT count(*) AS n FROM rewards');
    assert.equal(count.n, 5);
  });
});
