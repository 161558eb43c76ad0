/**
 * Store benchmark: rollouts/s through the whole training loop over HTTP against `agl serve`, the
 * workload of Agent Lightning's `tests/benchmark/benchmark_store.py` (v0.3) and the shapes of its
 * benchmark workflow.
 *
 *   npm run bench:store                       every shape (about 4 minutes here)
 *   npm run bench:store -- --quick            a smaller version (fewer rollouts per shape)
 *   npm run bench:store -- --shape 300x6      one shape (repeatable); --total N overrides the count
 *   npm run bench:store -- --original-sleeps  with the original agent's random sleeps
 *   npm run bench:store -- --shape agl-minimal  the original's call mix, for CPU per rollout (about
 *                                               10 minutes; with --quick 512 tasks, about 80 s;
 *                                               see store-agl-minimal.ts); not in the default set;
 *                                               --idle-seconds N also measures agl serve's CPU over
 *                                               N idle seconds before and after the workload
 *
 * Per shape, a fresh `agl serve` runs as its own process on a new DuckDB file. In this process:
 * - an algorithm adds resources and enqueues rollouts, in one of two modes from the original:
 *   `batch` (enqueue a batch, wait until all of it finished, repeat) and the "long rollout
 *   queues" mode, `batch_partial` there, here `queue` (keep enqueuing batches while fewer than
 *   `remaining` rollouts are unfinished, find finished ones by querying the active ids);
 * - N runners, each a loop: dequeue one rollout (with its worker id; backing off while the queue
 *   is empty), fetch its resources, run the agent, then mark the attempt succeeded;
 * - the agent: a random number of turns from 1 to `turns`; per turn a span `agent<i>` with two
 *   nested spans carrying random flattened attributes (one of them carries the task), a reward in
 *   [0, 1) half the time, then a `final` span and the final reward in [1, 2].
 *
 * Spans are made with the OpenTelemetry SDK and sent with the official OTLP/protobuf exporter
 * (`@opentelemetry/exporter-trace-otlp-proto`), one export per rollout at its end, as Agent
 * Lightning's tracer flushes at the end of each rollout (the SDK's BatchSpanProcessor would hold
 * them up to its 5 s timer and measure that timer). The rollout's ids are span attributes.
 *
 * Differences from the original, on purpose: the agent does not sleep (`--original-sleeps` puts the
 * original's random sleeps back: up to 0.5 s for 32x6, 0.1 s otherwise, per span), since with
 * them the sleeps, not the store, bound the rate (32 runners sleeping ~2 s per rollout cannot
 * exceed 16 rollouts/s); a batch is enqueued with one call, not one call per rollout; the
 * algorithm waits with the long-poll `waitForRollouts` instead of polling every 5 s; totals are
 * smaller (but 32x6's 4096) so the whole run stays under 5 minutes. After each shape every
 * rollout is checked over SQL (`POST /v1/agl/sql`): succeeded, its task span and its final reward
 * stored. The runners share the machine's two cores with the collector.
 *
 * REFERENCE figures are Agent Lightning v0.3's published results for these shapes, in-memory
 * store (the best figure it published for any shape was 57 rollouts/s, MongoDB store), measured
 * on 32-core machines with the sleeps above. They are not measured here. Goal: ≥ 10× their best,
 * i.e. ≥ 570 rollouts/s for every shape, on this project's 2-core machine (runners included).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { context, trace } from '@opentelemetry/api';
import type { Attributes, Span as ApiSpan, Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { StoreClient } from '../src/store/index.ts';
import type { AttemptedRollout } from '../src/store/index.ts';
import { benchDir, printResult } from './report.ts';
import { runAglMinimal } from './store-agl-minimal.ts';

interface Shape {
  name: string;
  runners: number;
  turns: number;
  mode: 'batch' | 'queue';
  total: number;
  quickTotal: number;
  batchSize: number;
  /** `queue` mode: enqueue more while fewer than this many rollouts are unfinished. */
  remaining?: number;
  /** The original's per-span sleep bound for this shape (used only with `--original-sleeps`). */
  sleepSeconds: number;
  /** Agent Lightning v0.3's published rollouts/s, in-memory store, 32-core machine (not measured here). */
  reference: number;
}

