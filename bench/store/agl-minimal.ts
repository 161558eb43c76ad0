/**
 * `npm run bench:store -- --shape agl-minimal`: Agent Lightning's own call mix at its "minimal
 * production scale" (see `agl-minimal-workload.ts`), for the collector's CPU per rollout and the
 * requests per rollout by endpoint; `--idle-seconds N` also measures the collector's CPU over N idle
 * seconds before and after the workload.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { printResult } from '../report.ts';
import { ATTRIBUTE_SETS } from './agent.ts';
import { runAglMinimal } from './agl-minimal-workload.ts';
import { ServeProcess } from './serve-process.ts';

/** The shape's name on the command line. */
export const AGL_MINIMAL = 'agl-minimal';

/**
 * Agent Lightning v0.3's in-memory server under its own benchmark, CPU ms per rollout: measured by
 * issue 15 on another machine, with Agent Lightning's Python client (not in this run).
 */
const AGL_SERVER_MS_PER_ROLLOUT = 78.4;

/** Runs the shape against a fresh `agl serve` (a DuckDB file in `dir`) and prints its figures. */
export async function runAglMinimalShape(dir: string, options: { total: number; idleSeconds: number }): Promise<void> {
  const { total, idleSeconds } = options;
  console.log(`Store benchmark agl-minimal: ${total} tasks in batches of 256, 32 runners, the original's sleeps and call mix; agl serve in its own process`);
  const server = await ServeProcess.start(join(dir, 'agl-minimal.duckdb'));
  const idle = async (when: string): Promise<void> => {
    if (!(idleSeconds > 0)) return;
    await sleep(2000); // start-up or the last requests settle
    const start = server.cpuSeconds();
    await sleep(idleSeconds * 1000);
    const millis = (server.cpuSeconds() - start) * 1000;
    console.log(`  agl-minimal: idle ${when}: ${millis.toFixed(0)} ms of CPU in ${idleSeconds} s (${(millis / idleSeconds).toFixed(1)} ms/s)`);
  };
  try {
    await idle('(fresh)');
    const before = server.cpuSeconds();
    const result = await runAglMinimal(server.url, { totalTasks: total, attributeSets: ATTRIBUTE_SETS });
    const cpuMillis = (server.cpuSeconds() - before) * 1000;
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
    await server.stop();
  }
}
