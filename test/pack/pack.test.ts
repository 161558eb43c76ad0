import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * The package as a user gets it: `npm pack`, the tarball installed into a project with nothing else,
 * imported by plain `node` (no loader), type-checked by a strict TypeScript consumer
 * (`skipLibCheck: false`), and its `agl` bin training the user's own TypeScript agent.
 *
 * The pack is made from a copy of the working tree (its `node_modules` linked), so that its
 * `prepare` (the dashboard's Vite build and `npm run build`) writes neither `dashboard/dist` nor
 * `dist/` of the checkout, which other tests are using meanwhile.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN_NODE_MODULES = join(ROOT, 'node_modules');
const TSC = join(OWN_NODE_MODULES, 'typescript/bin/tsc');

/** What the copy leaves out: installs, builds and what `prepare` does not read. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'test', 'bench', 'notebooks', 'docs', 'tmp', '.bench', '.ci', 'dashboard/dist']);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child: without npm's lifecycle variables of an enclosing `npm test` (they
 * would point npm at this checkout), a loader in NODE_OPTIONS, or a real model or collector.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('npm_') && !['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(lower)) continue;
    if (['NODE_OPTIONS', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AGL_SERVER', 'AGL_TOKEN', 'AGENT_MODEL', 'APO_GRADIENT_MODEL', 'APO_EDIT_MODEL'].includes(name)) continue;
    env[name] = value;
  }
  return env;
}

function run(file: string, args: string[], cwd: string, timeoutMillis = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: cleanEnv(), timeout: timeoutMillis, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

function ok(result: Run, what: string): Run {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

/** The packages (not paths, not node: builtins) that `source`'s import and export statements and `import()` calls name. */
function importedPackages(source: string): string[] {
  const statements = /^\s*(?:(?:import|export)\b[^'"]*?\bfrom|import|\}\s*from)\s*['"]([^'"]+)['"]/gm;
  const calls = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  const names: string[] = [];
  for (const match of [...source.matchAll(statements), ...source.matchAll(calls)]) {
    const specifier = match[1];
    if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) continue;
    const parts = specifier.split('/');
    names.push(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]);
  }
  return names;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const TICKETS = ['billing', 'bug', 'feature', 'account', 'billing', 'bug'].map((category, index) => ({
  id: `t${index}`,
  text: `Ticket ${index}: the customer writes about a ${category} matter`,
  expected: category,
}));

/** The user's agent: their own module on the plain `openai` SDK, with a task interface. */
const AGENT = `import OpenAI from 'openai';
import { rollout } from 'agentlightning-ts';
import type { PromptTemplate } from 'agentlightning-ts';

interface Ticket { id: string; text: string; expected: string }

const openai = new OpenAI();

export default rollout(async (task: Ticket, prompt: PromptTemplate): Promise<number> => {
  const completion = await openai.chat.completions.create({
    model: process.env.AGENT_MODEL ?? 'gpt-4.1-nano',
    temperature: 0,
    messages: [{ role: 'user', content: prompt.format(task) }],
  });
  return (completion.choices[0]?.message?.content ?? '').toLowerCase().includes(task.expected) ? 1 : 0;
});
`;

/** Plain node, no loader: the library's entry and its CLI entry. */
const USAGE_MJS = `import assert from 'node:assert/strict';
import { APO, Collector, PromptTemplate, Trainer, rollout } from 'agentlightning-ts';
import { main } from 'agentlightning-ts/cli';

assert.equal(typeof main, 'function');
assert.equal(typeof APO, 'function');
const prompt = new PromptTemplate('Triage: {text}');
assert.equal(prompt.format({ text: 'the printer is on fire' }), 'Triage: the printer is on fire');
const agent = rollout(async (task, resources) => (resources.prompt.format(task).includes(task.text) ? 1 : 0));
const outcome = await agent.run({ text: 'refund please' }, { rolloutId: 'ro-pack', attemptId: 'at-pack', resources: { prompt_template: prompt } });
assert.deepEqual(outcome, { output: 1, reward: 1 });
// A prompt's text where a PromptTemplate belongs is refused when given (TypeScript refuses it too).
assert.throws(() => new Trainer({ initialResources: { prompt_template: 'Triage: {text}' } }), (error) => error instanceof TypeError && error.message.includes('got a string (give a prompt as'));
// The installed collector serves the dashboard's build (dashboard/dist, found from dist/collector),
// and its health port from the compiled health thread.
const collector = await Collector.start({ port: 0, dbPath: 'usage.duckdb', healthPort: 0 });
try {
  const health = await fetch(new URL('/v1/agl/health', collector.healthUrl));
  assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
  const page = await fetch(new URL('/', collector.url));
  assert.equal(page.status, 200);
  assert.ok((page.headers.get('content-type') ?? '').startsWith('text/html'));
  assert.ok((await page.text()).includes('<div id="root">'), 'the dashboard page');
} finally {
  await collector.close();
}
console.log('plain node: ok');
`;

/** A strict TypeScript consumer of the published types. */
const CONSUMER_TS = `import OpenAI from 'openai';
import { APO, PromptTemplate, Trainer, rollout } from 'agentlightning-ts';
import type { ApoResult } from 'agentlightning-ts';

interface Ticket {
  id: string;
  text: string;
  expected: string;
}

const prompt = new PromptTemplate('Triage: {text}');
const ticket: Ticket = { id: 't1', text: 'refund please', expected: 'billing' };
const rendered: string = prompt.format(ticket);

const triage = rollout(async (task: Ticket, template: PromptTemplate): Promise<number> => (template.format(task).includes(task.text) ? 1 : 0));

const trainer = new Trainer({
  algorithm: new APO<Ticket>(new OpenAI({ apiKey: 'unused' }), { beamRounds: 1 }),
  nRunners: 2,
  initialResources: { prompt_template: prompt },
});
export async function train(): Promise<unknown> {
  return trainer.fit(triage, { trainDataset: [ticket], valDataset: [ticket] });
}

// A prompt's text is not a PromptTemplate:
// @ts-expect-error string is not a resource
new Trainer({ initialResources: { prompt_template: 'Triage: {text}' } });

export type Result = ApoResult;
export { rendered };
`;

describe('the package installs anywhere (npm pack)', { timeout: 240_000 }, () => {
  // Made here, not in `before`: its removal then runs after the suite, not after the hook.
  const dir = tempDir('agl-pack-');
  const consumer = join(dir, 'consumer');
  let tarballFiles: string[] = [];

  before(async () => {
    const staged = join(dir, 'package');
    cpSync(ROOT, staged, {
      recursive: true,
      filter: (source) => {
        const path = relative(ROOT, source).split('\\').join('/');
        return !NOT_COPIED.has(path) && !/\.duckdb(\.wal)?$/.test(path) && !path.includes('/node_modules');
      },
    });
    symlinkSync(OWN_NODE_MODULES, join(staged, 'node_modules'), 'dir');
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    ok(await run('npm', ['pack', '--pack-destination', packs], staged, 180_000), 'npm pack');
    const [tarball] = readdirSync(packs).filter((name) => name.endsWith('.tgz'));
    assert.ok(tarball, `npm pack wrote no tarball into ${packs}`);
    tarballFiles = ok(await run('tar', ['-tzf', join(packs, tarball)], dir), 'tar -t').stdout.trim().split('\n').map((line) => line.replace(/^package\//, ''));

    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'pack-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    ok(await run('npm', ['install', join(packs, tarball), '--no-audit', '--no-fund', '--prefer-offline'], consumer, 180_000), 'npm install <tarball>');
  });

  it('ships the compiled library, its types, the bin, the dashboard and the .proto files — no sources, tests or benchmarks', () => {
    for (const file of ['package.json', 'README.md', 'bin/agl.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/index.js', 'dist/src/cli/main.js', 'dashboard/dist/index.html']) {
      assert.ok(tarballFiles.includes(file), `${file} is in the tarball`);
    }
    assert.ok(tarballFiles.includes('dist/src/otlp/proto/opentelemetry/proto/collector/trace/v1/trace_service.proto'));
    assert.ok(tarballFiles.includes('dist/src/ingest/decode-worker-bootstrap.mjs'));
    assert.ok(tarballFiles.includes('dist/collector/health/health-worker-bootstrap.mjs'));
    const unexpected = tarballFiles.filter((file) => /(^|\/)(src|test|bench|examples|notebooks)\//.test(file) && !file.startsWith('dist/src/') && !file.startsWith('dashboard/dist/'));
    assert.deepEqual(unexpected, []);
    assert.deepEqual(tarballFiles.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), [], 'no TypeScript sources');
    assert.equal(existsSync(join(consumer, 'node_modules/agentlightning-ts/src')), false, 'the installed package has no src/ (bin/agl.js runs dist/)');
  });

  it('depends on every package its compiled code imports', () => {
    const installed = join(consumer, 'node_modules/agentlightning-ts');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const missing = new Set<string>();
    for (const file of filesUnder(join(installed, 'dist')).filter((path) => /\.(m?js|d\.ts)$/.test(path))) {
      for (const name of importedPackages(readFileSync(file, 'utf8'))) {
        if (name !== 'agentlightning-ts' && !(name in manifest.dependencies)) missing.add(`${name} (${relative(installed, file)})`);
      }
    }
    assert.deepEqual([...missing], []);
  });

  it('imports from a .mjs file with plain node: rollout, PromptTemplate, the CLI entry, a collector serving the dashboard', async () => {
    writeFileSync(join(consumer, 'usage.mjs'), USAGE_MJS);
    const result = ok(await run(process.execPath, ['usage.mjs'], consumer), 'node usage.mjs');
    assert.match(result.stdout, /plain node: ok/);
  });

  it('type-checks a strict TypeScript consumer (skipLibCheck: false): rollout, Trainer, APO, PromptTemplate with a task interface', async () => {
    writeFileSync(join(consumer, 'consumer.ts'), CONSUMER_TS);
    // The consumer's Node types: its own @types/node if a dependency brought one, else this checkout's.
    const ownTypes = existsSync(join(consumer, 'node_modules/@types/node'));
    const compilerOptions = {
      strict: true,
      skipLibCheck: false,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      noEmit: true,
      types: ['node'],
      ...(ownTypes ? {} : { typeRoots: [join(OWN_NODE_MODULES, '@types')] }),
    };
    writeFileSync(join(consumer, 'tsconfig.json'), `${JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2)}\n`);
    ok(await run(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer), `tsc (${basename(TSC)}) -p the consumer`);
  });

  it('runs the installed `agl train --agent ./agent.ts` on the simulated model and saves the best prompt', async () => {
    writeFileSync(join(consumer, 'agent.ts'), AGENT);
    writeFileSync(join(consumer, 'tasks.jsonl'), `${TICKETS.map((task) => JSON.stringify(task)).join('\n')}\n`);
    writeFileSync(join(consumer, 'prompt.txt'), 'Classify this support ticket as billing, bug, feature or account. Answer with the category only.\nTicket: {text}\n');
    const agl = join(consumer, 'node_modules/.bin/agl');
    const result = await run(agl, [
      'train', '--agent', './agent.ts', '--dataset', 'tasks.jsonl', '--val-fraction', '0.5', '--prompt-file', 'prompt.txt', '--db', 'train.duckdb',
      '--rounds', '1', '--beam-width', '1', '--branch-factor', '1', '--val-batch-size', '3', '--gradient-batch-size', '2', '--runners', '2',
    ], consumer);
    ok(result, 'agl train');
    assert.match(result.stderr, /SIMULATED model/);
    assert.match(result.stdout, /rollouts failed: 0/);
    const saved = readFileSync(join(consumer, 'best-prompt.txt'), 'utf8');
    assert.ok(saved.includes('{text}'), `the saved prompt keeps its placeholder:\n${saved}`);
    // The rollouts' spans went through the compiled collector (OTLP protobuf, its decoder threads) into DuckDB.
    const sql = ok(await run(agl, ['sql', 'SELECT count(DISTINCT rollout_id)::INTEGER AS rollouts FROM rewards WHERE rollout_id IS NOT NULL', '--db', 'train.duckdb', '--format', 'json'], consumer), 'agl sql');
    const [row] = JSON.parse(sql.stdout) as { rollouts: number }[];
    assert.ok(row.rollouts >= 3, `rewards of the rollouts recorded: ${sql.stdout}`);
    // The built-in examples are not in the package: said as such.
    const example = await run(agl, ['train', 'room-selector'], consumer);
    assert.equal(example.code, 2, example.stdout + example.stderr);
    assert.match(example.stderr, /the example `room-selector` comes with the project's git checkout \(examples\/\), not with the installed package; train your own agent with --agent/);
  });
});
