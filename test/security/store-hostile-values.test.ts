import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { tempDir } from '../helpers/temp-dir.ts';
import { exportJsonl, sendJson, sql, startServe, stopServe } from './store-serve-helpers.ts';

/**
 * Issue 10, section 3: one request must never brick the database. Each hostile request goes to a
 * real `agl serve`; then the answer, the file (SQL over it, export) and a restart on it are checked.
 *
 * Strings with a lone UTF-16 surrogate (only a `\uD800`–`\uDFFF` JSON escape can carry one) are
 * stored with U+FFFD in its place; numbers out of their column's range answer 422 naming the field;
 * and a journalled row the tables refuse anyway is moved to `store_journal_rejected`.
 */

const LONE = '\\ud800'; // the JSON escape, as the client sends it
const FFFD = '\uFFFD';

/** The raw JSON text of `value` with every `"<LONE>"` marker turned into a lone-surrogate escape. */
function hostile(value: unknown): string {
  return JSON.stringify(value).replaceAll('<LONE>', LONE);
}

/** SQL, export and the dashboard's data still answer, over every store table. */
async function assertFileServes(url: string): Promise<void> {
  for (const table of ['rollouts', 'attempts', 'workers', 'resources', 'span_sequence_ids', 'spans']) await sql(url, `SELECT * FROM ${table}`);
  for (const what of ['rollouts', 'spans']) await exportJsonl(url, what);
}

