import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';

/** examples/getting-started: the older server/client API, both scripts as real processes. */

const EXAMPLE = fileURLToPath(new URL('../../examples/getting-started/', import.meta.url));
type Child = ChildProcessByStdio<null, Readable, Readable>;
const children: Child[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function run(script: string, args: string[]): { child: Child; output: () => string; exited: Promise<number | null> } {
  const env = { ...process.env };
  for (const name of ['AGL_SERVER', 'AGL_TOKEN', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', join(EXAMPLE, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

describe('examples/getting-started', () => {
  it('server queues tasks with updateResources/queueTask, the client Trainer({ nWorkers: 2 }).fit(agent, { backend }) runs them, pollCompletedRollout returns the rewards', async () => {
    const server = run('server.ts', ['--port', '0', '--db', join(tempDir(), 'gs.duckdb')]);
    const url = await new Promise<string>((resolve, reject) => {
      server.child.stdout.on('data', () => {
        const found = server.output().match(/listening on (http:\/\/\S+)/);
        if (found) resolve(found[1]);
      });
      void server.exited.then((code) => reject(new Error(`server exited (${code}): ${server.output()}`)));
    });
    const client = run('client.ts', [url]);
    assert.equal(await server.exited, 0, server.output());
    const lines = server.output().split('\n');
    assert.equal(lines.filter((line) => / succeeded: reward 1 for /.test(line)).length, 3, server.output());
    assert.equal(lines.filter((line) => / succeeded: reward 0 for .*Oslo/.test(line)).length, 1, server.output());
    assert.match(server.output(), /mean reward 0\.75/);

    client.child.kill('SIGTERM');
    assert.equal(await client.exited, 0, client.output());
    assert.match(client.output(), /\[agent\] ro-\S+: Hello, Paris!/);
    assert.match(client.output(), /\[client\] stopped/);
  });
});
