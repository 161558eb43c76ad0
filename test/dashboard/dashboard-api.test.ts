import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { dashboardPageRoute } from '../../collector/routes/dashboard-static.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';

/** The dashboard's JSON API, static files and event stream over real HTTP, on a real DuckDB file. */

const TRACE = 'ab'.repeat(16);
const LOOSE_TRACE = 'cd'.repeat(16);
const NANOS = 1_790_000_000_000_000_000n;

type Attribute = { key: string; value: Record<string, unknown> };
const attribute = (key: string, value: string | number): Attribute => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value },
});
const span = (spanId: string, parentSpanId: string, name: string, offsetMillis: number, attributes: Attribute[], traceId = TRACE) => ({
  traceId,
  spanId,
  parentSpanId,
  name,
  kind: 1,
  startTimeUnixNano: String(NANOS + BigInt(offsetMillis) * 1_000_000n),
  endTimeUnixNano: String(NANOS + BigInt(offsetMillis + 10) * 1_000_000n),
  attributes,
  status: { code: 1 },
});

async function postSpans(collector: Collector, service: string, spans: unknown[]): Promise<void> {
  const body = {
    resourceSpans: [{ resource: { attributes: [attribute('service.name', service)] }, scopeSpans: [{ scope: { name: 'test' }, spans }] }],
  };
  const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

async function getJson(collector: Collector, path: string, expectedStatus = 200): Promise<any> {
  const response = await fetch(`${collector.url}${path}`);
  const body = await response.json();
  assert.equal(response.status, expectedStatus, `${path}: ${JSON.stringify(body)}`);
  return body;
}

describe('dashboard API', () => {
  let collector: Collector;
  let rolloutId: string;
  let attemptId: string;

  before(async () => {
    collector = await startTestCollector();
    const store = collector.store;
    await store.addResources({ prompt_template: { resource_type: 'prompt_template', template: 'Say {x}.', engine: 'f-string' } });
    const rollouts = [];
    for (let index = 0; index < 120; index++) rollouts.push({ input: { question: `question ${index}` }, mode: index % 3 === 0 ? ('val' as const) : ('train' as const) });
    await store.enqueueRollouts(rollouts);
    const [taken] = await store.dequeueRollouts({ workerId: 'worker-a' });
    rolloutId = taken.rollout_id;
    attemptId = taken.attempt.attempt_id;
    const ids = [attribute('agentlightning.rollout_id', rolloutId), attribute('agentlightning.attempt_id', attemptId)];
    const messages = JSON.stringify([{ role: 'user', content: 'What is 2 + 2?' }]);
    const answer = JSON.stringify([{ role: 'assistant', content: '4' }]);
    await postSpans(collector, 'agent', [
      span('0000000000000001', '', 'agentlightning.rollout', 0, ids),
      span('0000000000000002', '0000000000000001', 'chat sim', 1, [
        ...ids,
        attribute('gen_ai.operation.name', 'chat'),
        attribute('gen_ai.system', 'openai'),
        attribute('gen_ai.request.model', 'sim-model'),
        attribute('gen_ai.prompt', messages),
        attribute('gen_ai.completion', answer),
        attribute('gen_ai.usage.input_tokens', 12),
        attribute('gen_ai.usage.output_tokens', 1),
      ]),
      span('0000000000000003', '0000000000000001', 'agentlightning.annotation', 5, [
        ...ids,
        attribute('agentlightning.reward.0.name', 'accuracy'),
        attribute('agentlightning.reward.0.value', 1),
        attribute('agentlightning.reward.1.name', 'brevity'),
        attribute('agentlightning.reward.1.value', 0.5),
      ]),
    ]);
    for (let index = 0; index < 3; index++) {
      await postSpans(collector, 'loose-service', [span(`00000000000000a${index}`, '', `loose-${index}`, 100 + index, [], LOOSE_TRACE.slice(0, 30) + `0${index}`)]);
    }
  });

  after(() => collector.close());

  it('pages rollouts newest first with keyset cursors: every rollout once, `total` counted', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await getJson(collector, `/v1/agl/dashboard/rollouts?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.total, 120);
      seen.push(...page.items.map((item: any) => item.rollout_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 120);
    const newest = await getJson(collector, '/v1/agl/dashboard/rollouts?limit=1');
    assert.match(newest.items[0].input_preview, /question 119/);
  });

  it('filters rollouts by status, mode, resources id and a search of id or input', async () => {
    assert.equal((await getJson(collector, '/v1/agl/dashboard/rollouts?mode=val')).total, 40);
    const running = await getJson(collector, '/v1/agl/dashboard/rollouts?status=running'); // its spans moved it to running
    assert.deepEqual(running.items.map((item: any) => [item.rollout_id, item.worker_id]), [[rolloutId, 'worker-a']]);
    const found = await getJson(collector, '/v1/agl/dashboard/rollouts?q=QUESTION%2042');
    assert.equal(found.total, 1);
    const resourcesId = found.items[0].resources_id;
    assert.equal((await getJson(collector, `/v1/agl/dashboard/rollouts?resources_id=${resourcesId}`)).total, 120);
    assert.equal((await getJson(collector, '/v1/agl/dashboard/rollouts?resources_id=nothing')).total, 0);
  });

  it('shows a rollout with its attempts, span counts and every reward dimension', async () => {
    const detail = await getJson(collector, `/v1/agl/dashboard/rollouts/${rolloutId}`);
    assert.equal(detail.rollout.input.question, 'question 0');
    assert.equal(detail.attempts.length, 1);
    assert.equal(detail.attempts[0].worker_id, 'worker-a');
    assert.equal(detail.attempts[0].span_count, 3);
    assert.equal(detail.attempts[0].llm_call_count, 1);
    assert.deepEqual(detail.rewards.map((reward: any) => [reward.name, reward.value, reward.is_primary]), [['accuracy', 1, true], ['brevity', 0.5, false]]);
  });

  it("gives an attempt's spans for the waterfall and a span whole, with its LLM call as messages", async () => {
    const spans = await getJson(collector, `/v1/agl/dashboard/rollouts/${rolloutId}/attempts/${attemptId}/spans`);
    assert.deepEqual(spans.items.map((item: any) => [item.name, item.parent_span_id]), [
      ['agentlightning.rollout', null],
      ['chat sim', '0000000000000001'],
      ['agentlightning.annotation', '0000000000000001'],
    ]);
    assert.equal(spans.items[1].llm_model, 'sim-model');
    assert.equal(spans.items[2].reward_count, 2);
    assert.equal(spans.items[1].duration_ms, 10);
    const paged = await getJson(collector, `/v1/agl/dashboard/rollouts/${rolloutId}/attempts/${attemptId}/spans?limit=2`);
    const rest = await getJson(collector, `/v1/agl/dashboard/rollouts/${rolloutId}/attempts/${attemptId}/spans?limit=2&cursor=${paged.next_cursor}`);
    assert.deepEqual([...paged.items, ...rest.items].map((item: any) => item.span_id), spans.items.map((item: any) => item.span_id));
    assert.equal(rest.next_cursor, null);
    const detail = await getJson(collector, `/v1/agl/dashboard/spans/${TRACE}/0000000000000002`);
    assert.equal(detail.span.attributes['gen_ai.request.model'], 'sim-model');
    assert.deepEqual(detail.llm_call.input_messages, [{ role: 'user', content: 'What is 2 + 2?' }]);
    assert.equal(detail.llm_call.output_messages[0].content, '4');
    assert.equal(detail.llm_call.input_tokens, 12);
    assert.equal(detail.llm_call.convention, 'gen_ai');
    const trace = await getJson(collector, `/v1/agl/dashboard/traces/${TRACE}/spans`);
    assert.equal(trace.items.length, 3);
  });

  it('browses traces without a rollout by service and time, with span counts', async () => {
    const services = await getJson(collector, '/v1/agl/dashboard/services');
    assert.deepEqual(services.items.map((item: any) => item.service_name).sort(), ['agent', 'loose-service']);
    const loose = await getJson(collector, '/v1/agl/dashboard/traces?rollout=without&service=loose-service&limit=2');
    assert.deepEqual(loose.items.map((item: any) => [item.name, item.span_count]), [['loose-2', 1], ['loose-1', 1]]);
    const last = await getJson(collector, `/v1/agl/dashboard/traces?rollout=without&service=loose-service&limit=2&cursor=${loose.next_cursor}`);
    assert.deepEqual(last.items.map((item: any) => item.name), ['loose-0']);
    const since = Number(NANOS / 1_000_000n) / 1000 + 0.1015;
    const recent = await getJson(collector, `/v1/agl/dashboard/traces?since=${since}`);
    assert.deepEqual(recent.items.map((item: any) => item.name), ['loose-2']);
    const withRollout = await getJson(collector, '/v1/agl/dashboard/traces?rollout=with');
    assert.deepEqual(withRollout.items.map((item: any) => [item.name, item.span_count]), [['agentlightning.rollout', 3]]);
  });

  it('lists resource versions with the rollouts that used them, and training and workers', async () => {
    const resources = await getJson(collector, '/v1/agl/dashboard/resources');
    assert.equal(resources.items.length, 1);
    assert.equal(resources.items[0].rollout_count, 120);
    assert.equal(resources.items[0].resources.prompt_template.template, 'Say {x}.');
    const one = await getJson(collector, `/v1/agl/dashboard/resources/${resources.items[0].resources_id}?version=1`);
    assert.equal(one.version, 1);
    await getJson(collector, `/v1/agl/dashboard/resources/${resources.items[0].resources_id}?version=7`, 404);
    assert.deepEqual(await getJson(collector, '/v1/agl/dashboard/training'), { runs: [], run_id: null, rounds: [], best: null });
    const round = {
      run_id: 'run-1', round: 0, completed_at: 1_790_000_000, candidates: [], beam: [],
      leader_resources_id: resources.items[0].resources_id, leader_val_score: 0.5,
      best_resources_id: resources.items[0].resources_id, best_val_score: 0.5,
      rejected_edits: 0, timed_out_rollouts: 0, timed_out_rollout_ids: [],
    };
    const posted = await fetch(`${collector.url}/v1/agl/apo/rounds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(round) });
    assert.equal(posted.status, 200);
    const training = await getJson(collector, '/v1/agl/dashboard/training');
    assert.equal(training.run_id, 'run-1');
    assert.equal(training.best.resources.prompt_template.template, 'Say {x}.');
    // A round posted without the failure counts (an older client) shows them as 0; one with them, as sent.
    assert.deepEqual([training.rounds[0].failed_rollouts, training.rounds[0].critiques_without_llm_calls], [0, 0]);
    const counted = await fetch(`${collector.url}/v1/agl/apo/rounds`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...round, round: 1, failed_rollouts: 3, critiques_without_llm_calls: 2 }),
    });
    assert.equal(counted.status, 200);
    const withCounts = await getJson(collector, '/v1/agl/dashboard/training');
    assert.deepEqual([withCounts.rounds[1].failed_rollouts, withCounts.rounds[1].critiques_without_llm_calls], [3, 2]);
    await getJson(collector, '/v1/agl/dashboard/training?run_id=other', 404);
    const workers = await getJson(collector, '/v1/agl/dashboard/workers');
    assert.deepEqual(workers.items.map((worker: any) => [worker.worker_id, worker.current_rollout_id]), [['worker-a', rolloutId]]);
  });

  it('answers bad input with 400 naming the parameter, unknown ids with 404', async () => {
    const bad = [
      ['/v1/agl/dashboard/rollouts?limit=0', /`limit`/],
      ['/v1/agl/dashboard/rollouts?limit=201', /`limit`/],
      ['/v1/agl/dashboard/rollouts?status=done', /`status`/],
      ['/v1/agl/dashboard/rollouts?cursor=bm90IGpzb24', /`cursor`/],
      ['/v1/agl/dashboard/rollouts?sort=x', /Unknown query parameter `sort`/],
      ['/v1/agl/dashboard/rollouts?mode=val&mode=train', /more than once/],
      ['/v1/agl/dashboard/traces?since=yesterday', /`since`/],
      [`/v1/agl/dashboard/traces/${TRACE}/spans?cursor=${Buffer.from('["1;drop",""]').toString('base64url')}`, /`cursor`/],
      ['/v1/agl/dashboard/spans/xyz/0000000000000002', /trace id/],
      [`/v1/agl/dashboard/spans/${TRACE}/12`, /span id/],
      ['/v1/agl/dashboard/resources/x?version=one', /`version`/],
    ] as const;
    for (const [path, message] of bad) assert.match((await getJson(collector, path, 400)).detail, message, path);
    const missing = [
      '/v1/agl/dashboard/rollouts/ro-missing',
      `/v1/agl/dashboard/rollouts/${rolloutId}/attempts/at-missing/spans`,
      `/v1/agl/dashboard/traces/${'ef'.repeat(16)}/spans`,
      `/v1/agl/dashboard/spans/${TRACE}/00000000000000ff`,
      '/v1/agl/dashboard/resources/rs-missing',
      '/v1/agl/dashboard/nothing',
    ];
    for (const path of missing) await getJson(collector, path, 404);
  });

  it('streams a change event when the data changes', async () => {
    const controller = new AbortController();
    const response = await fetch(`${collector.url}/v1/agl/dashboard/events`, { signal: controller.signal });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += value;
      }
    };
    await readUntil(/event: ready\ndata: .*"rollouts":120/);
    await collector.store.enqueueRollouts([{ input: { question: 'one more' } }]);
    await readUntil(/event: change\ndata: \{"topics":\["rollouts"[^\n]*"rollouts":121/);
    controller.abort();
  });
});

