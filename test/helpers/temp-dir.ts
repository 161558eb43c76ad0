import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(prefix = 'agl-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Not node:test's `after`: called from a suite's `before` hook, that runs as soon as the hook ends,
  // removing the directory of a collector the suite's tests still use (a DuckDB WAL deleted by a
  // checkpoint then cannot be created again there). Each test file runs in a process of its own.
  if (created.length === 0) process.once('exit', () => created.forEach((path) => rmSync(path, { recursive: true, force: true })));
  created.push(dir);
  return dir;
}
