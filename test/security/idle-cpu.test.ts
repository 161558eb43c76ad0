import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { StoreClient } from '../../src/store/index.ts';
import { sendOfficialSpans } from '../helpers/official-spans.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startServe, stopServe } from './store-serve-helpers.ts';
import type { ServeProcess } from './store-serve-helpers.ts';

/**
 * A collector with no traffic sleeps: its timers (the store's watchdog and journal sync, the group
 * committers, the decoder threads) do nothing when there is nothing to do. Measured from /proc
 * (user + system time of the `agl serve` process, every thread).
 */

const IDLE_MILLIS = 10_000;
/** Far above what an idle collector uses here (0-40 ms in 10 s: the runtime's own housekeeping). */
const MAX_IDLE_CPU_MILLIS = 100;

function cpuMillis(server: ServeProcess): number {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * The CPU of the quieter of two consecutive idle windows: some time after activity stops, V8's
 * memory reducer compacts each isolate's heap a few times (once; ~50-150 ms in all here), which
 * can land in either window. Ticking timers would show in both.
 */
async function idleCpuMillis(server: ServeProcess): Promise<number> {
  await sleep(3000); // start-up or the last requests (the journal sync, waiting heartbeats) settle
  const windows: number[] = [];
  for (let index = 0; index < 2; index++) {
    const before = cpuMillis(server);
    await sleep(IDLE_MILLIS);
    windows.push(cpuMillis(server) - before);
  }
  return Math.min(...windows);
}

describe('an idle agl serve', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it(`uses less than ${MAX_IDLE_CPU_MILLIS} ms of CPU in ${IDLE_MILLIS / 1000} s, fresh and after traffic`, { timeout: 120_000 }, async (t) => {
    const server = await startServe(join(tempDir('agl-idle-'), 'idle.duckdb'));
    try {
      const fresh = await idleCpuMillis(server);
      assert.ok(fresh < MAX_IDLE_CPU_MILLIS, `fresh: ${fresh} ms of CPU in ${IDLE_MILLIS} ms`);

      // Traffic of every kind, leaving one attempt running (the watchdog has something to watch)
      // and journalled changes to sync.
      const client = new StoreClient({ baseUrl: server.url });
      await client.addResources({ prompt: { resource_type: 'prompt_template', template: 'Hi {name}', engine: 'f-string' } });
      await client.enqueueRollouts(Array.from({ length: 20 }, (_, index) => ({ input: { index } })));
      const taken = await client.dequeueRollouts({ limit: 20, workerId: 'w-idle' });
      for (const rollout of taken.slice(1)) await client.updateAttempt(rollout.rollout_id, rollout.attempt.attempt_id, { status: 'succeeded' });
      await client.updateWorker('w-idle', { heartbeatStats: { cpu: 1 } });
      const exporter = new OTLPTraceExporter({ url: `${server.url}/v1/traces` });
      await sendOfficialSpans(exporter, 'idle', { 'agentlightning.rollout_id': taken[0].rollout_id, 'agentlightning.attempt_id': taken[0].attempt.attempt_id });
      await exporter.shutdown();
      await client.querySpans({ rolloutId: taken[0].rollout_id, attemptId: 'latest' });
      await client.waitForRollouts(taken.map((rollout) => rollout.rollout_id), { timeoutSeconds: 0 });

      const afterTraffic = await idleCpuMillis(server);
      t.diagnostic(`idle CPU in ${IDLE_MILLIS / 1000} s: fresh ${fresh} ms, after traffic ${afterTraffic} ms`);
      assert.ok(afterTraffic < MAX_IDLE_CPU_MILLIS, `after traffic: ${afterTraffic} ms of CPU in ${IDLE_MILLIS} ms`);
    } finally {
      await stopServe(server);
    }
  });
});