// Batch sizes, runners, turns and modes as in Agent Lightning's benchmark workflow; totals smaller.
const SHAPES: Shape[] = [
  { name: '32x6', runners: 32, turns: 6, mode: 'batch', total: 4096, quickTotal: 1024, batchSize: 256, sleepSeconds: 0.5, reference: 9 },
  { name: '100x10', runners: 100, turns: 10, mode: 'batch', total: 10_000, quickTotal: 2000, batchSize: 1000, sleepSeconds: 0.1, reference: 23 },
  { name: '300x6', runners: 300, turns: 6, mode: 'batch', total: 20_480, quickTotal: 4096, batchSize: 2048, sleepSeconds: 0.1, reference: 24 },
  { name: '1000x3', runners: 1000, turns: 3, mode: 'batch', total: 24_576, quickTotal: 8192, batchSize: 8192, sleepSeconds: 0.1, reference: 15 },
  {
    name: 'queue_256x4',
    runners: 256,
    turns: 4,
    mode: 'queue',
    total: 24_576,
    quickTotal: 6144,
    batchSize: 1024,
    remaining: 4096,
    sleepSeconds: 0.1,
    reference: 31,
  },
];
/** The best figure Agent Lightning v0.3 published for any of these shapes (MongoDB store). */
const BEST_PUBLISHED = 57;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    shape: { type: 'string', multiple: true },
    total: { type: 'string' },
    'original-sleeps': { type: 'boolean', default: false },
    'idle-seconds': { type: 'string', default: '0' },
  },
});
const AGL_MINIMAL = 'agl-minimal';
const runAglMinimalShape = values.shape?.includes(AGL_MINIMAL) ?? false;
const shapes = values.shape ? SHAPES.filter((shape) => values.shape!.includes(shape.name)) : SHAPES;
if (shapes.length === 0 && !runAglMinimalShape) throw new Error(`Unknown shape; use one of ${[...SHAPES.map((shape) => shape.name), AGL_MINIMAL].join(', ')}`);
const dir = benchDir('store');
const agl = fileURLToPath(new URL('../bin/agl.js', import.meta.url));

// ------------------------------------------------------------------ the agent's attributes

const WORDS = Array.from({ length: 512 }, () => randomText(5 + Math.floor(Math.random() * 296)));

function randomText(length: number): string {
  let text = '';
  while (text.length < length) text += Math.random().toString(36).slice(2);
  return text.slice(0, length);
}

/** A random nested dictionary (depth 1-3, breadth 2-6), flattened to dotted keys, as the original. */
function randomAttributes(depth = 1 + Math.floor(Math.random() * 3), prefix = ''): Attributes {
  const attributes: Attributes = {};
  const breadth = 2 + Math.floor(Math.random() * 5);
  for (let index = 0; index < breadth; index++) {
    const key = `${prefix}${randomText(3 + Math.floor(Math.random() * 18))}`;
    if (depth > 1 && Math.random() < 0.5) Object.assign(attributes, randomAttributes(depth - 1, `${key}.`));
    else attributes[key] = WORDS[Math.floor(Math.random() * WORDS.length)];
  }
  return attributes;
}

// Made ahead and drawn at random: making them per span took a fifth of the runners' CPU, which
// shares the two cores with the collector.
const ATTRIBUTE_SETS = Array.from({ length: 1024 }, () => randomAttributes());
const someAttributes = (): Attributes => ATTRIBUTE_SETS[Math.floor(Math.random() * ATTRIBUTE_SETS.length)];

// ------------------------------------------------------------------------------ runners

/** Keeps the spans a runner's tracer ended, for one export per rollout. */
class CollectingProcessor implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Runner {
  tracer: Tracer;
  processor: CollectingProcessor;
  exporter: OTLPTraceExporter;
}

function newRunner(url: string): Runner {
  const processor = new CollectingProcessor();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-store-agent' }),
    spanProcessors: [processor],
  });
  const exporter = new OTLPTraceExporter({ url: new URL('/v1/traces', url).href, timeoutMillis: 60_000 });
  return { tracer: provider.getTracer('bench-store'), processor, exporter };
}

