import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Collector } from '../../collector/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import type { AttemptedRollout } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

let collector: Collector;
let client: StoreClient;

before(async () => {
  collector = await startTestCollector({ watchdogIntervalMillis: 25 });
  client = new StoreClient({ baseUrl: collector.url });
});
after(() => collector.close());

/** Sends `count` spans for an attempt with the official SDK and OTLP/protobuf exporter. */
async function sendSpans(rollout: AttemptedRollout, count: number, sequenceStart = 1): Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'agent',
      'agentlightning.rollout_id': rollout.rollout_id,
      'agentlightning.attempt_id': rollout.attempt.attempt_id,
    }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))],
  });
  const tracer = provider.getTracer('test');
  for (let index = 0; index < count; index++) {
    tracer.startSpan(`step-${index}`, { attributes: { 'agentlightning.span_sequence_id': sequenceStart + index } }).end();
  }
  await provider.forceFlush();
  await provider.shutdown();
}

/** Polls (test-side only) until `check` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('spans over OTLP as attempt heartbeats', () => {
  it('the first span moves the attempt and its rollout to running; later ones refresh the heartbeat', async () => {
    // 2 s: far above any pause of a loaded CI machine, so only real silence makes it unresponsive.
    const [rollout] = await client.enqueueRollouts([{ input: 'otlp', config: { unresponsive_seconds: 2 } }]);
    const [taken] = await client.dequeueRollouts({ workerId: 'w-otlp' });
    assert.equal(taken.rollout_id, rollout.rollout_id);
    assert.equal(taken.attempt.status, 'preparing');

    await sendSpans(taken, 2);
    await eventually(async () => (await client.getLatestAttempt(taken.rollout_id))!.status === 'running', 'running');
    const first = (await client.getLatestAttempt(taken.rollout_id))!;
    assert.ok(first.last_heartbeat_time! > taken.attempt.start_time);
    assert.equal((await client.getRollout(taken.rollout_id))!.status, 'running');
    // Sequence ids seen over OTLP are never issued again.
    assert.equal(await client.getNextSpanSequenceId(taken.rollout_id, taken.attempt.attempt_id), 3);

    // Spans keep arriving for longer than unresponsive_seconds: still running.
    for (let round = 0; round < 5; round++) {
      await sleep(500);
      await sendSpans(taken, 1, 10 + round);
    }
    const later = (await client.getLatestAttempt(taken.rollout_id))!;
    assert.equal(later.status, 'running');
    assert.ok(later.last_heartbeat_time! > first.last_heartbeat_time!);
    const spans = await client.querySpans({ rolloutId: taken.rollout_id, attemptId: 'latest', sortBy: 'sequence_id' });
    assert.equal(spans.total, 7);
    assert.deepEqual(spans.items.map((span) => span.sequence_id), [1, 2, 10, 11, 12, 13, 14]);

    // Then silence: the watchdog marks it unresponsive and fails the rollout (no retries).
    const [done] = await client.waitForRollouts([taken.rollout_id], { timeoutSeconds: 10 });
    assert.equal(done.status, 'failed');
    assert.equal((await client.getLatestAttempt(taken.rollout_id))!.status, 'unresponsive');
  });

  it('spans revive an unresponsive attempt when it is still the latest', async () => {
    const taken = await client.startRollout({ input: 'revive', config: { unresponsive_seconds: 0.3, max_attempts: 3, retry_condition: ['unresponsive'] } });
    await eventually(async () => (await client.getRollout(taken.rollout_id))!.status === 'requeuing', 'requeuing');
    await sendSpans(taken, 1);
    await eventually(async () => (await client.getLatestAttempt(taken.rollout_id))!.status === 'running', 'revived');
    assert.equal((await client.getRollout(taken.rollout_id))!.status, 'running');
    await client.updateAttempt(taken.rollout_id, 'latest', { status: 'succeeded' });
    assert.equal((await client.getRollout(taken.rollout_id))!.status, 'succeeded');
  });

  it('spans of unknown rollouts are stored and change nothing', async () => {
    await sendSpans({ rollout_id: 'ro-unknown', attempt: { attempt_id: 'at-unknown' } } as AttemptedRollout, 1);
    const spans = await client.querySpans({ rolloutId: 'ro-unknown' });
    assert.equal(spans.total, 1);
    assert.equal(await client.getRollout('ro-unknown'), null);
  });
});
