import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { runExample } from '../examples/run-example.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Every notebook in notebooks/ is executed headlessly (`jupyter nbconvert --execute`, the tslab
 * TypeScript kernel) against the DuckDB file of a short real training on the simulated model
 * (`agl train room-selector`, one APO round). Any cell error fails; every code cell must show something.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const notebooksDir = join(root, 'notebooks');
const notebooks = readdirSync(notebooksDir).filter((name) => name.endsWith('.ipynb')).sort();

const jupyter = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' });
const jupyterMissing = jupyter.status !== 0 ? `jupyter nbconvert is not installed (apt-get install $(cat .ci/apt-packages)): ${jupyter.error?.message ?? jupyter.stderr}` : null;
if (jupyterMissing && process.env.CI) throw new Error(jupyterMissing);

interface Cell {
  cell_type: string;
  source: string[];
  outputs?: { output_type: string; name?: string; text?: string[]; data?: Record<string, string[]> }[];
}

const dir = tempDir('agl-notebooks-');
const dbPath = join(dir, 'train.duckdb');
const jupyterPath = join(dir, 'jupyter');

function execute(notebook: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=120', '--output-dir', join(dir, 'out'), join(notebooksDir, notebook)], {
      cwd: notebooksDir,
      env: { ...process.env, AGL_DB: dbPath, JUPYTER_PATH: jupyterPath, JUPYTER_RUNTIME_DIR: join(dir, 'runtime') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const executed = new Map<string, { code: number | null; stderr: string }>();

describe('notebooks, executed headlessly with the tslab kernel', { skip: jupyterMissing ?? false }, () => {
  before(async () => {
    const train = await runExample('bin/agl.js', ['train', 'room-selector', '--db', dbPath, '--fresh', '--rounds', '1', '--beam-width', '1', '--branch-factor', '2', '--runners', '4', '--log-level', 'warn'], { timeoutMillis: 90_000 });
    assert.equal(train.code, 0, train.stderr);
    // The kernel spec `tslab install` would write, in a directory of our own: tslab from node_modules, run by this node.
    mkdirSync(join(jupyterPath, 'kernels', 'tslab'), { recursive: true });
    writeFileSync(
      join(jupyterPath, 'kernels', 'tslab', 'kernel.json'),
      JSON.stringify({ argv: [process.execPath, join(root, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript (tslab)', language: 'typescript' }),
    );
    for (const notebook of notebooks) executed.set(notebook, await execute(notebook)); // one kernel at a time: a shared 2-core machine
  });

  test('there are notebooks, each for the tslab kernel, committed without outputs', () => {
    assert.ok(notebooks.length >= 3, notebooks.join(', '));
    for (const notebook of notebooks) {
      const parsed = JSON.parse(readFileSync(join(notebooksDir, notebook), 'utf8')) as { cells: Cell[]; metadata: { kernelspec: { name: string } } };
      assert.equal(parsed.metadata.kernelspec.name, 'tslab', notebook);
      assert.ok(parsed.cells.every((cell) => (cell.outputs ?? []).length === 0), `${notebook} is committed without outputs`);
    }
  });

  for (const notebook of notebooks) {
    test(`${notebook}: every cell runs and shows something`, () => {
      const run = executed.get(notebook)!;
      assert.equal(run.code, 0, `nbconvert failed:\n${run.stderr.slice(-4000)}`);
      const output = JSON.parse(readFileSync(join(dir, 'out', notebook), 'utf8')) as { cells: Cell[] };
      const code = output.cells.filter((cell) => cell.cell_type === 'code');
      assert.ok(code.length >= 3, 'a few queries at least');
      for (const cell of code) {
        const source = cell.source.join('');
        const outputs = cell.outputs ?? [];
        assert.ok(outputs.length > 0, `no output from:\n${source}`);
        for (const item of outputs) {
          assert.notEqual(item.output_type, 'error', source);
          assert.notEqual(item.name, 'stderr', `${source}\nwrote to stderr: ${(item.text ?? []).join('')}`);
        }
        const text = outputs.map((item) => [...(item.text ?? []), ...(item.data?.['text/html'] ?? [])].join('')).join('');
        assert.ok(text.trim().length > 0, `empty output from:\n${source}`);
      }
    });
  }

  test('the numbers are those of the training', () => {
    const shown = (notebook: string) => readFileSync(join(dir, 'out', notebook), 'utf8');
    const training = shown('training-progress.ipynb');
    assert.match(training, /APO rounds \(2 rows\)/, 'round 0 (the baseline) and round 1');
    assert.match(training, /Reward by prompt version and mode \(\d+ rows\)/);
    // Two rows, or one when no candidate of the single round validated above the baseline (APO's
    // proposals vary from run to run; the notebook then shows the baseline alone).
    assert.match(training, /Baseline and best-validated template \([12] rows\)/);
    assert.match(shown('failure-taxonomy.ipynb'), /Rollouts by outcome \(\d+ rows\)[\s\S]*correct/);
    assert.match(shown('model-performance.ipynb'), /gpt-4\.1-nano/);
    assert.match(shown('model-performance.ipynb'), /Slowest spans \(10 rows\)/);
  });
});
