/**
 * The dashboard's API on a million spans: every call the dashboard's pages make, against a
 * collector on a DuckDB file holding 100,000 rollouts (one attempt and 9 spans each: a root, two
 * LLM calls, a reward, tool spans) plus 10,000 traces without a rollout (10 spans each), so
 * 1,000,000 spans. Each call runs `--requests` times, one at a time, with random ids and deep
 * keyset pages; the figure is its p95 latency, compared with the collector's trivial
 * `GET /v1/agl/health` in the same run, and the worst p95 with the 200 ms target.
 *
 *   npm run bench:dashboard                 1,000,000 spans, 40 requests per call
 *   npm run bench:dashboard -- --quick      100,000 spans
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Collector } from '../collector/index.ts';
import { encodeCursor } from '../collector/routes/dashboard-sql.ts';
import { createLogger } from '../src/logging/index.ts';
import { Database } from '../src/storage/index.ts';
import { SPANS_PER_ROLLOUT, fillDashboardData } from './dashboard-data.ts';
import { benchDir, printResult } from './report.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, requests: { type: 'string', default: '40' } },
});
const requests = Number(values.requests);
const size = values.quick ? { rollouts: 10_000, looseTraces: 1_000 } : { rollouts: 100_000, looseTraces: 10_000 };
const BASE_SECONDS = 1_790_000_000;

const dir = benchDir('dashboard');
const dbPath = join(dir, 'agl.duckdb');
const fillStarted = performance.now();
const database = await Database.open({ path: dbPath });
const spans = await fillDashboardData(database, size);
await database.close();
console.log(`filled ${spans.toLocaleString()} spans, ${size.rollouts.toLocaleString()} rollouts in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);

const collector = await Collector.start({ dbPath, port: 0, logger: createLogger('warn') });
const random = (below: number) => Math.floor(Math.random() * below);
const pad = (index: number) => String(index).padStart(8, '0');
const md5Hex = async (text: string) => {
  const { createHash } = await import('node:crypto');
  return createHash('md5').update(text).digest('hex');
};

/** Each call the dashboard makes, with fresh random parameters every time. */
const calls: [string, () => Promise<string>][] = [
  ['rollouts_first_page', async () => '/v1/agl/dashboard/rollouts?limit=50'],
  ['rollouts_deep_page', async () => `/v1/agl/dashboard/rollouts?limit=50&cursor=${encodeCursor([random(size.rollouts)])}`],
  ['rollouts_filtered', async () => '/v1/agl/dashboard/rollouts?limit=50&status=succeeded&mode=val&resources_id=rs-0007'],
  ['rollouts_search', async () => `/v1/agl/dashboard/rollouts?limit=50&q=s${random(57)}`],
  ['rollout_detail', async () => `/v1/agl/dashboard/rollouts/ro-${pad(random(size.rollouts))}`],
  ['attempt_spans', async () => {
    const index = pad(random(size.rollouts));
    return `/v1/agl/dashboard/rollouts/ro-${index}/attempts/at-${index}/spans?limit=500`;
  }],
  ['span_detail', async () => {
    const rollout = random(size.rollouts);
    return `/v1/agl/dashboard/spans/${await md5Hex(`t${rollout}`)}/${(await md5Hex(`s${rollout}-1`)).slice(0, 16)}`;
  }],
  ['trace_spans', async () => `/v1/agl/dashboard/traces/${await md5Hex(`t${random(size.rollouts)}`)}/spans?limit=500`],
  ['traces_without_rollout', async () => '/v1/agl/dashboard/traces?limit=50&rollout=without&service=worker'],
  ['traces_deep_page', async () => {
    const seconds = BASE_SECONDS + random(size.rollouts * SPANS_PER_ROLLOUT) / 1000;
    return `/v1/agl/dashboard/traces?limit=50&until=${seconds}`;
  }],
  ['services', async () => '/v1/agl/dashboard/services'],
  ['resources', async () => '/v1/agl/dashboard/resources?limit=50'],
  ['resources_version', async () => `/v1/agl/dashboard/resources/rs-${String(random(20)).padStart(4, '0')}`],
  ['training', async () => '/v1/agl/dashboard/training'],
  ['workers', async () => '/v1/agl/dashboard/workers?limit=100'],
  ['live_events_first', async () => '/v1/agl/dashboard/events'],
];

/** The p95 of `requests` sequential GETs of `path()` (after two warm-ups), in milliseconds. */
async function p95(path: () => Promise<string>): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < requests + 2; index++) {
    const url = `${collector.url}${await path()}`;
    const controller = new AbortController();
    const started = performance.now();
    const response = await fetch(url, { signal: controller.signal });
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      // The event stream: time to its first event, then hang up.
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
    } else {
      await response.arrayBuffer();
    }
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    if (index >= 2) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)];
}

try {
  const health = await p95(async () => '/v1/agl/health');
  const reference = `GET /v1/agl/health p95 ${health.toFixed(2)} ms`;
  let worst = 0;
  let worstName = '';
  for (const [name, path] of calls) {
    const value = await p95(path);
    if (value > worst) [worst, worstName] = [value, name];
    printResult(`dashboard_${name}_p95`, value, 'ms', value / health, reference);
  }
  printResult('dashboard_worst_p95', worst, 'ms', worst / 200, `the 200 ms target (${worstName}, ${spans.toLocaleString()} spans)`);
} finally {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
}
