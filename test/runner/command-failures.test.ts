import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Collector } from '../../collector/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { CommandAgent, RunnerPool, runCommandProcess } from '../../src/runner/index.ts';
import type { CommandAgentOptions } from '../../src/runner/index.ts';
import type { StoreClient } from '../../src/store/index.ts';
import type { Attempt, Rollout } from '../../src/store/index.ts';
import type { OtelTracer } from '../../src/tracing/index.ts';
import { queryRows } from '../helpers/collector.ts';
import { startRunnerTestBed } from '../helpers/runner-test-bed.ts';
import type { RunnerTestBed } from '../helpers/runner-test-bed.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * How a command agent's attempt fails, with real processes: the timeout kills a process group that
 * ignores SIGTERM (SIGKILL after the grace), a runner's stop does the same, garbage on stdout
 * fails with a clear message, a non-zero exit keeps the stderr tail, output past the bound is cut.
 */

const FIXTURES = fileURLToPath(new URL('./fixtures/command/', import.meta.url));
let bed: RunnerTestBed;
let collector: Collector;
let tracer: OtelTracer;
let client: StoreClient;
const silent = createLogger('silent');

before(async () => {
  bed = await startRunnerTestBed('command-failures-test');
  ({ collector, tracer, client } = bed);
});
after(() => bed.close());

function startPool(spec: Omit<CommandAgentOptions, 'server'>): RunnerPool {
  const agent = new CommandAgent({ server: collector.url, cwd: FIXTURES, logger: silent, ...spec });
  return new RunnerPool({ store: client, agent, tracer, nRunners: 1, logger: silent, minPollIntervalMillis: 5, maxPollIntervalMillis: 50 }).start();
}

async function runOne(spec: Omit<CommandAgentOptions, 'server'>, input: unknown = {}): Promise<{ rollout: Rollout; attempt: Attempt }> {
  const pool = startPool(spec);
  try {
    const [queued] = await client.enqueueRollouts([{ input }]);
    const [rollout] = await collector.store.waitForRollouts([queued!.rollout_id], { timeoutSeconds: 30 });
    const attempt = (await client.queryAttempts(rollout!.rollout_id)).items[0]!;
    return { rollout: rollout!, attempt };
  } finally {
    await pool.stop();
  }
}

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is gone for our purpose). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function pidsOf(file: string): Promise<number[]> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await sleep(25);
  return readFileSync(file, 'utf8').trim().split(' ').map(Number);
}

type ErrorMetadata = { error: { type: string; message: string; stack: string | null } };

