import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';

/** `agl sim-llm` as a real process: its start-up line, an answer through the SDK, SIGTERM. */

const AGL = fileURLToPath(new URL('../../bin/agl.js', import.meta.url));
const children: ReturnType<typeof spawn>[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('agl sim-llm', () => {
  it('prints its start-up line, answers chat completions and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [AGL, 'sim-llm', '--port', '0', '--seed', '2', '--latency-ms', '5-10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no start-up line within 15 s')), 15_000);
      createInterface({ input: child.stdout! }).once('line', (text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    const match = /^agl sim-llm listening on (http:\/\/127\.0\.0\.1:\d+\/v1) \(simulated model\)$/.exec(line);
    assert.ok(match, line);
    const client = new OpenAI({ baseURL: match[1], apiKey: 'unused' });
    const response = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Calculate the sum from 1 to 4. The range is inclusive.' }] });
    assert.match(response.choices[0].message.content ?? '', /10\.$/);
    assert.equal(response.system_fingerprint, 'agl-sim-llm');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('rejects a bad option with exit code 2', async () => {
    const child = spawn(process.execPath, [AGL, 'sim-llm', '--error-rate-429', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    assert.equal(code, 2);
    assert.match(stderr, /--error-rate-429 must be in \[0, 1\)/);
  });
});
