import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { join } from 'node:path';

/**
 * Issue 10, section 4: store semantics an Agent Lightning v0.3 client relies on, over HTTP.
 */

let collector: Collector;
before(async () => {
  collector = await startTestCollector({ dbPath: join(tempDir(), 'semantics.duckdb'), watchdogIntervalMillis: 0 });
});
after(() => collector.close());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(collector.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

interface Started {
  rollout_id: string;
  attempt: { attempt_id: string };
}

async function startRollout(config: Record<string, unknown> = {}): Promise<Started> {
  const answer = await call('POST', '/v1/agl/rollouts', { input: 'task', config });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body as Started;
}

describe('Agent Lightning store semantics', () => {
  it('GET …/attempts/latest of an unknown rollout answers 200 null', async () => {
    const answer = await call('GET', '/v1/agl/rollouts/ro-missing/attempts/latest');
    assert.deepEqual(answer, { status: 200, body: null });
  });

  it('null for a field that cannot be null answers 400 with Agent Lightning\'s message', async () => {
    const started = await startRollout();
    const attemptPath = `/v1/agl/rollouts/${started.rollout_id}/attempts/${started.attempt.attempt_id}`;
    const cases: [string, string, string][] = [
      [`/v1/agl/rollouts/${started.rollout_id}`, 'status', 'status'],
      [`/v1/agl/rollouts/${started.rollout_id}`, 'config', 'config'],
      [attemptPath, 'status', 'status'],
      [attemptPath, 'worker_id', 'worker_id'],
      [attemptPath, 'metadata', 'metadata'],
      [attemptPath, 'last_heartbeat_time', 'last_heartbeat_time'],
      ['/v1/agl/workers/w-null', 'heartbeat_stats', 'heartbeat_stats'],
    ];
    for (const [path, field] of cases) {
      const answer = await call('POST', path, { [field]: null });
      assert.equal(answer.status, 400, `${path} ${field}: ${JSON.stringify(answer.body)}`);
      assert.equal((answer.body as { detail: string }).detail, `${field} is invalid; it cannot be a null value.`);
    }
    // Nothing changed.
    const rollout = (await call('GET', `/v1/agl/rollouts/${started.rollout_id}`)).body as { status: string; config: { max_attempts: number } };
    assert.equal(rollout.status, 'preparing');
    assert.equal(rollout.config.max_attempts, 1);
    assert.equal((await call('GET', '/v1/agl/workers/w-null')).body, null);
    // Nullable fields still take null.
    assert.equal((await call('POST', `/v1/agl/rollouts/${started.rollout_id}`, { metadata: null, mode: null })).status, 200);
  });

  it('a superseded attempt\'s report is recorded on it but answers 409 and never moves the rollout', async () => {
    const started = await startRollout({ max_attempts: 2, retry_condition: ['unresponsive'] });
    const first = started.attempt.attempt_id;
    // Attempt 1 goes unresponsive; the rollout is requeued and attempt 2 starts on another worker.
    assert.equal((await call('POST', `/v1/agl/rollouts/${started.rollout_id}/attempts/${first}`, { status: 'unresponsive' })).status, 200);
    const [second] = (await call('POST', '/v1/agl/queues/rollouts/dequeue', { limit: 1, worker_id: 'w-2' })).body as Started[];
    assert.equal(second.rollout_id, started.rollout_id);
    const late = await call('POST', `/v1/agl/rollouts/${started.rollout_id}/attempts/${first}`, { status: 'succeeded' });
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.match((late.body as { detail: string }).detail, /superseded/);
    const attempts = (await call('GET', `/v1/agl/rollouts/${started.rollout_id}/attempts`)).body as { items: { attempt_id: string; status: string }[] };
    assert.deepEqual(attempts.items.map((attempt) => attempt.status), ['succeeded', 'preparing']);
    assert.equal(((await call('GET', `/v1/agl/rollouts/${started.rollout_id}`)).body as { status: string }).status, 'preparing');
    const own = await call('POST', `/v1/agl/rollouts/${started.rollout_id}/attempts/${second.attempt.attempt_id}`, { status: 'failed' });
    assert.equal(own.status, 200);
    assert.equal(((await call('GET', `/v1/agl/rollouts/${started.rollout_id}`)).body as { status: string }).status, 'failed');
    // Heartbeats and metadata of an old attempt are no report: 200.
    assert.equal((await call('POST', `/v1/agl/rollouts/${started.rollout_id}/attempts/${first}`, { metadata: { note: 'late' } })).status, 200);
  });

  it('POST /v1/agl/spans twice with the same rollout, attempt and span id stores one row and answers null the second time', async () => {
    const started = await startRollout();
    const span = {
      rollout_id: started.rollout_id,
      attempt_id: started.attempt.attempt_id,
      sequence_id: 1,
      trace_id: 'c'.repeat(32),
      span_id: 'd'.repeat(16),
      parent_id: null,
      name: 'step',
      status: { status_code: 'OK', description: null },
      attributes: { k: 'v' },
      events: [],
      links: [],
      start_time: 10,
      end_time: 11,
      context: null,
      parent: null,
      resource: { attributes: {}, schema_url: '' },
    };
    const first = await call('POST', '/v1/agl/spans', span);
    assert.equal(first.status, 201);
    assert.equal((first.body as { span_id: string }).span_id, span.span_id);
    const again = await call('POST', '/v1/agl/spans', { ...span, name: 'changed' });
    assert.deepEqual(again, { status: 201, body: null });
    // Concurrent duplicates too: one stored.
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => call('POST', '/v1/agl/spans', { ...span, span_id: 'e'.repeat(16) })));
    assert.equal(concurrent.filter((answer) => answer.body !== null).length, 1);
    const stored = (await call('GET', `/v1/agl/spans?rollout_id=${started.rollout_id}&attempt_id=${started.attempt.attempt_id}`)).body as {
      items: { span_id: string; name: string }[];
    };
    assert.deepEqual(stored.items.map((item) => [item.span_id, item.name]).sort(), [
      ['d'.repeat(16), 'step'],
      ['e'.repeat(16), 'step'],
    ]);
  });
});

