#!/usr/bin/env node
// The `agl` command. The project ships TypeScript sources; tsx compiles them on the fly.

// Every DuckDB statement runs on a thread of libuv's pool (4 by default), as do file system calls
// and zlib: four long user queries used to hold all of them and stall ingest. The pool is sized
// before anything uses it (hence the dynamic imports below; static ones would run first), and
// user SQL takes at most a few of its threads (CollectorOptions.sqlMaxRunning).
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
