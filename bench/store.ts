/**
 * Store benchmark: Agent Lightning v0.3's store benchmark (`tests/benchmark/benchmark_store.py`
 * and the shapes of its benchmark workflow) against `agl serve` over HTTP, in two phases.
 *
 *   npm run bench:store                           both phases, every shape (about 6 minutes on a quiet machine, estimated)
 *   npm run bench:store -- --quick                smaller totals (about a minute on a quiet machine, estimated)
 *   npm run bench:store -- --shape 300x6          one shape (repeatable); --total N overrides the count
 *   npm run bench:store -- --phase with-sleeps    one phase (with-sleeps | without-sleeps)
 *   npm run bench:store -- --shape agl-minimal    Agent Lightning's own call mix, for the collector's
 *                                                 CPU per rollout and requests per rollout by endpoint
 *                                                 (about 10 minutes; --quick 512 tasks, about 80 s;
 *                                                 --idle-seconds N also measures idle CPU); not in the default set
 *
 * With sleeps: the agent sleeps as Agent Lightning's does (each sleep uniform in [0, the shape's
 * `--sleep-seconds`], two per round and one for the final span), so the sleeps bound the time.
 * The figure is the overhead: the measured time above the sleep-bound time, the time the same
 * drawn sleeps take with a store that costs nothing (see `zeroOverheadSeconds`). The time expected
 * from the shape alone (rollouts × mean sleep per rollout ÷ runners) is printed beside it.
 *
 * Without sleeps: the same workload with no sleeps, so the store and its clients bound the rate:
 * rollouts/s and the collector's CPU milliseconds per rollout (user + system of the `agl serve`
 * process, all threads, from /proc), beside the CPU of this process (algorithm and runners).
 *
 * Per run, a fresh `agl serve` runs as its own process on a new DuckDB file; the algorithm and the
 * runners run in this process and share the machine's cores with it. After each run every rollout
 * is checked over SQL: succeeded, its task span and its final reward stored.
 *
 * Agent Lightning's figures for these shapes were measured with the sleeps, its totals and its
 * 5 s polling on 32-core machines: they are named as published, never measured here, and no ratio
 * is taken to them.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { benchDir, printResult } from './report.ts';
import { AGL_MINIMAL, runAglMinimalShape } from './store/agl-minimal.ts';
import { ServeProcess } from './store/serve-process.ts';
import { expectedSleepBoundSeconds, meanSleepPerRollout, STORE_SHAPES, zeroOverheadSeconds } from './store/shapes.ts';
import type { StoreShape } from './store/shapes.ts';
import { checkStored, runWorkload } from './store/workload.ts';
import type { WorkloadResult } from './store/workload.ts';

const PHASES = ['with-sleeps', 'without-sleeps'] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    shape: { type: 'string', multiple: true },
    phase: { type: 'string', multiple: true },
    total: { type: 'string' },
    'idle-seconds': { type: 'string', default: '0' },
  },
});
const names = [...STORE_SHAPES.map((shape) => shape.name), AGL_MINIMAL];
for (const name of values.shape ?? []) if (!names.includes(name)) throw new Error(`Unknown shape \`${name}\`; use one of ${names.join(', ')}`);
for (const phase of values.phase ?? []) if (!PHASES.includes(phase as Phase)) throw new Error(`Unknown phase \`${phase}\`; use one of ${PHASES.join(', ')}`);
const shapes = values.shape ? STORE_SHAPES.filter((shape) => values.shape!.includes(shape.name)) : STORE_SHAPES;
const phases = PHASES.filter((phase) => values.phase?.includes(phase) ?? true);
const quick = values.quick;
const dir = benchDir('store');

/** One run of a shape: its workload's figures and the CPU it took. */
interface Run extends WorkloadResult {
  shape: StoreShape;
  collectorCpuMillis: number;
  benchCpuMillis: number;
}

async function runOnce(shape: StoreShape, phase: Phase): Promise<Run> {
  const counts = phase === 'with-sleeps' ? shape.withSleeps : shape.withoutSleeps;
  const total = Number(values.total ?? (quick ? counts.quick : counts.total));
  const server = await ServeProcess.start(join(dir, `${shape.name}-${phase}.duckdb`));
  try {
    const collectorBefore = server.cpuSeconds();
    const benchBefore = process.cpuUsage();
    const result = await runWorkload(shape, server.url, total, phase === 'with-sleeps' ? shape.sleepSeconds : 0);
    const bench = process.cpuUsage(benchBefore);
    const collectorCpuMillis = (server.cpuSeconds() - collectorBefore) * 1000;
    await checkStored(server.url, shape, total);
    return { ...result, shape, collectorCpuMillis, benchCpuMillis: (bench.user + bench.system) / 1000 };
  } finally {
    await server.stop();
  }
}