function exportSpans(runner: Runner): Promise<void> {
  const spans = runner.processor.spans;
  runner.processor.spans = [];
  return new Promise((resolve, reject) => {
    runner.exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('OTLP export failed'));
    });
  });
}

/** The agent of the original benchmark: nested spans per turn, rewards, a final span and reward. */
async function runAgent(runner: Runner, rollout: AttemptedRollout, maxTurns: number, sleepSeconds: number): Promise<void> {
  const ids: Attributes = { 'agentlightning.rollout_id': rollout.rollout_id, 'agentlightning.attempt_id': rollout.attempt.attempt_id };
  const { tracer } = runner;
  const pause = async (): Promise<void> => {
    if (sleepSeconds > 0) await sleep(Math.random() * sleepSeconds * 1000);
  };
  const child = async (parent: ApiSpan, name: string, attributes: Attributes): Promise<void> => {
    const span = tracer.startSpan(name, { attributes: { ...ids, ...attributes } }, trace.setSpan(context.active(), parent));
    await pause();
    span.end();
  };
  const reward = (value: number): void => {
    tracer
      .startSpan('agentlightning.annotation', {
        attributes: { ...ids, 'agentlightning.reward.0.name': 'primary', 'agentlightning.reward.0.value': value },
      })
      .end();
  };
  const turns = 1 + Math.floor(Math.random() * maxTurns);
  const taskTurn = Math.floor(Math.random() * turns);
  for (let turn = 0; turn < turns; turn++) {
    const agent = tracer.startSpan(`agent${turn}`, { attributes: ids });
    const first = { ...someAttributes() };
    if (turn === taskTurn) first.task = rollout.input as string;
    await child(agent, `round${turn}_1`, first);
    await child(agent, `round${turn}_2`, someAttributes());
    agent.end();
    if (Math.random() < 0.5) reward(Math.random());
  }
  const final = tracer.startSpan('final', { attributes: { ...ids, ...someAttributes() } });
  await pause();
  final.end();
  reward(1 + Math.random());
  await exportSpans(runner);
}

// ----------------------------------------------------------------------------- one shape