describe('OTLP spans without agentlightning.span_sequence_id', () => {
  it('get their attempt\'s next sequence ids (spans and llm_calls), and /spans/next continues after them', async () => {
    const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
    const { SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const started = await startRollout();
    const ids = { 'agentlightning.rollout_id': started.rollout_id, 'agentlightning.attempt_id': started.attempt.attempt_id };
    // One id from the store first: the spans' ids follow it.
    const first = await call('POST', '/v1/agl/spans/next', { rollout_id: started.rollout_id, attempt_id: started.attempt.attempt_id });
    assert.deepEqual(first.body, { sequence_id: 1 });
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes(ids),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))],
    });
    const tracer = provider.getTracer('seq');
    for (const name of ['a', 'b']) tracer.startSpan(name).end();
    tracer.startSpan('chat m', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' } }).end();
    await provider.forceFlush();
    await provider.shutdown();
    // A span of a rollout the store does not know keeps none.
    const stranger = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'agentlightning.rollout_id': 'ro-unknown', 'agentlightning.attempt_id': 'at-unknown' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))],
    });
    stranger.getTracer('seq').startSpan('x').end();
    await stranger.shutdown();

    const spans = (await call('GET', `/v1/agl/spans?rollout_id=${started.rollout_id}&attempt_id=${started.attempt.attempt_id}`)).body as {
      items: { name: string; sequence_id: number }[];
    };
    assert.deepEqual(spans.items.map((span) => span.sequence_id).sort(), [2, 3, 4]);
    const sql = await call('POST', '/v1/agl/sql', {
      query: `SELECT (SELECT sequence_id FROM llm_calls WHERE rollout_id = '${started.rollout_id}'), (SELECT sequence_id FROM spans WHERE rollout_id = 'ro-unknown')`,
    });
    const [[llmSequence, strangerSequence]] = (sql.body as { rows: unknown[][] }).rows;
    assert.ok(llmSequence !== null && [2, 3, 4].includes(Number(llmSequence)), String(llmSequence));
    assert.equal(strangerSequence, null);
    const next = await call('POST', '/v1/agl/spans/next', { rollout_id: started.rollout_id, attempt_id: started.attempt.attempt_id });
    assert.deepEqual(next.body, { sequence_id: 5 });
  });
});
