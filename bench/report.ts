import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Prints one result line: `bench <name>: <value> <unit> (ratio <r> vs <reference>)`. */
export function printResult(name: string, value: number, unit: string, ratio: number, reference: string): void {
  const shown = value >= 100 ? Math.round(value).toString() : value.toFixed(2);
  console.log(`bench ${name}: ${shown} ${unit} (ratio ${ratio.toFixed(2)} vs ${reference})`);
}

/** A fresh temporary directory for a benchmark's files. */
export function benchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `agl-bench-${name}-`));
}
