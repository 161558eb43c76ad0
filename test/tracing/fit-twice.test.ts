import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import type { Collector } from '../../collector/index.ts';
import { PromptTemplate } from '../../src/agent/index.ts';
import { Baseline } from '../../src/algorithm/index.ts';
import type { BaselineResult } from '../../src/algorithm/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { setupTracing } from '../../src/tracing/index.ts';
import { Trainer } from '../../src/trainer/index.ts';
import { BASELINE_PROMPT, createRoomSelectorAgent } from '../../examples/room-selector/room-agent.ts';
import { VAL_TASKS } from '../../examples/room-selector/room-data.ts';
import type { RoomTask } from '../../examples/room-selector/room-data.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * Tracing setups one after another in one process, and two `Trainer.fit` calls: the room selector
 * keeps a module-level tracer (`trace.getTracer(...)` at import, the usual OpenTelemetry pattern),
 * and each fit sets up and shuts down its own tracing. Both fits must record every LLM call of
 * every rollout.
 */

let sim: SimLlmServer;
let collector: Collector;
before(async () => {
  sim = await SimLlmServer.start({ port: 0, seed: 0, latencyMillis: 0 });
  collector = await startTestCollector();
});
after(async () => {
  await collector.close();
  await sim.close();
});

/** LLM calls per rollout of `rolloutIds`, once the collector has stored them (they arrive over OTLP). */
async function llmCallsPerRollout(rolloutIds: string[], expectedTotal: number): Promise<Map<string, number>> {
  const list = rolloutIds.map((id) => `'${id}'`).join(', ');
  let rows: Record<string, unknown>[] = [];
  for (let tries = 0; tries < 100; tries++) {
    rows = await queryRows(collector, `SELECT rollout_id, count(*)::INTEGER AS calls FROM llm_calls WHERE rollout_id IN (${list}) GROUP BY rollout_id`);
    if (rows.reduce((sum, row) => sum + Number(row.calls), 0) >= expectedTotal) break;
    await sleep(50);
  }
  return new Map(rows.map((row) => [String(row.rollout_id), Number(row.calls)]));
}

describe('setups one after another in one process', () => {
  it('a tracer kept from trace.getTracer() records into each setup in turn, with that setup\'s service name', async () => {
    const first = setupTracing({ endpoint: collector.url, serviceName: 'first-setup', batch: { scheduledDelayMillis: 10 } });
    const kept = trace.getTracer('kept-tracer');
    kept.startSpan('in-first').end();
    await first.shutdown();
    kept.startSpan('between-setups').end(); // no setup: goes nowhere
    const second = setupTracing({ endpoint: collector.url, serviceName: 'second-setup', batch: { scheduledDelayMillis: 10 } });
    assert.equal(second.joined, false, 'the first setup ended: a new one starts');
    kept.startActiveSpan('in-second', (span) => span.end());
    await second.shutdown();
    const rows = await queryRows(collector, `SELECT name, service_name FROM spans WHERE scope_name = 'kept-tracer' ORDER BY name`);
    assert.deepEqual(rows, [
      { name: 'in-first', service_name: 'first-setup' },
      { name: 'in-second', service_name: 'second-setup' },
    ]);
  });
});

describe('Trainer.fit twice in one process', () => {
  it('records every LLM call of both fits (module-level tracer of the agent)', async () => {
    const tasks = VAL_TASKS.slice(0, 6);
    const agent = createRoomSelectorAgent({ openai: new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' }) });
    const counts: number[] = [];
    for (let fit = 0; fit < 2; fit++) {
      const trainer = new Trainer<RoomTask, BaselineResult<RoomTask>>({
        algorithm: new Baseline(),
        nRunners: 3,
        store: collector.url,
        initialResources: { prompt_template: new PromptTemplate(BASELINE_PROMPT) },
        runner: { minPollIntervalMillis: 5, maxPollIntervalMillis: 50 },
        logger: createLogger('silent'),
      });
      const result = await trainer.fit(agent, { valDataset: tasks });
      assert.equal(result.succeeded, tasks.length, `fit ${fit + 1}: every rollout succeeded`);
      const ids = result.tasks.map((task) => task.rolloutId);
      // The agent asks for the tool, then answers: two model calls per rollout.
      const perRollout = await llmCallsPerRollout(ids, 2 * tasks.length);
      assert.deepEqual(
        ids.map((id) => perRollout.get(id) ?? 0),
        ids.map(() => 2),
        `fit ${fit + 1}: llm_calls rows per rollout`,
      );
      counts.push([...perRollout.values()].reduce((sum, value) => sum + value, 0));
    }
    assert.deepEqual(counts, [2 * 6, 2 * 6]);
  });
});
