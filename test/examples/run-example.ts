import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Json } from '@duckdb/node-api';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What an example script printed and how it ended. */
export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an example script as a user would (`node --import tsx <script> …args`) from the project
 * root, with `OPENAI_BASE_URL` unset so the script starts the simulated model itself.
 */
export function runExample(script: string, args: readonly string[], { timeoutMillis = 40_000, env = {} }: { timeoutMillis?: number; env?: Record<string, string> } = {}): Promise<ExampleRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AGL_SERVER', 'MATH_AGENT_MEMORY', 'MATH_AGENT_MODEL', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    if (!(name in env)) delete childEnv[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish in ${timeoutMillis} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMillis);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Rows of a query on a DuckDB file the collector has closed, opened read-only. */
export async function queryFile(path: string, sql: string): Promise<Record<string, Json>[]> {
  const database = await Database.open({ path, readOnly: true });
  try {
    const result = await runReadOnlyQuery(database, sql, { maxRows: 100_000 });
    return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
  } finally {
    await database.close();
  }
}