describe('command agent failures', () => {
  it('the timeout kills the whole process group, SIGTERM ignored: SIGKILL after the grace; the attempt fails with the time limit named', async () => {
    const pidFile = join(tempDir(), 'pids');
    const started = Date.now();
    const { rollout, attempt } = await runOne({ command: 'python3 stubborn.py', env: { PID_FILE: pidFile }, timeoutSeconds: 1, killGraceMillis: 300 });
    const elapsed = Date.now() - started;
    assert.equal(rollout.status, 'failed');
    const error = (attempt.metadata as ErrorMetadata).error;
    assert.equal(error.type, 'CommandTimeoutError');
    assert.match(error.message, /Command `python3 stubborn\.py` ran past its 1 s time limit; its process group was killed/);
    assert.ok(elapsed < 20_000, `ended in ${elapsed} ms, not after the 120 s the command would sleep`);
    const pids = await pidsOf(pidFile);
    assert.equal(pids.length, 2);
    for (let i = 0; i < 40 && pids.some(alive); i++) await sleep(25);
    assert.deepEqual(pids.filter(alive), [], 'the agent and its child, both ignoring SIGTERM, are gone');
  });

  it("a runner's stop kills the command's process group (after its grace time)", async () => {
    const pidFile = join(tempDir(), 'pids');
    const pool = startPool({ command: 'python3 stubborn.py', env: { PID_FILE: pidFile }, killGraceMillis: 200 });
    const [queued] = await client.enqueueRollouts([{ input: {} }]);
    const pids = await pidsOf(pidFile);
    await pool.stop({ graceMillis: 100 });
    const attempt = (await client.queryAttempts(queued!.rollout_id)).items[0]!;
    assert.equal(attempt.status, 'failed');
    assert.equal((attempt.metadata as ErrorMetadata).error.type, 'RunnerStoppedError');
    for (let i = 0; i < 40 && pids.some(alive); i++) await sleep(25);
    assert.deepEqual(pids.filter(alive), []);
  });

  it('a command that prints garbage (no reward span, no reward line, no grader) fails its attempt with a clear message', async () => {
    const { rollout, attempt } = await runOne({ command: "echo 'The best room is Nova, I think'" });
    assert.equal(rollout.status, 'failed');
    const error = (attempt.metadata as ErrorMetadata).error;
    assert.equal(error.type, 'CommandNoRewardError');
    assert.match(error.message, /exited 0 but gave no reward: it emitted no reward span and printed `The best room is Nova, I think` last, which is not a reward \(the last stdout line must be a number or \{"reward": …\}\), and there is no grader \(--grader\)/);
    const spans = await queryRows(collector, `SELECT name FROM spans WHERE rollout_id = '${rollout.rollout_id}' ORDER BY name`);
    assert.deepEqual(spans.map((row) => row.name), ['agentlightning.exception', 'agentlightning.rollout']);
  });

  it('a non-zero exit fails the attempt with the exit code, the last stderr line in the message and the stderr tail as its stack', async () => {
    const { rollout, attempt } = await runOne({ command: 'python3 crash.py' });
    assert.equal(rollout.status, 'failed');
    const error = (attempt.metadata as ErrorMetadata).error;
    assert.equal(error.type, 'CommandExitError');
    assert.match(error.message, /exited with code 1: ValueError: no model configured$/);
    assert.ok(error.stack!.includes('--- stderr (last lines) ---'));
    assert.ok(error.stack!.endsWith("ValueError: no model configured"));
    assert.ok(error.stack!.length < 4096 + 300, `the stderr kept is the tail only (${error.stack!.length} characters)`);
    assert.ok(!error.stack!.includes('noise line 0\n'));
  });

  it('output beyond the bound is cut (the last bytes kept, the rest counted) and the reward line still read', async () => {
    const direct = await runCommandProcess({ command: "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo 0.5", env: { PATH: process.env.PATH! }, maxOutputBytes: 64 * 1024 });
    assert.deepEqual(direct.end, { kind: 'exited', code: 0 });
    assert.equal(Buffer.byteLength(direct.stdout), 64 * 1024);
    assert.equal(direct.stdoutDroppedBytes, 3_000_000 + 1 + 4 - 64 * 1024);
    assert.ok(direct.stdout.endsWith('x\n0.5\n'));

    const { rollout } = await runOne({ command: "head -c 3000000 /dev/zero | tr '\\0' y >&2; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo 0.5", maxOutputBytes: 64 * 1024 });
    assert.equal(rollout.status, 'succeeded');
    const rows = await queryRows(
      collector,
      `SELECT (SELECT value FROM final_rewards WHERE rollout_id = '${rollout.rollout_id}') AS reward,
              (SELECT attributes FROM spans WHERE rollout_id = '${rollout.rollout_id}' AND name = 'agentlightning.rollout') AS attributes`,
    );
    assert.equal(rows[0]!.reward, 0.5);
    const attributes = rows[0]!.attributes as Record<string, unknown>;
    assert.equal(attributes['agentlightning.command.stdout_dropped_bytes'], 3_000_005 - 64 * 1024);
    assert.equal(attributes['agentlightning.command.stderr_dropped_bytes'], 3_000_000 - 64 * 1024);
    assert.equal(attributes['process.exit.code'], 0);
  });
});
