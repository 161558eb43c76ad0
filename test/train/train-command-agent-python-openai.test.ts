import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { agl } from './agl-process.ts';
import { assertCandidatesApplied, assertScores } from './train-command-agent-checks.ts';

/**
 * The room selector on the `openai` Python package (no OpenTelemetry, no Agent Lightning code),
 * trained by `agl train --command` through the gateway. The package is installed with
 * `pip install --target` into a folder under the system's temporary directory, kept between runs
 * (the first install can take minutes on a slow network); when pip cannot install it, the test is
 * skipped and says why.
 */

const EXAMPLES = fileURLToPath(new URL('../../examples/any-language/', import.meta.url));
const ROOM_TASKS = fileURLToPath(new URL('../../examples/room-selector/data/room_tasks.jsonl', import.meta.url));
const TARGET = join(tmpdir(), 'agl-test-python-openai');

function installOpenAi(): string | null {
  const importable = (): boolean => {
    try {
      execFileSync('python3', ['-c', 'import openai'], { env: { ...process.env, PYTHONPATH: TARGET }, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(TARGET) && importable()) return null;
  try {
    execFileSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', TARGET, 'openai'], { stdio: 'pipe', timeout: 240_000 });
  } catch (error) {
    return `pip could not install the openai package into ${TARGET}: ${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim().split('\n').at(-1)}`;
  }
  return importable() ? null : `the openai package installed into ${TARGET} does not import`;
}

describe('agl train --command with the openai Python package', () => {
  const skip = installOpenAi();
  it('trains by APO through the gateway: the candidates reach the model, best validation score above the baseline, every call recorded with its rollout', { timeout: 180_000, skip: skip ?? false }, async () => {
    const dir = tempDir();
    const tasks = readFileSync(ROOM_TASKS, 'utf8').trim().split('\n').slice(0, 16);
    writeFileSync(join(dir, 'tasks.jsonl'), `${tasks.join('\n')}\n`);
    const run = await agl(
      [
        'train', '--command', `python3 ${join(EXAMPLES, 'room_selector_openai.py')}`, '--grader', join(EXAMPLES, 'grader.ts'),
        '--dataset', join(dir, 'tasks.jsonl'), '--val-fraction', '0.5', '--prompt-file', join(EXAMPLES, 'baseline-prompt.txt'), '--db', join(dir, 'o.duckdb'),
        '--rounds', '1', '--beam-width', '1', '--branch-factor', '2', '--val-batch-size', '8', '--gradient-batch-size', '3', '--runners', '4',
      ],
      dir,
      { PYTHONPATH: TARGET },
      170_000,
    );
    assert.equal(run.code, 0, run.stderr);
    // Best > baseline and the candidates reached the model (see train-command-agent-checks.ts).
    assertScores(run.stdout);
    await assertCandidatesApplied(join(dir, 'o.duckdb'), readFileSync(join(EXAMPLES, 'baseline-prompt.txt'), 'utf8'));
    const calls = await agl(['sql', '--db', join(dir, 'o.duckdb'), '--format', 'json',
      "SELECT (SELECT count(*) FROM rollouts r WHERE NOT EXISTS (SELECT 1 FROM llm_calls c WHERE c.rollout_id = r.rollout_id)) AS without_calls, (SELECT count(*) FROM llm_calls WHERE rollout_id IS NULL) AS orphan_calls"], dir);
    assert.equal(calls.code, 0, calls.stderr);
    assert.match(calls.stdout, /"without_calls":\s*0/);
    assert.match(calls.stdout, /"orphan_calls":\s*0/);
  });
});
