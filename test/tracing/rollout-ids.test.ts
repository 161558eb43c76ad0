import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { rollout } from '../../src/agent/index.ts';
import { currentRollout } from '../../src/tracing/index.ts';
import { queryRows } from '../helpers/collector.ts';
import { collector, ids, otherLibrary, spansOf, tracer, useTracingCollector } from './tracing-harness.ts';
import type { Row } from './tracing-harness.ts';

/**
 * The tracing SDK end to end (rollout ids on spans): agents run through `rollout()` / `LitAgent`,
 * spans exported by the official OTLP/protobuf exporter to a real collector, and read back from
 * DuckDB.
 */

useTracingCollector();

describe('rollout ids on spans', () => {
  it('stamps spans from the plain OTel API and from a nested library call, and no others', async () => {
    const run = ids('plain');
    const agent = rollout(async (task: { word: string }) => {
      trace.getTracer('plain-api').startSpan('plain.span').end();
      assert.deepEqual(currentRollout(), run);
      return otherLibrary.call(task.word);
    });
    const outcome = await agent.run({ word: 'hi' }, run);
    assert.deepEqual(outcome, { output: 'HI', reward: null });
    trace.getTracer('plain-api').startSpan('outside.any.rollout').end();
    assert.equal(currentRollout(), undefined);

    const rows = await spansOf(run.rolloutId);
    assert.deepEqual(
      rows.map((row) => [row.name, row.attempt_id, row.sequence_id]),
      [
        ['agentlightning.rollout', run.attemptId, 1],
        ['plain.span', run.attemptId, 2],
        ['library.call', run.attemptId, 3],
        ['library.nested', run.attemptId, 4],
      ],
    );
    const byName = new Map(rows.map((row) => [row.name, row]));
    assert.equal(byName.get('library.nested')!.parent_span_id, byName.get('library.call')!.span_id);
    assert.equal(byName.get('library.call')!.parent_span_id, byName.get('agentlightning.rollout')!.span_id);
    assert.equal(byName.get('agentlightning.rollout')!.parent_span_id, null);
    assert.ok(rows.every((row) => row.trace_id === rows[0].trace_id));
    assert.equal(byName.get('library.call')!.scope_name, 'other-library');
    assert.equal(byName.get('plain.span')!.service_name, 'tracing-test');

    const outside = await queryRows(collector, `SELECT rollout_id, attempt_id, sequence_id FROM spans WHERE name = 'outside.any.rollout'`);
    assert.deepEqual(outside, [{ rollout_id: null, attempt_id: null, sequence_id: null }]);
  });

  it('stamps a span whose library built its context from the parent span alone', async () => {
    const run = ids('detached');
    await rollout(async () => {
      const parent = trace.getActiveSpan()!;
      // A context without the rollout scope, holding only the parent span (as some libraries do).
      trace.getTracer('detached').startSpan('detached.child', {}, trace.setSpan(ROOT_CONTEXT, parent)).end();
      await context.with(ROOT_CONTEXT, async () => trace.getTracer('detached').startSpan('root.context.span').end());
    }).run(undefined, run);
    const rows = await spansOf(run.rolloutId);
    assert.deepEqual(rows.map((row) => row.name), ['agentlightning.rollout', 'detached.child']);
    const [unattributed] = await queryRows(collector, `SELECT rollout_id FROM spans WHERE name = 'root.context.span'`);
    assert.equal(unattributed.rollout_id, null);
  });

  it('keeps 20 concurrent rollouts apart, with sequence ids increasing per rollout', async () => {
    const prefix = `conc-${Date.now()}`;
    const runs = Array.from({ length: 20 }, (_, index) => ({ rolloutId: `${prefix}-r${index}`, attemptId: `${prefix}-a${index}` }));
    const steps = 6;
    const agent = rollout(async (task: { owner: string }) => {
      const libraryTracer = trace.getTracer('concurrent-library');
      for (let step = 0; step < steps; step++) {
        await sleep(Math.floor(Math.random() * 4));
        await libraryTracer.startActiveSpan('step', { attributes: { owner: task.owner, step } }, async (span) => {
          await sleep(Math.floor(Math.random() * 3));
          libraryTracer.startSpan('step.child', { attributes: { owner: task.owner, step } }).end();
          span.end();
        });
      }
      return 1;
    });
    await Promise.all(runs.map((run) => agent.run({ owner: run.rolloutId }, run)));
    await tracer.forceFlush();

    const rows = await queryRows(
      collector,
      `SELECT rollout_id, attempt_id, sequence_id::INTEGER AS sequence, name, attributes->>'owner' AS owner, (attributes->>'step')::INTEGER AS step
       FROM spans WHERE rollout_id LIKE '${prefix}-%' ORDER BY rollout_id, sequence`,
    );
    const spansPerRollout = 1 + steps * 2 + 1; // rollout span, steps with a child each, reward
    assert.equal(rows.length, runs.length * spansPerRollout);
    const groups = new Map<string, Row[]>();
    for (const row of rows) groups.set(row.rollout_id as string, [...(groups.get(row.rollout_id as string) ?? []), row]);
    assert.equal(groups.size, runs.length);
    for (const run of runs) {
      const group = groups.get(run.rolloutId)!;
      assert.ok(group.every((row) => row.attempt_id === run.attemptId), `attempt ids of ${run.rolloutId}`);
      assert.ok(group.every((row) => row.owner === null || row.owner === run.rolloutId), `a span of another rollout in ${run.rolloutId}`);
      assert.deepEqual(group.map((row) => row.sequence), Array.from({ length: spansPerRollout }, (_, index) => index + 1));
      // In sequence order, steps never go back: sequence ids follow the order spans were started.
      const stepOrder = group.filter((row) => row.step !== null).map((row) => row.step as number);
      assert.deepEqual(stepOrder, [...stepOrder].sort((a, b) => a - b));
      assert.deepEqual(group.map((row) => row.name).slice(0, 3), ['agentlightning.rollout', 'step', 'step.child']);
    }
  });
});