describe('dashboard static files', () => {
  it('serves the build at / with content types, page paths as index.html, nothing outside it', async () => {
    await ensureDashboardBuilt();
    const collector = await startTestCollector({ token: 'secret' });
    try {
      const index = await fetch(`${collector.url}/`);
      assert.equal(index.status, 200, 'pages need no token: they hold no data');
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      const html = await index.text();
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script, html);
      const asset = await fetch(`${collector.url}${script}`);
      assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
      const page = await fetch(`${collector.url}/rollouts/ro-1/attempts/at-1`);
      assert.equal(await page.text(), html);
      assert.equal((await fetch(`${collector.url}/assets/missing.js`)).status, 404);
      for (const path of ['/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json']) {
        const response = await fetch(`${collector.url}${path}`);
        assert.ok(!(await response.text()).includes('"name": "agentlightning-ts"'), path);
      }
      assert.equal((await fetch(`${collector.url}/`, { method: 'POST' })).status, 404, 'only GET and HEAD reach the files');
      assert.equal((await fetch(`${collector.url}/`, { method: 'HEAD' })).status, 200);
      // The API keeps the token.
      assert.equal((await fetch(`${collector.url}/v1/agl/dashboard/rollouts`)).status, 401);
      const authorized = await fetch(`${collector.url}/v1/agl/dashboard/rollouts`, { headers: { authorization: 'Bearer secret' } });
      assert.equal(authorized.status, 200);
      assert.equal((await fetch(`${collector.url}/v1/agl/dashboard/events`)).status, 401);
    } finally {
      await collector.close();
    }
  });

  it('says how to build the dashboard when the build is missing', async () => {
    const root = tempDir();
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      void dashboardPageRoute('GET', url.pathname, root)!({ request, response, url, params: {} });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/training`);
      assert.equal(response.status, 503);
      assert.match(await response.text(), /npm run build:dashboard/);
      assert.equal(dashboardPageRoute('GET', '/v1/agl/anything', root), null);
      assert.equal(dashboardPageRoute('POST', '/training', root), null);
    } finally {
      server.close();
    }
  });
});