async function startServer(database: string): Promise<{ url: string; server: ChildProcess }> {
  const server = spawn(process.execPath, [...(process.env.AGL_BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), agl, 'serve', '--db', database, '--port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`agl serve exited with ${code}`)));
    createInterface({ input: server.stdout! }).on('line', (line) => {
      const match = /agl collector listening on (\S+) \(database /.exec(line);
      if (match) resolve(match[1]);
    });
  });
  return { url, server };
}

/** CPU seconds (user + system) a process used so far, from /proc. */
function serverCpuSeconds(server: ChildProcess): number {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function runShape(shape: Shape): Promise<{ rate: number; seconds: number; total: number }> {
  const total = Number(values.total ?? (values.quick ? shape.quickTotal : shape.total));
  const sleepSeconds = values['original-sleeps'] ? shape.sleepSeconds : 0;
  const { url, server } = await startServer(join(dir, `${shape.name}.duckdb`));
  try {
    const cpuBefore = process.cpuUsage();
    const serverBefore = serverCpuSeconds(server);
    const result = await measure(shape, url, total, sleepSeconds);
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      `  ${shape.name}: CPU ${(serverCpuSeconds(server) - serverBefore).toFixed(1)} s in agl serve, ` +
        `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s in the runners' process (SQL check included)`,
    );
    return result;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

async function measure(shape: Shape, url: string, total: number, sleepSeconds: number): Promise<{ rate: number; seconds: number; total: number }> {
  const client = new StoreClient({ baseUrl: url, timeoutMillis: 600_000 });
  let finished = false;
  const runnerLoop = async (index: number): Promise<number> => {
    const runner = newRunner(url);
    const workerId = `runner-${index}`;
    let idleMillis = 5;
    let done = 0;
    while (!finished) {
      const [rollout] = await client.dequeueRollouts({ limit: 1, workerId });
      if (!rollout) {
        // Empty queue: back off (with jitter) so that idle runners do not flood the server.
        await sleep(idleMillis * (0.5 + Math.random()));
        idleMillis = Math.min(idleMillis * 2, 250);
        continue;
      }
      idleMillis = 5;
      if (rollout.resources_id) await client.getResources(rollout.resources_id);
      await runAgent(runner, rollout, shape.turns, sleepSeconds);
      await client.updateAttempt(rollout.rollout_id, rollout.attempt.attempt_id, { status: 'succeeded' });
      done++;
    }
    await runner.exporter.shutdown();
    return done;
  };

  const started = performance.now();
  const runners = Array.from({ length: shape.runners }, (_, index) => runnerLoop(index));
  let submitted = 0;
  const enqueueBatch = async (): Promise<string[]> => {
    const count = Math.min(shape.batchSize, total - submitted);
    await client.addResources({
      llm: { resource_type: 'llm', endpoint: `http://localhost:${submitted}/v1`, model: `test-model-${submitted}`, sampling_parameters: {} },
    });
    const rollouts = await client.enqueueRollouts(
      Array.from({ length: count }, (_, index) => ({ input: `task-${submitted + index}`, mode: 'train' as const })),
    );
    submitted += count;
    return rollouts.map((rollout) => rollout.rollout_id);
  };
  if (shape.mode === 'batch') {
    while (submitted < total) {
      const ids = await enqueueBatch();
      const done = await client.waitForRollouts(ids, { timeoutSeconds: 600 });
      if (done.length !== ids.length) throw new Error(`${shape.name}: ${ids.length - done.length} rollouts of a batch never finished`);
      const failed = done.find((rollout) => rollout.status !== 'succeeded');
      if (failed) throw new Error(`${shape.name}: rollout ${failed.rollout_id} ended ${failed.status}`);
    }
  } else {
    const active = new Set<string>();
    let completed = 0;
    while (completed < total) {
      if (submitted < total && active.size < shape.remaining!) {
        for (const id of await enqueueBatch()) active.add(id);
        continue;
      }
      const page = await client.queryRollouts({ rolloutIdIn: [...active], statusIn: ['succeeded', 'failed', 'cancelled'] });
      for (const rollout of page.items) {
        if (rollout.status !== 'succeeded') throw new Error(`${shape.name}: rollout ${rollout.rollout_id} ended ${rollout.status}`);
        active.delete(rollout.rollout_id);
        completed++;
      }
      // The original sleeps 5 s when nothing finished; a short pause keeps these big queries rare.
      await sleep(50);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  finished = true;
  const handled = (await Promise.all(runners)).reduce((sum, count) => sum + count, 0);
  if (handled !== total) throw new Error(`${shape.name}: runners finished ${handled} rollouts, ${total} were enqueued`);
  await check(url, shape, total);
  return { rate: total / seconds, seconds, total };
}

/** Every rollout succeeded, with its task span and its final reward (in [1, 2]) stored. */
async function check(url: string, shape: Shape, total: number): Promise<void> {
  const query = `
    WITH latest AS (SELECT rollout_id, latest_attempt_id AS attempt_id, status, json_extract_string(input, '$') AS task FROM rollouts)
    SELECT
      count(*) AS rollouts,
      count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rewards w
        WHERE w.rollout_id = latest.rollout_id AND w.attempt_id = latest.attempt_id AND w.value BETWEEN 1 AND 2)) AS rewarded,
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM spans s
        WHERE s.rollout_id = latest.rollout_id AND s.attempt_id = latest.attempt_id AND (s.attributes->>'task') = latest.task)) AS with_task
    FROM latest`;
  const response = await fetch(new URL('/v1/agl/sql', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  if (!response.ok) throw new Error(`${shape.name}: SQL check answered ${response.status}: ${await response.text()}`);
  const [[rollouts, succeeded, rewarded, withTask]] = ((await response.json()) as { rows: number[][] }).rows.map((row) => row.map(Number));
  if (rollouts !== total || succeeded !== total || rewarded !== total || withTask !== total) {
    throw new Error(
      `${shape.name}: of ${total} rollouts, ${rollouts} stored, ${succeeded} succeeded, ${rewarded} with a final reward, ${withTask} with their task span`,
    );
  }
  console.log(`  ${shape.name}: all ${total} rollouts succeeded with their task span and final reward stored (checked over SQL)`);
}

// ------------------------------------------------------------------------------------ run

if (runAglMinimalShape) await aglMinimal();

async function aglMinimal(): Promise<void> {
  // Measured by issue 15 on one machine with Agent Lightning's own benchmark and Python client.
  const AGL_SERVER_MS_PER_ROLLOUT = 78.4;
  const total = Number(values.total ?? (values.quick ? 512 : 4096));
  console.log(`Store benchmark agl-minimal: ${total} tasks in batches of 256, 32 runners, the original's sleeps and call mix; agl serve in its own process`);
  const idleSeconds = Number(values['idle-seconds']);
  const { url, server } = await startServer(join(dir, 'agl-minimal.duckdb'));
  const idle = async (when: string): Promise<void> => {
    if (!(idleSeconds > 0)) return;
    await sleep(2000); // start-up or the last requests settle
    const start = serverCpuSeconds(server);
    await sleep(idleSeconds * 1000);
    const millis = (serverCpuSeconds(server) - start) * 1000;
    console.log(`  agl-minimal: idle ${when}: ${millis.toFixed(0)} ms of CPU in ${idleSeconds} s (${(millis / idleSeconds).toFixed(1)} ms/s)`);
  };
  try {
    await idle('(fresh)');
    const before = serverCpuSeconds(server);
    const result = await runAglMinimal(url, { totalTasks: total, attributeSets: ATTRIBUTE_SETS });
    const cpuMillis = (serverCpuSeconds(server) - before) * 1000;
    await idle('after the workload');
    const perRollout = cpuMillis / result.rollouts;
    console.log(
      `  agl-minimal: ${result.rollouts} rollouts, ${result.spans} spans (${(result.spans / result.rollouts).toFixed(1)} per rollout) in ${result.seconds.toFixed(1)} s ` +
        `(${(result.rollouts / result.seconds).toFixed(2)} rollouts/s); agl serve used ${(cpuMillis / 1000).toFixed(1)} s of CPU`,
    );
    const requests = [...result.requests].sort((a, b) => b[1] - a[1]);
    const all = requests.reduce((sum, [, n]) => sum + n, 0);
    console.log(`  requests per rollout: ${(all / result.rollouts).toFixed(2)} in all`);
    for (const [endpoint, n] of requests) console.log(`    ${(n / result.rollouts).toFixed(3).padStart(7)}  ${endpoint}`);
    printResult(
      'store_agl_minimal_cpu_per_rollout',
      perRollout,
      'ms',
      perRollout / AGL_SERVER_MS_PER_ROLLOUT,
      `Agent Lightning v0.3's in-memory server, ${AGL_SERVER_MS_PER_ROLLOUT} ms per rollout under its own benchmark (measured on another machine; goal ≤ 0.5)`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

if (shapes.length > 0) {
  console.log(
    `Store benchmark: ${shapes.map((shape) => shape.name).join(', ')}${values.quick ? ' (quick)' : ''}; ` +
      `agent ${values['original-sleeps'] ? "with the original's random sleeps" : 'without sleeps'}; agl serve in its own process, runners in this one`,
  );
  const results: { shape: Shape; rate: number }[] = [];
  for (const shape of shapes) {
    const { rate, seconds, total } = await runShape(shape);
    console.log(`  ${shape.name}: ${total} rollouts by ${shape.runners} runners (${shape.mode} mode) in ${seconds.toFixed(1)} s`);
    results.push({ shape, rate });
  }
  for (const { shape, rate } of results) {
    printResult(
      `store_${shape.name}`,
      rate,
      'rollouts/s',
      rate / shape.reference,
      `Agent Lightning v0.3's published ${shape.reference} rollouts/s (in-memory store, 32 cores; not measured here)`,
    );
  }
  const slowest = Math.min(...results.map((result) => result.rate));
  console.log(
    `Slowest shape: ${Math.round(slowest)} rollouts/s = ${(slowest / BEST_PUBLISHED).toFixed(1)}x the best published figure (${BEST_PUBLISHED}, MongoDB); goal ≥ 10x`,
  );
}
