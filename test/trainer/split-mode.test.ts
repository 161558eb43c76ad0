import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { PromptTemplate } from '../../src/agent/index.ts';
import { Baseline, runAlgorithm } from '../../src/algorithm/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { StoreClient } from '../../src/store/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * The split mode with real processes: `agl serve`, two `agl runner` processes, and this process
 * as the algorithm process (`runAlgorithm(new Baseline(), { store: url, … })`).
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const AGENT = fileURLToPath(new URL('./fixtures/prompt-agent.ts', import.meta.url));
type Child = ChildProcessByStdio<null, Readable, Readable>;
const children: Child[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Spawns `agl <args>` and resolves with the first stdout line matching `ready`. */
async function start(args: string[], ready: RegExp): Promise<{ child: Child; match: RegExpMatchArray; exited: Promise<number | null>; stderr: () => string }> {
  const env = { ...process.env };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'AGL_DB']) delete env[name];
  const child = spawn(process.execPath, [AGL, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const found = stdout.match(ready);
      if (found) resolve(found);
    });
    void exited.then((code) => reject(new Error(`agl ${args[0]} exited (${code}): ${stderr}`)));
  });
  return { child, match, exited, stderr: () => stderr };
}

describe('split mode: agl serve + agl runner processes + an algorithm process', () => {
  it('Baseline runs in this process against the separate collector; the runner processes do the rollouts', async () => {
    const serve = await start(['serve', '--db', join(tempDir(), 'split.duckdb'), '--port', '0', '--log-level', 'warn'], /listening on (http:\/\/\S+)/);
    const url = serve.match[1];
    const runners = await Promise.all(
      [0, 1].map(() => start(['runner', '--server', url, '--agent', AGENT, '--runners', '2', '--log-level', 'warn'], /agl runner: 2 runner\(s\) working for/)),
    );
    const tasks = Array.from({ length: 16 }, (_, i) => ({ q: `q${i}`, expected: i < 4 ? 'absent' : `q${i}` }));
    const result = await runAlgorithm(new Baseline(), {
      store: url,
      valDataset: tasks,
      initialResources: { prompt_template: new PromptTemplate('Q: {q}', 'f-string') },
      log: createLogger('silent'),
    });
    assert.equal(result.total, 16);
    assert.equal(result.succeeded, 16);
    assert.equal(result.meanReward, 12 / 16);

    // The attempts ran in the runner processes' workers (not in this process).
    const client = new StoreClient({ baseUrl: url });
    const workerIds = new Set<string>();
    for (const task of result.tasks) workerIds.add((await client.getLatestAttempt(task.rolloutId))!.worker_id!);
    const pids = new Set([...workerIds].map((id) => Number(id.split('-').at(-3))));
    const runnerPids = new Set(runners.map((runner) => runner.child.pid));
    assert.ok([...pids].every((pid) => runnerPids.has(pid)), `workers ${[...workerIds]} belong to the runner processes ${[...runnerPids]}`);

    for (const runner of runners) runner.child.kill('SIGTERM');
    for (const runner of runners) assert.equal(await runner.exited, 0, runner.stderr());
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.stderr());
  });
});
