import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { rollout } from '../../src/agent/index.ts';
import { emitMessage, emitObject, operation, withOperation } from '../../src/tracing/index.ts';
import { attributesOf, ids, spansOf, useTracingCollector } from './tracing-harness.ts';

/**
 * The tracing SDK end to end (messages, objects and operations): agents run through `rollout()` /
 * `LitAgent`, spans exported by the official OTLP/protobuf exporter to a real collector, and read
 * back from DuckDB.
 */

useTracingCollector();

describe('messages, objects and operations', () => {
  it('emitMessage and emitObject spans carry their attributes', async () => {
    const run = ids('message');
    class Plan {
      steps = ['look', 'book'];
    }
    await rollout(async () => {
      emitMessage('thinking about rooms');
      emitObject({ room: 'A', seats: 4 });
      emitObject(42);
      emitObject(new Plan());
    }).run({}, run);
    const rows = await spansOf(run.rolloutId);
    const message = rows.find((row) => row.name === 'agentlightning.message')!;
    assert.equal(attributesOf(message)['agentlightning.message.body'], 'thinking about rooms');
    const objects = rows.filter((row) => row.name === 'agentlightning.object').map(attributesOf);
    assert.deepEqual(
      objects.map((attributes) => [attributes['agentlightning.object.type'], attributes['agentlightning.object.json'] ?? null, attributes['agentlightning.object.literal'] ?? null]),
      [
        ['object', '{"room":"A","seats":4}', null],
        ['number', null, 42],
        ['Plan', '{"steps":["look","book"]}', null],
      ],
    );
  });

  it('operation() wraps a function, recording inputs, output and nesting', async () => {
    const run = ids('operation');
    const lookup = operation('lookup', async (room: string, options: { capacity: number }) => {
      trace.getTracer('inner').startSpan('inside.lookup').end();
      return { room, free: options.capacity > 2 };
    });
    const double = operation('double', (value: number) => value * 2);
    await rollout(async () => {
      assert.deepEqual(await lookup('A', { capacity: 4 }), { room: 'A', free: true });
      assert.equal(double(21), 42);
    }).run({}, run);
    const rows = await spansOf(run.rolloutId);
    const operations = rows.filter((row) => row.name === 'agentlightning.operation');
    assert.equal(operations.length, 2);
    const [first, second] = operations.map(attributesOf);
    assert.equal(first['agentlightning.operation.name'], 'lookup');
    assert.equal(first['agentlightning.operation.input.args.0'], 'A');
    assert.equal(first['agentlightning.operation.input.args.1.capacity'], 4);
    assert.equal(first['agentlightning.operation.output.room'], 'A');
    assert.equal(first['agentlightning.operation.output.free'], true);
    assert.equal(second['agentlightning.operation.name'], 'double');
    assert.equal(second['agentlightning.operation.output'], 42);
    const inside = rows.find((row) => row.name === 'inside.lookup')!;
    assert.equal(inside.parent_span_id, operations[0].span_id);
  });

  it('withOperation() block form records setInput / setOutput, and a throw', async () => {
    const run = ids('block');
    await rollout(async () => {
      const value = await withOperation('plan', async (op) => {
        op.setInput({ question: 'which room?', limits: { seats: 3 } });
        await sleep(1);
        return 'room B';
      });
      assert.equal(value, 'room B');
      withOperation('explicit', (op) => {
        op.setOutput(['x', 'y']);
        return 'ignored';
      });
      assert.throws(() => withOperation('broken', () => {
        throw new Error('block failed');
      }), /block failed/);
    }).run({}, run);
    const operations = (await spansOf(run.rolloutId)).filter((row) => row.name === 'agentlightning.operation');
    const [plan, explicit, broken] = operations.map(attributesOf);
    assert.equal(plan['agentlightning.operation.input.question'], 'which room?');
    assert.equal(plan['agentlightning.operation.input.limits.seats'], 3);
    assert.equal(plan['agentlightning.operation.output'], 'room B');
    assert.deepEqual(explicit['agentlightning.operation.output'], ['x', 'y']);
    assert.equal(broken['agentlightning.operation.name'], 'broken');
    assert.equal(operations[2].status_code, 'ERROR');
    assert.equal(operations[2].status_message, 'block failed');
  });
});
