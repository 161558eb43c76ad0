/**
 * `npm run bench:gateway [-- --quick]`: the LLM gateway's cost. The same chat-completion calls go
 * straight to the simulated model (latency 0) and through the gateway, at concurrency 1 and 64,
 * streamed and not. Prints the latency the gateway adds (p50, p99) and its throughput as a ratio
 * of the direct one; then checks that every gateway call is in `llm_calls`.
 *
 * Like with like: the simulated model and the collector each run in a process of their own (as in
 * production), and this process is the client for both paths, with the same kept-alive agent.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchDir, printResult } from './report.ts';

const AGL = fileURLToPath(new URL('../bin/agl.js', import.meta.url));
const quick = process.argv.includes('--quick');
const CALLS = { 1: quick ? 100 : 400, 64: quick ? 640 : 3200 } as const;
const children: ChildProcess[] = [];

/** Starts `agl <args>` and resolves with the URL its start-up line names. */
async function startProcess(args: string[], pattern: RegExp): Promise<string> {
  const child = spawn(process.execPath, [AGL, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agl ${args[0]} printed no start-up line within 30 s`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`agl ${args[0]} exited with ${code}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One call; resolves with its latency in ms once the whole answer (every chunk) is read. */
function call(url: string, body: string): Promise<number> {
  const started = performance.now();
  return new Promise<number>((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url} answered ${response.statusCode}`));
      response.on('data', () => {});
      response.once('end', () => resolve(performance.now() - started));
      response.once('error', reject);
    });
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/** `calls` calls at `concurrency`; their latencies and the wall time. */
async function schedule(url: string, body: string, calls: number, concurrency: number): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        latencies.push(await call(url, body));
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function sql(server: string, query: string): Promise<unknown[][]> {
  const response = await fetch(`${server}/v1/agl/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  if (!response.ok) throw new Error(`SQL answered ${response.status}: ${await response.text()}`);
  const result = (await response.json()) as { rows: unknown[][] };
  return result.rows;
}

async function main(): Promise<void> {
  const dir = benchDir('gateway');
  const simBase = await startProcess(['sim-llm', '--port', '0', '--latency-ms', '0'], /listening on (http:\/\/\S+\/v1)/);
  const server = await startProcess(
    ['serve', '--port', '0', '--no-grpc', '--db', join(dir, 'agl.duckdb'), '--log-level', 'warn', '--model-upstream', simBase],
    /^agl collector listening on (http:\/\/\S+) /,
  );
  const rollout = (await (await fetch(`${server}/v1/agl/rollouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { bench: true } }) })).json()) as {
    rollout_id: string;
    attempt: { attempt_id: string };
  };
  const gatewayBase = `${server}/v1/agl/gateway/rollouts/${rollout.rollout_id}/attempts/${rollout.attempt.attempt_id}/v1`;
  const messages = [
    { role: 'system', content: 'You are a careful assistant that adds numbers.' },
    { role: 'user', content: 'Calculate the sum from 1 to 40. The range is inclusive.' },
  ];
  console.log(`bench gateway: ${CALLS[1]} calls at concurrency 1, ${CALLS[64]} at 64, direct and through the gateway (simulated model, latency 0; shared machine)`);
  let gatewayCalls = 0;
  for (const stream of [false, true]) {
    const body = JSON.stringify({ model: 'sim-llm', messages, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) });
    const kind = stream ? 'stream' : 'plain';
    for (const concurrency of [1, 64] as const) {
      const calls = CALLS[concurrency];
      // Warm-up of both paths (connections, JIT), not measured.
      await schedule(`${simBase}/chat/completions`, body, 50, Math.min(concurrency, 8));
      await schedule(`${gatewayBase}/chat/completions`, body, 50, Math.min(concurrency, 8));
      gatewayCalls += 50;
      const direct = await schedule(`${simBase}/chat/completions`, body, calls, concurrency);
      const gateway = await schedule(`${gatewayBase}/chat/completions`, body, calls, concurrency);
      gatewayCalls += calls;
      const directP50 = percentile(direct.latencies, 50);
      const gatewayP50 = percentile(gateway.latencies, 50);
      const directP99 = percentile(direct.latencies, 99);
      const gatewayP99 = percentile(gateway.latencies, 99);
      printResult(`gateway_added_p50_c${concurrency}_${kind}`, gatewayP50 - directP50, 'ms', gatewayP50 / directP50, `direct p50 ${directP50.toFixed(2)} ms`);
      printResult(`gateway_added_p99_c${concurrency}_${kind}`, gatewayP99 - directP99, 'ms', gatewayP99 / directP99, `direct p99 ${directP99.toFixed(2)} ms`);
      const directRate = calls / direct.seconds;
      const gatewayRate = calls / gateway.seconds;
      printResult(`gateway_throughput_c${concurrency}_${kind}`, gatewayRate, 'calls/s', gatewayRate / directRate, `direct ${Math.round(directRate)} calls/s`);
    }
  }
  // Every gateway call is recorded (in the background: wait for the last commits).
  const deadline = Date.now() + 30_000;
  let recorded = 0;
  while (Date.now() < deadline) {
    recorded = Number((await sql(server, `SELECT count(*) FROM llm_calls WHERE rollout_id = '${rollout.rollout_id}'`))[0][0]);
    if (recorded >= gatewayCalls) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const sequenced = Number((await sql(server, `SELECT count(DISTINCT sequence_id) FROM llm_calls WHERE rollout_id = '${rollout.rollout_id}'`))[0][0]);
  printResult('gateway_calls_recorded', recorded, 'calls', recorded / gatewayCalls, `${gatewayCalls} gateway calls`);
  if (recorded !== gatewayCalls || sequenced !== gatewayCalls) {
    throw new Error(`Expected ${gatewayCalls} calls in llm_calls with distinct sequence ids, found ${recorded} (${sequenced} distinct sequence ids)`);
  }
}

try {
  await main();
} finally {
  agent.destroy();
  for (const child of children) child.kill('SIGTERM');
}