describe('hostile values on the store routes of a real agl serve', () => {
  it('stores lone surrogates (worker ids, input, metadata, stats, resources) as U+FFFD; SQL, export and a restart work', async () => {
    const dbPath = join(tempDir(), 'agl.duckdb');
    const first = await startServe(dbPath);
    const worker = `w-<LONE>`;
    const started = await sendJson(
      first.url,
      'POST',
      '/v1/agl/rollouts',
      hostile({ input: { task: 'x<LONE>', '<LONE>key': ['<LONE>'] }, metadata: { note: '<LONE>' }, worker_id: worker }),
    );
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const rollout = started.body as { rollout_id: string; input: unknown; metadata: unknown; attempt: { attempt_id: string; worker_id: string } };
    assert.deepEqual(rollout.input, { task: `x${FFFD}`, [`${FFFD}key`]: [FFFD] });
    assert.deepEqual(rollout.metadata, { note: FFFD });
    assert.equal(rollout.attempt.worker_id, `w-${FFFD}`);

    const enqueued = await sendJson(first.url, 'POST', '/v1/agl/queues/rollouts/enqueue', hostile({ rollouts: [{ input: '<LONE>' }] }));
    assert.equal(enqueued.status, 201, JSON.stringify(enqueued.body));
    const dequeued = await sendJson(first.url, 'POST', '/v1/agl/queues/rollouts/dequeue', hostile({ limit: 1, worker_id: 'dq-<LONE>' }));
    assert.equal(dequeued.status, 200, JSON.stringify(dequeued.body));
    assert.equal((dequeued.body as { attempt: { worker_id: string } }[])[0].attempt.worker_id, `dq-${FFFD}`);

    const attempt = await sendJson(first.url, 'POST', `/v1/agl/rollouts/${rollout.rollout_id}/attempts`, hostile({ worker_id: 'sa-<LONE>' }));
    assert.equal(attempt.status, 201, JSON.stringify(attempt.body));
    const attemptId = (attempt.body as { attempt: { attempt_id: string } }).attempt.attempt_id;
    const updated = await sendJson(
      first.url,
      'POST',
      `/v1/agl/rollouts/${rollout.rollout_id}/attempts/${attemptId}`,
      hostile({ worker_id: 'ua-<LONE>', metadata: { m: '<LONE>' } }),
    );
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal((updated.body as { worker_id: string }).worker_id, `ua-${FFFD}`);
    const stats = await sendJson(first.url, 'POST', `/v1/agl/workers/hb-${encodeURIComponent(FFFD)}`, hostile({ heartbeat_stats: { s: '<LONE>' } }));
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    const resources = await sendJson(
      first.url,
      'POST',
      '/v1/agl/resources',
      hostile({ p: { resource_type: 'prompt_template', template: 'say <LONE>', engine: 'f-string' } }),
    );
    assert.equal(resources.status, 201, JSON.stringify(resources.body));

    await assertFileServes(first.url);
    const workers = await sql(first.url, 'SELECT worker_id FROM attempts ORDER BY worker_id');
    assert.deepEqual(workers.map(([id]) => id), [`dq-${FFFD}`, `ua-${FFFD}`, `w-${FFFD}`]);
    const rollouts = await exportJsonl(first.url, 'rollouts');
    assert.ok(rollouts.some((row) => JSON.stringify(row).includes(`x${FFFD}`)));
    await stopServe(first);

    const second = await startServe(dbPath);
    await assertFileServes(second.url);
    const again = await sendJson(second.url, 'GET', `/v1/agl/rollouts/${rollout.rollout_id}`);
    assert.equal(again.status, 200);
    assert.deepEqual((again.body as { metadata: unknown }).metadata, { note: FFFD });
    assert.equal(second.stderr(), '');
    await stopServe(second);
  });

  it('answers 422 naming config.max_attempts beyond the INTEGER column (2147483648, 1e308), and the file stays healthy', async () => {
    const dbPath = join(tempDir(), 'agl.duckdb');
    const server = await startServe(dbPath);
    const ok = await sendJson(server.url, 'POST', '/v1/agl/rollouts', JSON.stringify({ input: 1 }));
    const rolloutId = (ok.body as { rollout_id: string }).rollout_id;
    for (const max of ['2147483648', '1e308']) {
      const cases: [string, string, (string | number)[]][] = [
        ['/v1/agl/rollouts', `{"input": 1, "config": {"max_attempts": ${max}}}`, ['body', 'config', 'max_attempts']],
        ['/v1/agl/queues/rollouts/enqueue', `{"rollouts": [{"input": 1, "config": {"max_attempts": ${max}}}]}`, ['body', 'rollouts', 0, 'config', 'max_attempts']],
        [`/v1/agl/rollouts/${rolloutId}`, `{"config": {"max_attempts": ${max}}}`, ['body', 'config', 'max_attempts']],
      ];
      for (const [path, body, loc] of cases) {
        const answer = await sendJson(server.url, 'POST', path, body);
        assert.equal(answer.status, 422, `${path} ${body}: ${JSON.stringify(answer.body)}`);
        assert.deepEqual((answer.body as { detail: { loc: unknown }[] }).detail[0].loc, loc);
      }
    }
    const largest = await sendJson(server.url, 'POST', '/v1/agl/rollouts', '{"input": 1, "config": {"max_attempts": 2147483647}}');
    assert.equal(largest.status, 201);
    await assertFileServes(server.url);
    assert.deepEqual(await sql(server.url, 'SELECT max(max_attempts) FROM rollouts'), [[2147483647]]);
    await stopServe(server);
    const again = await startServe(dbPath);
    await assertFileServes(again.url);
    await stopServe(again);
  });

  it('answers 422 naming the field for POST /v1/agl/spans with null events or links, or times out of range', async () => {
    const dbPath = join(tempDir(), 'agl.duckdb');
    const server = await startServe(dbPath);
    const started = (await sendJson(server.url, 'POST', '/v1/agl/rollouts', JSON.stringify({ input: 1 }))).body as {
      rollout_id: string;
      attempt: { attempt_id: string };
    };
    const span = {
      rollout_id: started.rollout_id,
      attempt_id: started.attempt.attempt_id,
      sequence_id: 1,
      trace_id: 'a'.repeat(32),
      span_id: 'b'.repeat(16),
      parent_id: null,
      name: 'step',
      status: { status_code: 'OK', description: null },
      attributes: {},
      events: [],
      links: [],
      start_time: 1.5,
      end_time: 2.5,
      context: null,
      parent: null,
      resource: { attributes: {}, schema_url: '' },
    };
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ events: [null] }, ['body', 'events', 0]],
      [{ links: [null] }, ['body', 'links', 0]],
      [{ links: [{ context: null }] }, ['body', 'links', 0, 'context']],
      [{ events: [{ name: 'e', timestamp: 1e300 }] }, ['body', 'events', 0, 'timestamp']],
      [{ end_time: 2 ** 53 }, ['body', 'end_time']],
      [{ start_time: -1e19 }, ['body', 'start_time']],
    ];
    for (const [change, loc] of cases) {
      const answer = await sendJson(server.url, 'POST', '/v1/agl/spans', JSON.stringify({ ...span, ...change }));
      assert.equal(answer.status, 422, `${JSON.stringify(change)}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual((answer.body as { detail: { loc: unknown }[] }).detail[0].loc, loc, JSON.stringify(change));
    }
    const stored = await sendJson(server.url, 'POST', '/v1/agl/spans', JSON.stringify(span));
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    await assertFileServes(server.url);
    assert.deepEqual(await sql(server.url, 'SELECT count(*) FROM spans'), [[1]]);
    await stopServe(server);
    const again = await startServe(dbPath);
    await assertFileServes(again.url);
    await stopServe(again);
  });

  it('moves a journalled row the tables refuse to store_journal_rejected at start-up, applies the rest, and serves', async () => {
    const dbPath = join(tempDir(), 'agl.duckdb');
    const first = await startServe(dbPath);
    const good = (await sendJson(first.url, 'POST', '/v1/agl/rollouts', JSON.stringify({ input: 'kept' }))).body as { rollout_id: string };
    await stopServe(first);

    // Poison the journal while no collector holds the file: rows that no table can take, between good ones.
    const instance = await DuckDBInstance.create(dbPath);
    const connection = await instance.connect();
    const rollout = (id: string, maxAttempts: number) => ({
      rollout_id: id, input: '"x"', mode: null, resources_id: null, status: 'queuing', start_time: 1, end_time: null,
      max_attempts: maxAttempts, retry_condition: '[]', timeout_seconds: null, unresponsive_seconds: null, metadata: null,
      queue_position: 1, created_order: 100, attempt_count: 0, latest_attempt_id: null,
    });
    const entries: [string, string][] = [
      ['rollout', JSON.stringify(rollout('ro-poison-int', 2147483648))],
      ['worker', hostile({ worker_id: 'wk-<LONE>', status: 'idle', heartbeat_stats: '{"a": "\\ud800"}' })],
      ['rollout', JSON.stringify(rollout('ro-applied', 3))],
      ['no_such_table', '{}'],
      ['attempt', 'not json'],
    ];
    let seq = 1000;
    for (const [table, row] of entries) {
      await connection.run('INSERT INTO store_journal VALUES ($1, $2, $3)', [seq++, table, row]);
    }
    connection.closeSync();
    instance.closeSync();

    const second = await startServe(dbPath);
    await assertFileServes(second.url);
    const ids = await sql(second.url, 'SELECT rollout_id FROM rollouts ORDER BY rollout_id');
    assert.deepEqual(ids.map(([id]) => id).sort(), ['ro-applied', good.rollout_id].sort());
    const rejected = await sql(second.url, 'SELECT table_name, error FROM store_journal_rejected ORDER BY table_name');
    assert.deepEqual(rejected.map(([table]) => table), ['attempt', 'no_such_table', 'rollout']);
    for (const [, error] of rejected) assert.ok(typeof error === 'string' && error.length > 0);
    assert.deepEqual(await sql(second.url, 'SELECT count(*) FROM store_journal'), [[0]]);
    // The worker row with a lone surrogate was written with U+FFFD in its place, not rejected.
    assert.deepEqual(await sql(second.url, 'SELECT worker_id FROM workers'), [[`wk-${FFFD}`]]);
    assert.match(second.stderr(), /moved to store_journal_rejected/);
    // The store still works on the file: a new rollout, and the applied one is in the queue.
    const dequeued = await sendJson(second.url, 'POST', '/v1/agl/queues/rollouts/dequeue', JSON.stringify({ limit: 5 }));
    assert.deepEqual((dequeued.body as { rollout_id: string }[]).map((item) => item.rollout_id), ['ro-applied']);
    await stopServe(second);
    const third = await startServe(dbPath);
    await assertFileServes(third.url);
    await stopServe(third);
  });
});
