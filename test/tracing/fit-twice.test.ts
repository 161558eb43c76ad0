import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import type { Collector } from '../../collector/index.ts';
import { PromptTemplate } from '../../src/agent/index.ts';
import { Baseline } from '../../src/algorithm/index.ts';
import type { BaselineResult } from '../../src/algorithm/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { Trainer } from '../../src/trainer/index.ts';
import { BASELINE_PROMPT, createRoomSelectorAgent } from '../../examples/room-selector/room-agent.ts';
import { VAL_TASKS } from '../../examples/room-selector/room-data.ts';
import type { RoomTask } from '../../examples/room-selector/room-data.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * Two `Trainer.fit` calls in one process: the room selector keeps a module-level tracer
 * (`trace.getTracer(...)` at import, the usual OpenTelemetry pattern), and each fit sets up and
 * shuts down its own tracing. Both fits must record every LLM call of every rollout.
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
