import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { postSql, sqlRows, startSqlServe, stopSqlServe } from './sql-serve.ts';
import type { SqlServe } from './sql-serve.ts';

/**
 * User SQL against a real `agl serve` is bounded: in time (--sql-timeout), in bytes (max_bytes,
 * measured before conversion), in concurrency (429 with Retry-After), and it never starves ingest.
 */

/** A query that runs far longer than the test's --sql-timeout. */
const LONG_QUERY = 'SELECT sum(hash(range)) FROM range(10000000000)';

function rssOf(pid: number): Promise<number> {
  return import('node:fs/promises').then(async ({ readFile }) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  });
}

describe('user SQL is bounded (agl serve)', () => {
  const dir = tempDir('agl-sql-limits-');
  const dbPath = join(dir, 'agl.duckdb');
  let server: SqlServe;

  before(async () => {
    server = await startSqlServe(dbPath, ['--sql-timeout', '2']);
  });
  after(() => (server.child.exitCode === null ? stopSqlServe(server) : undefined));

  it('cancels a query after --sql-timeout and says so', async () => {
    const started = Date.now();
    const answer = await postSql(server.url, LONG_QUERY);
    const took = Date.now() - started;
    assert.equal(answer.status, 408, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'query_timeout');
    assert.match(answer.body.detail ?? '', /cancelled after 2 s \(agl serve --sql-timeout\)/);
    assert.ok(took < 5000, `answered after ${took} ms`);
    assert.deepEqual(await sqlRows(server.url, 'SELECT 1'), [[1]]);
  });

  it('bounds the answer in bytes before converting it, without lifting RSS by GBs', async () => {
    const truncated = await postSql(server.url, 'SELECT range AS i, repeat(\'x\', 1000) AS s FROM range(100000)');
    assert.equal(truncated.status, 200);
    assert.equal(truncated.body.truncated, true);
    const length = JSON.stringify(truncated.body).length;
    assert.ok(length <= 16 * 1024 * 1024 && length > 8 * 1024 * 1024, `answer of ${length} bytes`);
    const small = await postSql(server.url, 'SELECT range FROM range(100000)', { max_bytes: 1000 });
    assert.equal(small.body.truncated, true);
    assert.ok(JSON.stringify(small.body.rows).length <= 1000);

    const before = await rssOf(server.child.pid!);
    let peak = before;
    const sampler = setInterval(() => void rssOf(server.child.pid!).then((rss) => (peak = Math.max(peak, rss))).catch(() => undefined), 20);
    try {
      // One value of 40 MB once built (a list computed at run time, not folded while planning).
      const big = await postSql(server.url, 'SELECT list(range) FROM range(5000000)');
      assert.equal(big.status, 413, JSON.stringify(big.body));
      assert.match(big.body.detail ?? '', /larger than max_bytes|grew the collector's memory/);
      const text = await postSql(server.url, "SELECT repeat('x', 100000000) AS s");
      assert.equal(text.status, 413, JSON.stringify(text.body));
      // Constant lists, which DuckDB would fold while planning (outside every limit) if let:
      // range(10000000) took 9.6 s and 1.2 GB so.
      // On a loaded machine the server's 2 s --sql-timeout may come first: refused either way.
      for (const query of ['SELECT range(10000000)', "SELECT repeat(repeat(repeat('x', 1000), 1000), 100)"]) {
        const folded = await postSql(server.url, query);
        assert.ok([413, 408].includes(folded.status), `${query}: ${folded.status} ${JSON.stringify(folded.body)}`);
      }
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak - before < 1024 * 1024 * 1024, `RSS grew by ${Math.round((peak - before) / 1048576)} MiB`);

    // One 400 MB value is built by DuckDB before it can be measured: bounded, not free (folded
    // while planning it took 43 s and 4.5 GB).
    const started = Date.now();
    const largestSampler = setInterval(() => void rssOf(server.child.pid!).then((rss) => (peak = Math.max(peak, rss))).catch(() => undefined), 20);
    try {
      const largest = await postSql(server.url, 'SELECT range(50000000)');
      assert.ok([413, 408].includes(largest.status), `${largest.status} ${JSON.stringify(largest.body)}`);
    } finally {
      clearInterval(largestSampler);
    }
    assert.ok(Date.now() - started < 15_000, `answered after ${Date.now() - started} ms`);
    assert.ok(peak - before < 2 * 1024 * 1024 * 1024, `RSS grew by ${Math.round((peak - before) / 1048576)} MiB`);
    assert.deepEqual(await sqlRows(server.url, 'SELECT 1'), [[1]]);
  });

  it('runs 2 user queries at once, queues 8, answers 429 with Retry-After beyond', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => postSql(server.url, LONG_QUERY)));
    const statuses = answers.map((answer) => answer.status).sort();
    const refused = answers.filter((answer) => answer.status === 429);
    assert.equal(refused.length, 2, statuses.join(','));
    for (const answer of refused) {
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      assert.match(answer.body.detail ?? '', /Too many SQL queries/);
    }
    // Those that waited were cancelled by the same time limit, waiting included.
    assert.ok(answers.filter((answer) => answer.status === 408).length === 10, statuses.join(','));
  });

  it('keeps ingest p99 under 1 s while 4 long queries run', async () => {
    const queries = Array.from({ length: 4 }, () => postSql(server.url, LONG_QUERY));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const latencies: number[] = [];
    const until = Date.now() + 1800;
    let index = 0;
    while (Date.now() < until) {
      const batch = Array.from({ length: 4 }, async () => {
        const body = protobufBody(Array.from({ length: 20 }, () => spanSpec({ attributes: { 'agentlightning.rollout_id': `ro-load-${index++}` } })));
        const started = performance.now();
        const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
        await response.arrayBuffer();
        assert.equal(response.status, 200);
        latencies.push(performance.now() - started);
      });
      await Promise.all(batch);
    }
    await Promise.all(queries);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
    console.log(`ingest under 4 long queries: ${latencies.length} requests, p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    assert.ok(latencies.length >= 20, `${latencies.length} requests`);
    assert.ok(p99 < 1000, `ingest p99 ${p99.toFixed(0)} ms`);
    const stored = await sqlRows(server.url, "SELECT count(*) FROM spans WHERE rollout_id LIKE 'ro-load-%'");
    assert.equal(stored[0][0], latencies.length * 20);
  });

  it('restarts on the same file with the data', async () => {
    const before = await sqlRows(server.url, 'SELECT count(*) FROM spans');
    await stopSqlServe(server);
    server = await startSqlServe(dbPath, ['--sql-timeout', '2']);
    assert.deepEqual(await sqlRows(server.url, 'SELECT count(*) FROM spans'), before);
  });
});
