import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { Json } from '@duckdb/node-api';
import type { Collector } from '../../collector/index.ts';
import { AgentResources, LitAgent, PromptTemplate, rollout } from '../../src/agent/index.ts';
import type { RolloutContext } from '../../src/agent/index.ts';
import {
  currentRollout,
  emitAnnotation,
  emitException,
  emitMessage,
  emitObject,
  emitReward,
  operation,
  resolveTracesEndpoint,
  setupTracing,
  withOperation,
} from '../../src/tracing/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * The tracing SDK end to end: agents run through `rollout()` / `LitAgent`, spans exported by the
 * official OTLP/protobuf exporter to a real collector, and read back from DuckDB.
 */

let collector: Collector;
let tracer: OtelTracer;

before(async () => {
  collector = await startTestCollector();
  tracer = setupTracing({ endpoint: collector.url, serviceName: 'tracing-test', batch: { scheduledDelayMillis: 50 } });
});
after(async () => {
  await tracer.shutdown();
  await collector.close();
});

let counter = 0;
/** Fresh ids for one run. */
function ids(prefix: string): { rolloutId: string; attemptId: string } {
  counter++;
  return { rolloutId: `ro-${prefix}-${counter}`, attemptId: `at-${prefix}-${counter}` };
}

type Row = Record<string, Json>;

/** Spans of a rollout, in sequence order, after flushing the exporter. */
async function spansOf(rolloutId: string): Promise<Row[]> {
  await tracer.forceFlush();
  return queryRows(
    collector,
    `SELECT span_id, parent_span_id, trace_id, name, status_code, status_message, attributes, rollout_id, attempt_id, sequence_id, scope_name, service_name, events
     FROM spans WHERE rollout_id = '${rolloutId}' ORDER BY sequence_id`,
  );
}

function attributesOf(row: Row): Record<string, Json> {
  return (typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes) as Record<string, Json>;
}

/** "Another library": starts spans through the plain OpenTelemetry API, knowing nothing of rollouts. */
const otherLibrary = {
  async call(label: string): Promise<string> {
    return trace.getTracer('other-library').startActiveSpan('library.call', async (span) => {
      await sleep(1);
      const inner = await this.nested(label);
      span.end();
      return inner;
    });
  },
  async nested(label: string): Promise<string> {
    const span = trace.getTracer('other-library').startSpan('library.nested', { attributes: { label } });
    await sleep(1);
    span.end();
    return label.toUpperCase();
  },
};

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

describe('agents', () => {
  it('gives a function agent its prompt template and LLM from the store JSON', async () => {
    const run = ids('resources');
    let seen: { prompt: string; model: string; resourcesId: string | null } | undefined;
    const agent = rollout(async (task: { guests: number }, resources: AgentResources) => {
      seen = { prompt: resources.prompt.format(task), model: resources.llm.model, resourcesId: resources.resourcesId };
    });
    await agent.run(
      { guests: 3 },
      {
        ...run,
        resourcesId: 'rs-1',
        resources: {
          prompt_template: { resource_type: 'prompt_template', template: 'Book for {guests} people', engine: 'f-string' },
          main_llm: { resource_type: 'llm', endpoint: 'http://127.0.0.1:9/v1', model: 'sim-1', sampling_parameters: { temperature: 0 } },
        },
      },
    );
    assert.deepEqual(seen, { prompt: 'Book for 3 people', model: 'sim-1', resourcesId: 'rs-1' });
  });

  it('takes the form of DESIGN.md, rollout(async (task, prompt: PromptTemplate) => …), the resources standing for their prompt', async () => {
    const run = ids('prompt-form');
    let seen: string[] = [];
    const agent = rollout(async (task: { guests: number }, prompt: PromptTemplate) => {
      seen = [prompt.format(task), prompt.template, prompt.engine, prompt.withTemplate('{guests}!').format(task)];
      return 1;
    });
    await agent.run(
      { guests: 3 },
      { ...run, resources: { prompt_template: { resource_type: 'prompt_template', template: 'Book for {guests} people', engine: 'f-string' } } },
    );
    assert.deepEqual(seen, ['Book for 3 people', 'Book for {guests} people', 'f-string', '3!']);
    const none = rollout(async (_task: unknown, prompt: PromptTemplate) => prompt.format());
    await assert.rejects(none.run({}, { ...ids('no-prompt'), resources: {} }), /hold no prompt template/);
  });

  it('LitAgent dispatches by mode and records the mode on the rollout span', async () => {
    const calls: string[] = [];
    class ModeAgent extends LitAgent<string> {
      override rollout(task: string, _resources: AgentResources, context: RolloutContext) {
        calls.push(`rollout:${task}:${context.mode}`);
        return 0;
      }
      override trainingRollout(task: string) {
        calls.push(`train:${task}`);
        return 1;
      }
      override validationRollout(task: string, resources: AgentResources) {
        calls.push(`val:${task}:${resources.prompt.template}`);
        return 0.5;
      }
    }
    const agent = new ModeAgent();
    const train = ids('mode');
    const val = ids('mode');
    assert.equal((await agent.run('t1', { ...train, mode: 'train' })).reward, 1);
    assert.equal((await agent.run('t2', { ...val, mode: 'val', resources: { p: new PromptTemplate('hello') } })).reward, 0.5);
    assert.equal((await agent.run('t3', ids('mode'))).reward, 0);
    assert.deepEqual(calls, ['train:t1', 'val:t2:hello', 'rollout:t3:null']);
    const [root] = await spansOf(train.rolloutId);
    assert.equal(attributesOf(root)['agentlightning.rollout.mode'], 'train');
  });

  it('a LitAgent without rollout() fails the attempt with a clear error', async () => {
    await assert.rejects(new LitAgent().run('x', ids('empty')), /does not implement rollout/);
  });
});

describe('setup', () => {
  it('resolves the traces endpoint from the option, then the standard variables', () => {
    assert.equal(resolveTracesEndpoint('http://host:1/'), 'http://host:1/v1/traces');
    assert.equal(resolveTracesEndpoint('http://host:1/v1/traces'), 'http://host:1/v1/traces');
    assert.throws(() => resolveTracesEndpoint('host:1'), TypeError);
    const saved = { traces: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, base: process.env.OTEL_EXPORTER_OTLP_ENDPOINT };
    try {
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://base:2';
      assert.equal(resolveTracesEndpoint(), 'http://base:2/v1/traces');
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://traces:3/custom';
      assert.equal(resolveTracesEndpoint(), 'http://traces:3/custom');
    } finally {
      for (const [key, value] of [['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', saved.traces], ['OTEL_EXPORTER_OTLP_ENDPOINT', saved.base]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses a second global tracer while one is set up', () => {
    assert.throws(() => setupTracing({ endpoint: collector.url }), /already set up/);
  });

  it('sends the bearer token to a collector that requires one', async () => {
    const guarded = await startTestCollector({ token: 'secret-token' });
    try {
      for (const token of ['secret-token', 'wrong-token']) {
        const local = setupTracing({ endpoint: guarded.url, token, registerGlobal: false });
        local.getTracer().startSpan(`with-${token}`).end();
        await local.forceFlush().catch(() => undefined);
        await local.shutdown();
      }
      const rows = await queryRows(guarded, 'SELECT name FROM spans ORDER BY name');
      assert.deepEqual(rows, [{ name: 'with-secret-token' }]);
    } finally {
      await guarded.close();
    }
  });
});
