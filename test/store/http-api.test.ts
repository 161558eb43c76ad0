import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collector } from '../../collector/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import type { AttemptedRollout, Rollout } from '../../src/store/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { assertResponse, contractOperations } from './contract.ts';

let collector: Collector;
const seen = new Set<string>();

/**
 * One request; a 2xx (or 422) body is validated against the contract's schema for the path
 * template, and the template is recorded so that the test can check every path was exercised.
 */
async function call(method: string, template: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(collector.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text === '' ? null : JSON.parse(text);
  if (response.status < 300 || response.status === 422) {
    assertResponse(method, template, response.status, parsed);
    seen.add(`${method} ${template}`);
  }
  return { status: response.status, body: parsed };
}

before(async () => {
  collector = await startTestCollector({ watchdogIntervalMillis: 50 });
});
after(() => collector.close());

describe('store REST API (contract)', () => {
  it('runs a rollout end to end, every answer valid per the contract', async () => {
    const prompt = { resource_type: 'prompt_template', template: 'Pick a room for {task}', engine: 'f-string' };
    const added = await call('POST', '/v1/agl/resources', '/v1/agl/resources', { prompt });
    assert.equal(added.status, 201);
    const resourcesId = added.body.resources_id;
    const updated = await call('POST', '/v1/agl/resources/{resources_id}', `/v1/agl/resources/${resourcesId}`, {
      prompt: { ...prompt, template: 'v2 {task}' },
      llm: { resource_type: 'llm', endpoint: 'http://127.0.0.1:1/v1', model: 'sim' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.version, 2);
    assert.equal((await call('GET', '/v1/agl/resources/latest', '/v1/agl/resources/latest')).body.resources_id, resourcesId);
    assert.equal((await call('GET', '/v1/agl/resources/{resources_id}', `/v1/agl/resources/${resourcesId}`)).body.version, 2);
    assert.equal((await call('GET', '/v1/agl/resources', `/v1/agl/resources?resources_id_contains=${resourcesId.slice(3)}&limit=5`)).body.total, 1);

    const enqueued = await call('POST', '/v1/agl/queues/rollouts/enqueue', '/v1/agl/queues/rollouts/enqueue', {
      rollouts: [
        { input: { task: 'meeting' }, mode: 'train', config: { max_attempts: 2, retry_condition: ['failed'] }, metadata: { i: 0 } },
        { input: { task: 'party' }, mode: 'val' },
      ],
    });
    assert.equal(enqueued.status, 201);
    const [first, second] = enqueued.body as Rollout[];
    assert.equal(first.resources_id, resourcesId);

    const listed = await call('GET', '/v1/agl/rollouts', `/v1/agl/rollouts?status_in=queuing&rollout_id_in=${first.rollout_id}&rollout_id_in=${second.rollout_id}&sort_by=rollout_id&sort_order=desc&limit=1&offset=0`);
    assert.equal(listed.body.total, 2);
    assert.equal(listed.body.items.length, 1);
    const searched = await call('POST', '/v1/agl/rollouts/search', '/v1/agl/rollouts/search', { rollout_id_in: [first.rollout_id], status_in: ['queuing'] });
    assert.deepEqual(searched.body.items.map((item: Rollout) => item.rollout_id), [first.rollout_id]);

    const dequeued = await call('POST', '/v1/agl/queues/rollouts/dequeue', '/v1/agl/queues/rollouts/dequeue', { limit: 1, worker_id: 'runner-1' });
    const taken = dequeued.body[0] as AttemptedRollout;
    assert.equal(taken.rollout_id, first.rollout_id);
    const attemptPath = `/v1/agl/rollouts/${taken.rollout_id}/attempts`;
    assert.equal((await call('GET', '/v1/agl/rollouts/{rollout_id}', `/v1/agl/rollouts/${taken.rollout_id}`)).body.attempt.attempt_id, taken.attempt.attempt_id);

    const sequence = await call('POST', '/v1/agl/spans/next', '/v1/agl/spans/next', { rollout_id: taken.rollout_id, attempt_id: taken.attempt.attempt_id });
    assert.equal(sequence.body.sequence_id, 1);
    const now = Date.now() / 1000;
    const span = {
      rollout_id: taken.rollout_id,
      attempt_id: taken.attempt.attempt_id,
      sequence_id: 1,
      trace_id: 'ab'.repeat(16),
      span_id: 'cd'.repeat(8),
      parent_id: null,
      name: 'agent.step',
      status: { status_code: 'OK', description: null },
      attributes: { 'step.index': 1, tags: ['a', 'b'] },
      events: [{ name: 'thought', attributes: { text: 'hmm' }, timestamp: now }],
      links: [],
      start_time: now - 0.5,
      end_time: now,
      context: { trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8), is_remote: false, trace_state: {} },
      parent: null,
      resource: { attributes: { 'service.name': 'agent' }, schema_url: '' },
    };
    const addedSpan = await call('POST', '/v1/agl/spans', '/v1/agl/spans', span);
    assert.equal(addedSpan.status, 201);
    assert.equal(addedSpan.body.name, 'agent.step');
    assert.deepEqual(addedSpan.body.attributes, span.attributes);
    assert.ok(Math.abs(addedSpan.body.start_time - span.start_time) < 1e-5);
    // The span is the attempt's first heartbeat: running.
    const latest = await call('GET', '/v1/agl/rollouts/{rollout_id}/attempts/latest', `${attemptPath}/latest`);
    assert.equal(latest.body.status, 'running');
    assert.ok(latest.body.last_heartbeat_time >= now - 1);
    const spans = await call('GET', '/v1/agl/spans', `/v1/agl/spans?rollout_id=${taken.rollout_id}&attempt_id=latest&name_contains=agent`);
    assert.equal(spans.body.total, 1);
    const searchedSpans = await call('POST', '/v1/agl/spans/search', '/v1/agl/spans/search', { rollout_id: taken.rollout_id, span_id: 'cd'.repeat(8), name: 'nothing', filter_logic: 'or' });
    assert.equal(searchedSpans.body.total, 1);
    assert.equal((await call('POST', '/v1/agl/spans/next', '/v1/agl/spans/next', { rollout_id: taken.rollout_id, attempt_id: 'x' })).body.sequence_id, 2);

    // The first attempt fails: retried (retry_condition failed, 2 attempts).
    const failed = await call('POST', '/v1/agl/rollouts/{rollout_id}/attempts/{attempt_id}', `${attemptPath}/${taken.attempt.attempt_id}`, { status: 'failed', metadata: { error: 'boom' } });
    assert.equal(failed.body.status, 'failed');
    assert.equal((await call('GET', '/v1/agl/rollouts/{rollout_id}', `/v1/agl/rollouts/${taken.rollout_id}`)).body.status, 'requeuing');
    const retried = await call('POST', '/v1/agl/rollouts/{rollout_id}/attempts', attemptPath, { worker_id: 'runner-2' });
    assert.equal(retried.status, 201);
    assert.equal(retried.body.attempt.sequence_id, 2);
    const attempts = await call('GET', '/v1/agl/rollouts/{rollout_id}/attempts', `${attemptPath}?sort_order=desc`);
    assert.deepEqual(attempts.body.items.map((attempt: { sequence_id: number }) => attempt.sequence_id), [2, 1]);
    assert.equal((await call('POST', '/v1/agl/rollouts/{rollout_id}/attempts/search', `${attemptPath}/search`, { limit: 1 })).body.items.length, 1);

    // Long-poll: answered when the rollout succeeds, not when the timeout passes.
    const started = Date.now();
    const waiting = call('POST', '/v1/agl/waits/rollouts', '/v1/agl/waits/rollouts', { rollout_ids: [taken.rollout_id], timeout: 20 });
    await sleep(50);
    await call('POST', '/v1/agl/rollouts/{rollout_id}/attempts/{attempt_id}', `${attemptPath}/latest`, { status: 'succeeded' });
    const waited = await waiting;
    assert.equal(waited.body[0].status, 'succeeded');
    assert.ok(Date.now() - started < 5000);

    const direct = await call('POST', '/v1/agl/rollouts', '/v1/agl/rollouts', { input: 'direct', worker_id: 'runner-3', config: { timeout_seconds: 600 } });
    assert.equal(direct.status, 201);
    assert.equal(direct.body.status, 'preparing');
    const patched = await call('POST', '/v1/agl/rollouts/{rollout_id}', `/v1/agl/rollouts/${second.rollout_id}`, { status: 'cancelled', metadata: { why: 'test' } });
    assert.equal(patched.body.status, 'cancelled');

    const worker = await call('POST', '/v1/agl/workers/{worker_id}', '/v1/agl/workers/runner-1', { heartbeat_stats: { cpu: 0.5 } });
    assert.deepEqual(worker.body.heartbeat_stats, { cpu: 0.5 });
    assert.equal((await call('GET', '/v1/agl/workers/{worker_id}', '/v1/agl/workers/runner-3')).body.status, 'busy');
    assert.equal((await call('GET', '/v1/agl/workers', '/v1/agl/workers?status_in=busy&status_in=idle&sort_by=worker_id')).body.total, 3);
    assert.equal((await call('POST', '/v1/agl/workers/search', '/v1/agl/workers/search', { worker_id_contains: 'runner-3' })).body.items[0].worker_id, 'runner-3');
    const statistics = await call('GET', '/v1/agl/statistics', '/v1/agl/statistics');
    assert.equal(statistics.body.total_rollouts, 3);
    assert.equal(statistics.body.total_spans, 1);
    assert.equal((await call('GET', '/v1/agl/health', '/v1/agl/health')).body.status, 'ok');
  });

  it('answers unknown ids with 404 (null where the contract allows null) and a late update of a finished rollout with 409', async () => {
    assert.equal((await call('GET', '/v1/agl/rollouts/{rollout_id}', '/v1/agl/rollouts/ro-nope')).status, 404);
    assert.equal((await call('POST', '/v1/agl/rollouts/{rollout_id}', '/v1/agl/rollouts/ro-nope', { status: 'failed' })).status, 404);
    assert.equal((await call('GET', '/v1/agl/rollouts/{rollout_id}/attempts', '/v1/agl/rollouts/ro-nope/attempts')).status, 404);
    assert.equal((await call('POST', '/v1/agl/rollouts/{rollout_id}/attempts/{attempt_id}', '/v1/agl/rollouts/ro-nope/attempts/at-x', { status: 'failed' })).status, 404);
    const worker = await call('GET', '/v1/agl/workers/{worker_id}', '/v1/agl/workers/nobody');
    assert.deepEqual([worker.status, worker.body], [200, null]);
    const resources = await call('GET', '/v1/agl/resources/{resources_id}', '/v1/agl/resources/rs-nope');
    assert.deepEqual([resources.status, resources.body], [200, null]);

    const started = await call('POST', '/v1/agl/rollouts', '/v1/agl/rollouts', { input: 1 });
    const id = started.body.rollout_id;
    await call('POST', '/v1/agl/rollouts/{rollout_id}', `/v1/agl/rollouts/${id}`, { status: 'cancelled' });
    const late = await call('POST', '/v1/agl/rollouts/{rollout_id}', `/v1/agl/rollouts/${id}`, { status: 'succeeded' });
    assert.equal(late.status, 409);
    assert.match(late.body.detail, /cancelled/);
    assert.equal((await call('GET', '/v1/agl/rollouts/{rollout_id}', `/v1/agl/rollouts/${id}`)).body.status, 'cancelled');
  });

  it('answers bad input with 422 naming the field (HTTPValidationError), and bad JSON with 400', async () => {
    const cases: [string, string, unknown, (string | number)[]][] = [
      ['/v1/agl/queues/rollouts/enqueue', '/v1/agl/queues/rollouts/enqueue', { rollouts: [{ input: 1, config: { max_attempts: 0 } }] }, ['body', 'rollouts', 0, 'config', 'max_attempts']],
      ['/v1/agl/queues/rollouts/enqueue', '/v1/agl/queues/rollouts/enqueue', { rollouts: [{ mode: 'train' }] }, ['body', 'rollouts', 0, 'input']],
      ['/v1/agl/queues/rollouts/enqueue', '/v1/agl/queues/rollouts/enqueue', {}, ['body', 'rollouts']],
      ['/v1/agl/rollouts', '/v1/agl/rollouts', { input: 1, mode: 'play' }, ['body', 'mode']],
      ['/v1/agl/queues/rollouts/dequeue', '/v1/agl/queues/rollouts/dequeue', { limit: 'many' }, ['body', 'limit']],
      ['/v1/agl/rollouts/search', '/v1/agl/rollouts/search', { status_in: ['queuing', 'sleeping'] }, ['body', 'status_in', 1]],
      ['/v1/agl/rollouts/search', '/v1/agl/rollouts/search', { sort_by: 'colour' }, ['body', 'sort_by']],
      ['/v1/agl/resources', '/v1/agl/resources', { prompt: { resource_type: 'prompt_template', template: 't', engine: 'mustache' } }, ['body', 'prompt', 'prompt_template', 'engine']],
      ['/v1/agl/waits/rollouts', '/v1/agl/waits/rollouts', { rollout_ids: ['x'], timeout: -1 }, ['body', 'timeout']],
      ['/v1/agl/spans/next', '/v1/agl/spans/next', { rollout_id: 'x' }, ['body', 'attempt_id']],
      ['/v1/agl/spans/search', '/v1/agl/spans/search', { attempt_id: 'x' }, ['body', 'rollout_id']],
    ];
    for (const [template, path, body, loc] of cases) {
      const answer = await call('POST', template, path, body);
      assert.equal(answer.status, 422, `${path} ${JSON.stringify(body)}`);
      assert.deepEqual(answer.body.detail[0].loc, loc);
    }
    const query = await call('GET', '/v1/agl/rollouts', '/v1/agl/rollouts?limit=ten');
    assert.equal(query.status, 422);
    assert.deepEqual(query.body.detail[0].loc, ['query', 'limit']);
    const spans = await call('GET', '/v1/agl/spans', '/v1/agl/spans');
    assert.deepEqual(spans.body.detail[0].loc, ['query', 'rollout_id']);
    const broken = await fetch(`${collector.url}/v1/agl/rollouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":' });
    assert.equal(broken.status, 400);
  });

  it('exercised every store path of the contract', () => {
    const skipped = new Set(['/v1/traces', '/v1/metrics', '/v1/logs', '/v1/development/profiles']);
    const missing = contractOperations()
      .filter(({ path }) => !skipped.has(path))
      .map(({ path, method }) => `${method} ${path}`)
      .filter((operation) => !seen.has(operation));
    assert.deepEqual(missing, []);
  });
});

describe('store REST API (auth, concurrency, restart)', () => {
  it('requires the bearer token on every store endpoint but health', async () => {
    const guarded = await startTestCollector({ token: 's3cret', watchdogIntervalMillis: 0 });
    try {
      const denied = await fetch(`${guarded.url}/v1/agl/queues/rollouts/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"rollouts":[{"input":1}]}' });
      assert.equal(denied.status, 401);
      assert.equal((await fetch(`${guarded.url}/v1/agl/rollouts`)).status, 401);
      assert.equal((await fetch(`${guarded.url}/v1/agl/health`)).status, 200);
      const client = new StoreClient({ baseUrl: guarded.url, token: 's3cret' });
      const [rollout] = await client.enqueueRollouts([{ input: 1 }]);
      assert.equal((await client.getRollout(rollout.rollout_id))!.status, 'queuing');
      await assert.rejects(new StoreClient({ baseUrl: guarded.url, token: 'wrong', maxRetries: 0 }).dequeueRollouts(), { status: 401 });
    } finally {
      await guarded.close();
    }
  });

  it('50 concurrent dequeuers over HTTP: no rollout handed out twice, none lost', async () => {
    const client = new StoreClient({ baseUrl: collector.url });
    await client.dequeueRollouts({ limit: 1000 });
    const rollouts = await client.enqueueRollouts(Array.from({ length: 200 }, (_, index) => ({ input: index })));
    const taken: AttemptedRollout[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, worker) => {
        for (;;) {
          const batch = await client.dequeueRollouts({ limit: 1 + (worker % 3), workerId: `w-${worker}` });
          if (batch.length === 0) return;
          taken.push(...batch);
        }
      }),
    );
    const ids = taken.map((rollout) => rollout.rollout_id);
    assert.equal(new Set(ids).size, ids.length, 'a rollout was dequeued twice');
    assert.deepEqual([...ids].sort(), rollouts.map((rollout) => rollout.rollout_id).sort());
    assert.ok(taken.every((rollout) => rollout.attempt.sequence_id === 1 && rollout.status === 'preparing'));
  });

  it('keeps rollouts in flight across a collector restart', async () => {
    const dbPath = join(tempDir(), 'restart.duckdb');
    let first = await startTestCollector({ dbPath, watchdogIntervalMillis: 0 });
    let client = new StoreClient({ baseUrl: first.url });
    const queued = await client.enqueueRollouts([{ input: 'a' }, { input: 'b' }, { input: 'c', config: { max_attempts: 2, retry_condition: ['failed'] } }]);
    const [running] = await client.dequeueRollouts({ workerId: 'w-restart' });
    await client.updateAttempt(running.rollout_id, running.attempt.attempt_id, { status: 'running' });
    await first.close();

    first = await startTestCollector({ dbPath, watchdogIntervalMillis: 0 });
    client = new StoreClient({ baseUrl: first.url });
    try {
      const again = (await client.getRollout(running.rollout_id)) as AttemptedRollout;
      assert.equal(again.status, 'running');
      assert.equal(again.attempt.attempt_id, running.attempt.attempt_id);
      await client.updateAttempt(running.rollout_id, running.attempt.attempt_id, { status: 'succeeded' });
      const rest = await client.dequeueRollouts({ limit: 10 });
      assert.deepEqual(rest.map((rollout) => rollout.rollout_id), [queued[1].rollout_id, queued[2].rollout_id]);
      assert.equal((await client.getWorker('w-restart'))!.status, 'idle');
    } finally {
      await first.close();
    }
  });
});