const seconds = (value: number): string => `${value.toFixed(1)} s`;
const perRollout = (millis: number, run: Run): string => `${(millis / run.rollouts).toFixed(2)} ms`;

if (values.shape?.includes(AGL_MINIMAL)) {
  await runAglMinimalShape(dir, { total: Number(values.total ?? (quick ? 512 : 4096)), idleSeconds: Number(values['idle-seconds']) });
}

if (shapes.length > 0) {
  console.log(
    `Store benchmark: ${shapes.map((shape) => shape.name).join(', ')}${quick ? ' (quick)' : ''}; ${phases.join(' and ')}; ` +
      'agl serve in its own process per run, the algorithm and runners in this one; every rollout checked over SQL',
  );
  const lines: (() => void)[] = [];

  if (phases.includes('with-sleeps')) {
    console.log("With Agent Lightning's sleeps (two per round, one for the final span, each uniform in [0, the shape's sleep]):");
    for (const shape of shapes) {
      const run = await runOnce(shape, 'with-sleeps');
      const bound = zeroOverheadSeconds(run.drawnSleeps, shape.runners, shape.mode);
      const expected = expectedSleepBoundSeconds(shape, run.rollouts);
      const overhead = (run.seconds / bound - 1) * 100;
      const batches = shape.mode === 'batch' ? `batches of ${shape.batchSize}` : `queue mode, batches of ${shape.batchSize} while fewer than ${shape.remaining} unfinished`;
      console.log(
        `  ${shape.name}: ${run.rollouts} rollouts by ${shape.runners} runners (up to ${shape.turns} rounds, sleeps ≤ ${shape.sleepSeconds} s, ${batches}) ` +
          `in ${seconds(run.seconds)} = ${(run.rollouts / run.seconds).toFixed(1)} rollouts/s`,
      );
      console.log(
        `    sleep-bound: ${seconds(bound)} (these rollouts' drawn sleeps with a store that costs nothing); ` +
          `expected from the shape ${seconds(expected)} (${run.rollouts} × ${meanSleepPerRollout(shape).toFixed(2)} s ÷ ${shape.runners}); ` +
          `overhead ${overhead.toFixed(1)} %; collector CPU ${perRollout(run.collectorCpuMillis, run)} per rollout`,
      );
      console.log(`    Agent Lightning v0.3: ${shape.published} rollouts/s over ${shape.originalTotal} rollouts (published, 32-core machine, not measured here)`);
      lines.push(() =>
        printResult(`store_${shape.name}_sleeps_overhead`, overhead, '%', run.seconds / bound, `sleep-bound ${seconds(bound)} for ${run.rollouts} rollouts; measured ${seconds(run.seconds)}`),
      );
    }
  }

  if (phases.includes('without-sleeps')) {
    console.log('Without sleeps (the store, its clients and the machine bound the rate):');
    for (const shape of shapes) {
      const run = await runOnce(shape, 'without-sleeps');
      const rate = run.rollouts / run.seconds;
      const sleepBoundRate = shape.runners / meanSleepPerRollout(shape);
      console.log(
        `  ${shape.name}: ${run.rollouts} rollouts in ${seconds(run.seconds)} = ${rate.toFixed(0)} rollouts/s; CPU per rollout: ` +
          `collector ${perRollout(run.collectorCpuMillis, run)}, algorithm and runners ${perRollout(run.benchCpuMillis, run)}`,
      );
      lines.push(() => {
        printResult(`store_${shape.name}_no_sleeps_rate`, rate, 'rollouts/s', rate / sleepBoundRate, `the ${sleepBoundRate.toFixed(1)} rollouts/s this shape's sleeps allow`);
        const collector = run.collectorCpuMillis / run.rollouts;
        const all = (run.collectorCpuMillis + run.benchCpuMillis) / run.rollouts;
        printResult(`store_${shape.name}_collector_cpu`, collector, 'ms/rollout', collector / all, `all CPU per rollout, algorithm and runners included, ${all.toFixed(2)} ms`);
      });
    }
  }
  for (const line of lines) line();
}
