import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collector } from '../../collector/index.ts';
import { rollout } from '../../src/agent/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { RunnerPool } from '../../src/runner/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { setupTracing } from '../../src/tracing/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * `agl runner` as a real process: killed with SIGKILL mid-rollout, stopped with SIGTERM, and
 * loading an agent module that sets up tracing itself.
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const AGENT = fileURLToPath(new URL('./fixtures/sleepy-agent.ts', import.meta.url));
const TRACED_AGENT = fileURLToPath(new URL('./fixtures/traced-agent.ts', import.meta.url));

let collector: Collector;
let tracer: OtelTracer;
let client: StoreClient;
const children: ChildProcessByStdio<null, Readable, Readable>[] = [];

before(async () => {
  collector = await startTestCollector({ watchdogIntervalMillis: 100 });
  tracer = setupTracing({ endpoint: collector.url, batch: { scheduledDelayMillis: 50 } });
  client = new StoreClient({ baseUrl: collector.url });
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await tracer.shutdown();
  await collector.close();
});

/** Starts `agl runner` for the test collector and waits for its start-up line. */
async function startRunner(agent = AGENT): Promise<{ child: ChildProcessByStdio<null, Readable, Readable>; exited: Promise<{ code: number | null; signal: string | null }>; stderr: () => string }> {
  const env = { ...process.env };
  delete env.AGL_SERVER;
  delete env.AGL_TOKEN;
  const child = spawn(process.execPath, [AGL, 'runner', '--server', collector.url, '--agent', agent, '--runners', '1', '--heartbeat-seconds', '0.2', '--log-level', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('agl runner: 1 runner(s) working for')) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`agl runner exited (${code}): ${stderr}`)));
  });
  return { child, exited, stderr: () => stderr };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMillis = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('agl runner (a separate process)', () => {
  it('killed with SIGKILL mid-rollout: its attempt goes unresponsive, the rollout is retried and completed by another runner', async () => {
    const [item] = await client.enqueueRollouts([
      { input: { sleepMillis: 60_000, reward: 0.25 }, config: { unresponsive_seconds: 2, max_attempts: 2, retry_condition: ['unresponsive'] } },
    ]);
    const runner = await startRunner();
    const first = await until('the runner process to run the rollout', async () => {
      const attempt = await client.getLatestAttempt(item.rollout_id);
      return attempt?.status === 'running' && attempt.worker_id ? attempt : null;
    });
    // Alive and heartbeating past unresponsive_seconds (heartbeats every 0.2 s leave a wide margin).
    await sleep(2300);
    assert.equal((await client.getLatestAttempt(item.rollout_id))?.status, 'running', 'heartbeats keep a live runner responsive');

    runner.child.kill('SIGKILL');
    assert.equal((await runner.exited).signal, 'SIGKILL');
    await until('the watchdog to mark the attempt unresponsive', async () => (await client.getRollout(item.rollout_id))?.status === 'requeuing');

    // Another runner (this process, a quick agent) takes the retry.
    const quick = rollout(async (task: { reward: number }) => task.reward);
    const pool = new RunnerPool({ store: client, agent: quick, tracer, nRunners: 1, logger: createLogger('silent'), minPollIntervalMillis: 5 }).start();
    const [done] = await collector.store.waitForRollouts([item.rollout_id], { timeoutSeconds: 10 });
    await pool.stop();
    assert.equal(done?.status, 'succeeded');
    const attempts = (await client.queryAttempts(item.rollout_id)).items;
    assert.deepEqual(attempts.map((attempt) => attempt.status), ['unresponsive', 'succeeded']);
    assert.equal(attempts[0].worker_id, first.worker_id);
    assert.notEqual(attempts[1].worker_id, first.worker_id);
    const rewards = await queryRows(collector, `SELECT attempt_id, value FROM rewards WHERE rollout_id = '${item.rollout_id}'`);
    assert.deepEqual(rewards, [{ attempt_id: attempts[1].attempt_id, value: 0.25 }]);
    const worker = await client.getWorker(first.worker_id!);
    assert.equal(worker?.status, 'unknown', 'the killed worker is no longer busy');
  });

  it('SIGTERM: stops taking rollouts, finishes the one under way, exits 0', async () => {
    const runner = await startRunner();
    const [item] = await client.enqueueRollouts([{ input: { sleepMillis: 800, reward: 1 } }]);
    await until('the rollout to run', async () => (await client.getRollout(item.rollout_id))?.status === 'running');
    runner.child.kill('SIGTERM');
    const [late] = await client.enqueueRollouts([{ input: { sleepMillis: 0, reward: 1 } }]);
    const { code } = await runner.exited;
    assert.equal(code, 0, runner.stderr());
    assert.equal((await client.getRollout(item.rollout_id))?.status, 'succeeded');
    assert.equal((await client.getRollout(late.rollout_id))?.status, 'queuing');
    const rewards = await queryRows(collector, `SELECT value FROM rewards WHERE rollout_id = '${item.rollout_id}'`);
    assert.deepEqual(rewards, [{ value: 1 }]);
    await client.cancelRollout(late.rollout_id);
  });

  it('an agent module that calls setupTracing() at load joins the runner\'s setup: its spans reach the runner\'s --server', async () => {
    const runner = await startRunner(TRACED_AGENT);
    const [item] = await client.enqueueRollouts([{ input: { label: 'joined', reward: 0.5 } }]);
    const [done] = await collector.store.waitForRollouts([item.rollout_id], { timeoutSeconds: 15 });
    assert.equal(done?.status, 'succeeded', runner.stderr());
    const spans = await until('the agent span', async () => {
      const rows = await queryRows(collector, `SELECT name, attributes->>'label' AS label FROM spans WHERE rollout_id = '${item.rollout_id}' AND name = 'agent.work'`);
      return rows.length > 0 ? rows : null;
    });
    assert.deepEqual(spans, [{ name: 'agent.work', label: 'joined' }]);
    const rewards = await queryRows(collector, `SELECT value FROM rewards WHERE rollout_id = '${item.rollout_id}'`);
    assert.deepEqual(rewards, [{ value: 0.5 }]);
    runner.child.kill('SIGTERM');
    assert.equal((await runner.exited).code, 0, runner.stderr());
    assert.doesNotMatch(runner.stderr(), /already set up|Warning/, 'no refusal and no warning');
  });
});
