import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startTarget } from '../forward/target.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * `agl train` as a real process, on the simulated model (started by the command itself): the
 * training runs to its end, prints the final table, saves the best prompt, and the best prompt's
 * validation score beats the baseline's.
 */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const PLACEHOLDERS = ['{date}', '{time}', '{duration_min}', '{attendees}', '{needs}', '{accessible_required}'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of every child: nothing inherited that would point it at a real model or another collector. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AGL_SERVER', 'AGL_TOKEN', 'AGENT_MODEL', 'APO_GRADIENT_MODEL', 'APO_EDIT_MODEL']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function agl(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMillis = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AGL, ...args], { cwd, env: childEnv(env), timeout: timeoutMillis, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function scoreLine(stdout: string, label: string): number {
  const match = new RegExp(`^${label} validation score: (\\d+\\.\\d+)`, 'm').exec(stdout);
  assert.ok(match, `no "${label} validation score" line in:\n${stdout}`);
  return Number(match[1]);
}

describe('agl train', () => {
  it('trains the room selector on the simulated model: table, saved best prompt, better than the baseline', { timeout: 90_000 }, async () => {
    const dir = tempDir('agl-train-');
    const out = join(dir, 'best.txt');
    const started = Date.now();
    const run = await agl(
      ['train', 'room-selector', '--db', join(dir, 'train.duckdb'), '--out', out, '--rounds', '1', '--beam-width', '2', '--branch-factor', '2',
        '--val-batch-size', '6', '--gradient-batch-size', '4', '--runners', '4', '--seed', '1'],
      dir,
    );
    assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
    // Loud about the simulated model, and the collector's URL printed for `agl sql --server`.
    assert.match(run.stderr, /SIMULATED model/);
    assert.match(run.stdout, /^collector: http:\/\/127\.0\.0\.1:\d+ /m);
    assert.match(run.stdout, /agl sql --server http:\/\/127\.0\.0\.1:\d+ /);
    // Progress: at least one line with the rollout counts (plain lines: stderr is not a terminal here).
    assert.match(run.stderr, /rollouts \d+ done, \d+ running, \d+ queued, \d+ failed · best/);
    // The final table: the baseline row and round 1, with resources ids.
    assert.match(run.stdout, /│ baseline +│ 0 +│ rs-[0-9a-f]+ +│ \d\.\d{3} /);
    assert.match(run.stdout, /│ 1 +│ \d+ +│ rs-[0-9a-f]+ +│ \d\.\d{3} /);
    const baseline = scoreLine(run.stdout, 'baseline');
    const best = scoreLine(run.stdout, 'best');
    assert.ok(best > baseline, `best ${best} should beat the baseline ${baseline}`);
    // The best prompt: saved, the one printed, every placeholder kept, and not the baseline prompt.
    const saved = readFileSync(out, 'utf8').trim();
    assert.ok(run.stdout.includes(`best prompt (saved to ${out}):\n${saved}\n`), 'the saved prompt is the one printed');
    for (const name of PLACEHOLDERS) assert.ok(saved.includes(name), `${name} kept in the best prompt`);
    assert.notEqual(saved.split('\n')[0], saved, 'the best prompt is an edited one (more than the baseline line)');

    // The same training again on the same database (the runners are not part of a run's identity):
    // APO resumes after its last round, scoring nothing new.
    const again = await agl(
      ['train', 'room-selector', '--db', join(dir, 'train.duckdb'), '--out', out, '--rounds', '1', '--beam-width', '2', '--branch-factor', '2',
        '--val-batch-size', '6', '--gradient-batch-size', '4', '--runners', '2', '--seed', '1'],
      dir,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /resuming from it/);
    assert.match(again.stderr, /APO run apo-[0-9a-f]{12}: resuming after round 1 /);
    assert.equal(scoreLine(again.stdout, 'best'), best);
    assert.equal(scoreLine(again.stdout, 'baseline'), baseline);
  });

  it('--server trains against a running collector; --traces-endpoint sends the spans elsewhere (here a relay to it)', { timeout: 90_000 }, async () => {
    const dir = tempDir('agl-train-server-');
    const collector = await startTestCollector();
    const relay = await startTarget(() => 'proxy', collector.url);
    try {
      const run = await agl(
        ['train', 'room-selector', '--server', collector.url, '--traces-endpoint', relay.url, '--out', join(dir, 'best.txt'), '--rounds', '1',
          '--beam-width', '1', '--branch-factor', '2', '--val-batch-size', '4', '--gradient-batch-size', '2', '--runners', '4', '--seed', '1'],
        dir,
      );
      assert.equal(run.code, 0, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
      assert.match(run.stdout, new RegExp(`^collector: ${collector.url} \\(agl serve`, 'm'));
      assert.ok(relay.received.length > 0, 'the spans went through the traces endpoint');
      // The collector has the training: its rounds, and the agent's LLM calls attributed to rollouts.
      const [rounds] = await queryRows(collector, 'SELECT count(*)::INTEGER AS n FROM apo_rounds');
      assert.equal(rounds.n, 2, 'the baseline and round 1');
      const [calls] = await queryRows(collector, 'SELECT count(*)::INTEGER AS n FROM llm_calls WHERE rollout_id IS NOT NULL');
      assert.ok((calls.n as number) > 0, 'LLM calls of rollouts arrived through the relay');

      const refused = await agl(['train', 'room-selector', '--server', collector.url, '--db', join(dir, 'x.duckdb')], dir);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--db, --fresh and --port are for the collector agl train starts/);
    } finally {
      await relay.close();
      await collector.close();
    }
  });

  it('takes a JSON or YAML config, flags overriding it, and refuses unknown keys and bad files', { timeout: 60_000 }, async () => {
    const dir = tempDir('agl-train-config-');
    const config = join(dir, 'train.json');
    writeFileSync(config, JSON.stringify({ example: 'room-selector', algorithm: 'apo', runners: 4, seed: 1, apo: { beamRounds: 3, beamWidth: 2, branchFactor: 1, valBatchSize: 4 } }));
    const run = await agl(['train', '--config', config, '--rounds', '0', '--db', join(dir, 'c.duckdb')], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /APO: 0 rounds, beam width 2, branch factor 1, val batch 4, gradient batch 4, seed 1; 4 runners/);
    assert.match(run.stdout, /│ baseline /);
    assert.doesNotMatch(run.stdout, /│ 1 +│/);
    // Best-prompt file next to the db by default.
    assert.ok(readFileSync(join(dir, 'best-prompt.txt'), 'utf8').includes('{accessible_required}'));

    writeFileSync(config, JSON.stringify({ example: 'room-selector', apo: { beamRound: 3 } }));
    const unknown = await agl(['train', '--config', config], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown APO option `apo\.beamRound`/);
    // The same configuration as YAML.
    const yamlConfig = join(dir, 'train.yaml');
    writeFileSync(yamlConfig, 'example: room-selector\nrunners: 3\nseed: 2\napo:\n  beamWidth: 2\n  branchFactor: 1\n  valBatchSize: 4\n');
    const yaml = await agl(['train', '--config', yamlConfig, '--rounds', '0', '--db', join(dir, 'y.duckdb')], dir);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /APO: 0 rounds, beam width 2, branch factor 1, val batch 4, gradient batch 4, seed 2; 3 runners/);
    writeFileSync(yamlConfig, 'example: [unclosed\n');
    const badYaml = await agl(['train', '--config', yamlConfig], dir);
    assert.equal(badYaml.code, 2);
    assert.match(badYaml.stderr, /--config .*train\.yaml/);
    const example = await agl(['train', 'math-wizard'], dir);
    assert.equal(example.code, 2);
    assert.match(example.stderr, /unknown example `math-wizard`/);
  });

  it('never falls back to the simulated model when a real one was asked for', { timeout: 60_000 }, async () => {
    const dir = tempDir('agl-train-real-');
    // A port that refuses connections: bound, then closed.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const run = await agl(['train', 'room-selector', '--db', join(dir, 'r.duckdb'), '--rounds', '0'], dir, { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /cannot be reached.*Not falling back to the simulated model/);
    assert.doesNotMatch(run.stderr + run.stdout, /SIMULATED/);
  });
});
