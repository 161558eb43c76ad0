import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Collector } from '../../collector/index.ts';
import { SCHEMA_VERSION } from '../../src/storage/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Stop a collector, start a new one on the same DuckDB file: every row is still there, exactly,
 * and new spans add to them.
 */

/** Sends `rollouts` rollouts (agent span, LLM call, reward) through the official protobuf exporter. */
async function sendRollouts(collector: Collector, tag: string, rollouts: number): Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `restart-${tag}` }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }), { maxExportBatchSize: 16 })],
  });
  const tracer = provider.getTracer('restart-test', '1.0.0');
  for (let index = 0; index < rollouts; index++) {
    const ids = { 'agentlightning.rollout_id': `ro-${tag}-${index}`, 'agentlightning.attempt_id': `at-${tag}-${index}` };
    const agent = tracer.startSpan('agent.run', { attributes: { ...ids, step: index } });
    const context = trace.setSpan(ROOT_CONTEXT, agent);
    const llm = tracer.startSpan(
      'chat m1',
      {
        attributes: {
          ...ids,
          'agentlightning.span_sequence_id': 1,
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'm1',
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `task ${index}` }] }]),
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `answer ${index}` }] }]),
          'gen_ai.usage.input_tokens': 10 + index,
          'gen_ai.usage.output_tokens': 2,
        },
      },
      context,
    );
    llm.addEvent('token', { n: index });
    llm.end();
    const reward = tracer.startSpan(
      'agentlightning.annotation',
      { attributes: { ...ids, 'agentlightning.reward.0.name': 'score', 'agentlightning.reward.0.value': index / 10 } },
      context,
    );
    reward.end();
    agent.setStatus({ code: SpanStatusCode.OK });
    agent.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
}

async function snapshot(collector: Collector) {
  return {
    spans: await queryRows(collector, 'SELECT * FROM spans ORDER BY trace_id, span_id'),
    rewards: await queryRows(collector, 'SELECT * FROM rewards ORDER BY span_id'),
    llmCalls: await queryRows(collector, 'SELECT * FROM llm_calls ORDER BY span_id'),
    migrations: await queryRows(collector, 'SELECT version, description, applied_at FROM schema_migrations ORDER BY version'),
  };
}

describe('collector restart on the same file', () => {
  it('keeps every row exactly, and adds new spans to them', async () => {
    const dbPath = join(tempDir(), 'restart.duckdb');

    const first = await startTestCollector({ dbPath });
    let before;
    try {
      await sendRollouts(first, 'a', 20);
      before = await snapshot(first);
    } finally {
      await first.close();
    }
    assert.equal(before.spans.length, 60);
    assert.equal(before.rewards.length, 20);
    assert.equal(before.llmCalls.length, 20);
    assert.equal(before.migrations.length, SCHEMA_VERSION);
    // The rows hold real content (not just counts) to compare after the restart.
    const llm = before.llmCalls.find((row) => row.rollout_id === 'ro-a-3');
    assert.deepEqual(llm?.input_messages, [{ role: 'user', content: 'task 3' }]);
    assert.equal(llm?.input_tokens, 13);

    const second = await startTestCollector({ dbPath });
    try {
      const after = await snapshot(second);
      assert.deepEqual(after, before, 'every row and the schema history are unchanged');

      await sendRollouts(second, 'b', 5);
      const [counts] = await queryRows(
        second,
        `SELECT (SELECT count(*) FROM spans) AS spans, (SELECT count(*) FROM rewards) AS rewards,
                (SELECT count(*) FROM llm_calls) AS llm_calls,
                (SELECT count(DISTINCT rollout_id) FROM spans) AS rollouts,
                (SELECT count(*) FROM spans WHERE service_name = 'restart-b') AS new_spans`,
      );
      assert.deepEqual(counts, { spans: 75, rewards: 25, llm_calls: 25, rollouts: 25, new_spans: 15 });
      // The old rows are untouched by the new writes.
      const old = await queryRows(second, "SELECT * FROM spans WHERE service_name = 'restart-a' ORDER BY trace_id, span_id");
      assert.deepEqual(old, before.spans);
    } finally {
      await second.close();
    }

    // A third start sees both generations.
    const third = await startTestCollector({ dbPath });
    try {
      const [row] = await queryRows(third, 'SELECT count(*) AS n, sum(value) AS total FROM rewards');
      assert.equal(row.n, 25);
      // 0/10 + … + 19/10 = 19, plus 0/10 + … + 4/10 = 1.
      assert.ok(Math.abs(Number(row.total) - 20) < 1e-9, String(row.total));
    } finally {
      await third.close();
    }
  });
});
