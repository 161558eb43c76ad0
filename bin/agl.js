#!/usr/bin/env node
// The `agl` command.
//
// Which code it runs, by one rule: when the package has a `src/` folder beside `bin/` (the git
// checkout) it runs the TypeScript sources, compiled on the fly by tsx, so that what runs is always
// the code being edited and tested; otherwise (the installed package, which ships no `src/`) it runs
// the compiled JavaScript in `dist/` (`npm run build`), with no loader.

// Every DuckDB statement runs on a thread of libuv's pool (4 by default), as do file system calls
// and zlib: four long user queries used to hold all of them and stall ingest. The pool is sized
// before anything uses it (hence the dynamic imports below; static ones would run first), and
// user SQL takes at most a few of its threads (CollectorOptions.sqlMaxRunning).
process.env.UV_THREADPOOL_SIZE ??= '16';
const { existsSync } = await import('node:fs');
let main;
if (existsSync(new URL('../src/', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  ({ main } = await import('../dist/src/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
