import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Ctrl-C for real: `agl train` gets SIGINT once its first round is recorded, exits 130 saying how
 * to resume, and the same command started again continues after that round instead of starting over.
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AGL_SERVER', 'AGL_TOKEN']) delete env[name];
  return env;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `agl train`; when `interruptOn` matches a line of its output, sends SIGINT once. */
function train(args: string[], cwd: string, interruptOn?: RegExp): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGL, 'train', ...args], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const watch = (line: string) => {
      if (interruptOn && !interrupted && interruptOn.test(line)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      watch(line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      watch(line);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function recordedRounds(dbPath: string): Promise<number[]> {
  const database = await Database.open({ path: dbPath, readOnly: true });
  try {
    const result = await runReadOnlyQuery(database, 'SELECT round FROM apo_rounds ORDER BY round');
    return result.rows.map((row) => row[0] as number);
  } finally {
    await database.close();
  }
}

describe('agl train, stopped with Ctrl-C', () => {
  it('exits 130 after SIGINT and resumes after its last completed round', { timeout: 150_000 }, async () => {
    const dir = tempDir('agl-train-interrupt-');
    const dbPath = join(dir, 'train.duckdb');
    const args = ['room-selector', '--db', dbPath, '--out', join(dir, 'best.txt'), '--rounds', '3', '--beam-width', '2', '--branch-factor', '2',
      '--val-batch-size', '6', '--gradient-batch-size', '4', '--runners', '4', '--seed', '3'];

    const first = await train(args, dir, /^round 1 done/);
    assert.equal(first.code, 130, `exit ${first.code}\nstdout:\n${first.stdout}\nstderr:\n${first.stderr}`);
    assert.match(first.stdout + first.stderr, /run the same command again to resume/);
    const afterStop = await recordedRounds(dbPath);
    assert.ok(afterStop.includes(0) && afterStop.includes(1), `rounds recorded before the stop: ${afterStop}`);
    assert.ok(!afterStop.includes(3), `the stopped run should not have finished: ${afterStop}`);

    const second = await train(args, dir);
    assert.equal(second.code, 0, `exit ${second.code}\nstdout:\n${second.stdout}\nstderr:\n${second.stderr}`);
    assert.match(second.stdout, /resuming from it/);
    // The resumed run does not redo the rounds already recorded: it reports only the later ones.
    const redone = [...second.stdout.matchAll(/^round (\d+) done/gm)].map((match) => Number(match[1]));
    assert.ok(redone.every((round) => round > Math.max(...afterStop)), `rounds redone after resume: ${redone} (recorded: ${afterStop})`);
    assert.deepEqual(await recordedRounds(dbPath), [0, 1, 2, 3]);
  });
});
