#!/usr/bin/env node
// `npm run build` (run by `prepare`, hence by `npm ci` and `npm pack`): compiles src/ and collector/
// into dist/ as ESM with declaration files, the folder structure kept (dist/src, dist/collector) so
// that relative paths between them hold, then adds what the compiled code reads from disk at run time.
// The dashboard is built separately (`npm run build:dashboard`) into dashboard/dist, which the
// compiled collector finds three folders up from dist/collector/routes/.
//
// Nothing in the git checkout runs dist/: bin/agl.js runs the sources when src/ is beside it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(ROOT, 'dist');
const started = performance.now();

rmSync(DIST, { recursive: true, force: true });

const tsc = join(ROOT, 'node_modules/typescript/bin/tsc'); // as `npm run typecheck` runs it
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
if (compiled.status !== 0) {
  process.stderr.write(`build: tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})\n`);
  process.exit(1);
}

// tsc follows the dynamic import of the built-in examples' presets (src/cli/train-config.ts) and
// compiles them too; they need their TypeScript agent modules and data, which the package does not
// ship (`agl train room-selector` is for the git checkout), so their output is dropped.
rmSync(join(DIST, 'examples'), { recursive: true, force: true });

// The OTLP schema is loaded from .proto files beside src/otlp/proto-schema.ts.
cpSync(join(ROOT, 'src/otlp/proto'), join(DIST, 'src/otlp/proto'), { recursive: true });

// The decoder threads start from decode-worker-bootstrap.mjs (src/ingest/decoder-pool.ts). The
// source one registers tsx for decode-worker.ts; the compiled worker needs no loader.
writeFileSync(
  join(DIST, 'src/ingest/decode-worker-bootstrap.mjs'),
  '// Written by scripts/build.mjs: the compiled decoder thread needs no TypeScript loader.\nawait import(\'./decode-worker.js\');\n',
);

// The same for the health port's thread (collector/health/health-listener.ts).
writeFileSync(
  join(DIST, 'collector/health/health-worker-bootstrap.mjs'),
  '// Written by scripts/build.mjs: the compiled health thread needs no TypeScript loader.\nawait import(\'./health-worker.js\');\n',
);

for (const required of ['src/index.js', 'src/index.d.ts', 'src/cli/index.js', 'src/cli/main.js', 'src/ingest/decode-worker.js', 'collector/health/health-worker.js', 'collector/index.js']) {
  if (!existsSync(join(DIST, required))) {
    process.stderr.write(`build: dist/${required} was not written\n`);
    process.exit(1);
  }
}
process.stdout.write(`build: dist/ written in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
