/**
 * `npm run bench:gateway [-- --quick] [-- --rounds N] [-- --cpu-prof DIR]`: the LLM gateway's
 * cost. The same chat-completion calls go straight to the simulated model (latency 0) and through
 * the gateway, at concurrency 1 and 64, streamed and not. Prints the latency the gateway adds
 * (p50, p99) and its throughput as a ratio of the direct one; then checks that every gateway call
 * is in `llm_calls`.
 *
 * Like with like: the simulated model and the collector each run in a process of their own (as in
 * production), and this process is the client for both paths, with the same kept-alive agent,
 * the same warm-up (at the measured concurrency) and the same number of calls. Direct and gateway
 * runs alternate, `--rounds` times (the order flips each round), so that the machine's noise shows
 * in the per-round ratios printed beside each figure. The CPU time each process spends per call
 * (client, model, collector and its main thread; from `/proc`) is printed too, so that a client
 * that saturates in one path only would show.
 *
 * At concurrency 64 two references are measured in the same rounds (`bench/reference-proxy.ts`,
 * each in its own process): a bare `node:http` + undici proxy that records nothing, and the same
 * proxy recording every call through the collector's own ingest path into its own DuckDB file. They
 * show how much of the gap to the direct path any Node proxy pays on this machine, how much the
 * recording adds, and how much is the gateway's own.
 *
 * `--cpu-prof DIR` runs the collector under `node --cpu-prof` and writes its profile into DIR.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchDir, printResult } from './report.ts';

const AGL = fileURLToPath(new URL('../bin/agl.js', import.meta.url));
const REFERENCE_PROXY = fileURLToPath(new URL('./reference-proxy.ts', import.meta.url));
const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, 'cpu-prof': { type: 'string' } },
});
const quick = args.quick!;
const ROUNDS = args.rounds === undefined ? (quick ? 1 : 3) : Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new RangeError(`Expected \`--rounds\` to be an integer ≥ 1, got \`${args.rounds}\``);
const CALLS = { 1: quick ? 200 : 600, 64: quick ? 1280 : 3200 } as const;
const WARM_UP_CALLS = { 1: 100, 64: 640 } as const;
const children = new Map<string, ChildProcess>();

/** Starts `node <nodeArgs> <script> <args>` and resolves with the URL its start-up line names. */
async function startProcess(name: string, args: string[], pattern: RegExp, nodeArgs: string[] = [], script = AGL): Promise<string> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.set(name, child);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no start-up line within 30 s`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

/**
 * CPU seconds (user + system) a child process has used so far, or only its main thread (the one
 * that runs JavaScript) with `mainThread`; `NaN` where `/proc` is missing.
 */
function childCpuSeconds(pid: number | undefined, mainThread = false): number {
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds used so far by the client (this process), the model and the proxy process `proxy`
 * (the collector or a reference; and its main thread).
 */
function cpuNow(proxy: string): Run['cpu'] {
  const usage = process.cpuUsage();
  return {
    client: (usage.user + usage.system) / 1e6,
    model: childCpuSeconds(children.get('model')?.pid),
    proxy: childCpuSeconds(children.get(proxy)?.pid),
    proxyMain: childCpuSeconds(children.get(proxy)?.pid, true),
  };
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

interface Run {
  latencies: number[];
  seconds: number;
  /** CPU seconds used during the run, per process (the proxy: the collector or a reference), and by the proxy's main thread. */
  cpu: { client: number; model: number; proxy: number; proxyMain: number };
}

/** `calls` calls at `concurrency` through `proxy` (the process named so, if any); their latencies, the wall time and the CPU each process used. */
async function schedule(url: string, body: string, calls: number, concurrency: number, proxy = 'collector'): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpuNow(proxy);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next++;
        latencies.push(await call(url, body));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuNow(proxy);
  return {
    latencies,
    seconds,
    cpu: {
      client: cpuAfter.client - cpuBefore.client,
      model: cpuAfter.model - cpuBefore.model,
      proxy: cpuAfter.proxy - cpuBefore.proxy,
      proxyMain: cpuAfter.proxyMain - cpuBefore.proxyMain,
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The runs of one path taken together: pooled latencies, total time and CPU. */
function pooled(runs: Run[]): Run {
  return {
    latencies: runs.flatMap((run) => run.latencies).sort((a, b) => a - b),
    seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
    cpu: {
      client: runs.reduce((sum, run) => sum + run.cpu.client, 0),
      model: runs.reduce((sum, run) => sum + run.cpu.model, 0),
      proxy: runs.reduce((sum, run) => sum + run.cpu.proxy, 0),
      proxyMain: runs.reduce((sum, run) => sum + run.cpu.proxyMain, 0),
    },
  };
}

/** Microseconds of CPU per call of each process, e.g. `client 61 µs, model 70 µs, collector 0 µs (main thread 0 µs)`. */
function cpuPerCall(run: Run, calls: number, proxy = 'collector'): string {
  const micros = (seconds: number) => (Number.isNaN(seconds) ? '?' : String(Math.round((seconds * 1e6) / calls)));
  return `client ${micros(run.cpu.client)} µs, model ${micros(run.cpu.model)} µs, ${proxy} ${micros(run.cpu.proxy)} µs (main thread ${micros(run.cpu.proxyMain)} µs)`;
}

const rounded = (values: number[]) => values.map((value) => value.toFixed(2)).join('/');

async function sql(server: string, query: string): Promise<unknown[][]> {
  const response = await fetch(`${server}/v1/agl/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  if (!response.ok) throw new Error(`SQL answered ${response.status}: ${await response.text()}`);
  const result = (await response.json()) as { rows: unknown[][] };
  return result.rows;
}

async function main(): Promise<void> {
  const dir = benchDir('gateway');
  const simBase = await startProcess('model', ['sim-llm', '--port', '0', '--latency-ms', '0'], /listening on (http:\/\/\S+\/v1)/);
  const profileArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [];
  const server = await startProcess(
    'collector',
    ['serve', '--port', '0', '--no-grpc', '--db', join(dir, 'agl.duckdb'), '--log-level', 'warn', '--model-upstream', simBase],
    /^agl collector listening on (http:\/\/\S+) /,
    profileArgs,
  );
  const rollout = (await (await fetch(`${server}/v1/agl/rollouts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { bench: true } }) })).json()) as {
    rollout_id: string;
    attempt: { attempt_id: string };
  };
  const gatewayBase = `${server}/v1/agl/gateway/rollouts/${rollout.rollout_id}/attempts/${rollout.attempt.attempt_id}/v1`;
  const referencePattern = /^reference proxy listening on (http:\/\/\S+\/v1)/;
  const bareBase = await startProcess('bare proxy', [simBase], referencePattern, ['--import', 'tsx'], REFERENCE_PROXY);
  const recordingBase = await startProcess('recording proxy', [simBase, '--record', '--db', join(dir, 'reference.duckdb')], referencePattern, ['--import', 'tsx'], REFERENCE_PROXY);
  const messages = [
    { role: 'system', content: 'You are a careful assistant that adds numbers.' },
    { role: 'user', content: 'Calculate the sum from 1 to 40. The range is inclusive.' },
  ];
  console.log(
    `bench gateway: ${CALLS[1]} calls at concurrency 1, ${CALLS[64]} at 64, direct and through the gateway alternating, ${ROUNDS} round(s) each after ` +
      `an equal warm-up (simulated model, latency 0; client, model and collector in 3 processes on a shared ${(await import('node:os')).availableParallelism()}-core machine); ` +
      `at 64 also through two reference proxies (bench/reference-proxy.ts: bare, and recording through the collector's ingest path)`,
  );
  let gatewayCalls = 0;
  for (const stream of [false, true]) {
    const body = JSON.stringify({ model: 'sim-llm', messages, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) });
    const kind = stream ? 'stream' : 'plain';
    const paths = {
      direct: `${simBase}/chat/completions`,
      gateway: `${gatewayBase}/chat/completions`,
      bare: `${bareBase}/chat/completions`,
      recording: `${recordingBase}/chat/completions`,
    };
    const proxyOf = { direct: 'collector', gateway: 'collector', bare: 'bare proxy', recording: 'recording proxy' } as const;
    for (const concurrency of [1, 64] as const) {
      const calls = CALLS[concurrency];
      const measured = concurrency === 64 ? (['direct', 'gateway', 'bare', 'recording'] as const) : (['direct', 'gateway'] as const);
      // Warm-up of every path (connections up to the measured concurrency, JIT), not measured.
      for (const path of measured) await schedule(paths[path], body, WARM_UP_CALLS[concurrency], concurrency, proxyOf[path]);
      gatewayCalls += WARM_UP_CALLS[concurrency];
      const runs: Record<(typeof measured)[number], Run[]> = { direct: [], gateway: [], bare: [], recording: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const path of round % 2 === 0 ? measured : [...measured].reverse()) {
          runs[path].push(await schedule(paths[path], body, calls, concurrency, proxyOf[path]));
        }
      }
      gatewayCalls += calls * ROUNDS;
      const direct = pooled(runs.direct);
      const gateway = pooled(runs.gateway);
      const roundP50s = runs.gateway.map((run, index) => {
        const sortedGateway = [...run.latencies].sort((a, b) => a - b);
        const sortedDirect = [...runs.direct[index].latencies].sort((a, b) => a - b);
        return percentile(sortedGateway, 50) - percentile(sortedDirect, 50);
      });
      const roundRatios = runs.gateway.map((run, index) => runs.direct[index].seconds / run.seconds);
      const directP50 = percentile(direct.latencies, 50);
      const gatewayP50 = percentile(gateway.latencies, 50);
      const directP99 = percentile(direct.latencies, 99);
      const gatewayP99 = percentile(gateway.latencies, 99);
      printResult(
        `gateway_added_p50_c${concurrency}_${kind}`,
        gatewayP50 - directP50,
        'ms',
        gatewayP50 / directP50,
        `direct p50 ${directP50.toFixed(2)} ms; per round added ${rounded(roundP50s)} ms`,
      );
      printResult(`gateway_added_p99_c${concurrency}_${kind}`, gatewayP99 - directP99, 'ms', gatewayP99 / directP99, `direct p99 ${directP99.toFixed(2)} ms`);
      const directRate = (calls * ROUNDS) / direct.seconds;
      const gatewayRate = (calls * ROUNDS) / gateway.seconds;
      printResult(
        `gateway_throughput_c${concurrency}_${kind}`,
        gatewayRate,
        'calls/s',
        gatewayRate / directRate,
        `direct ${Math.round(directRate)} calls/s; per round ratio ${rounded(roundRatios)}, median ${median(roundRatios).toFixed(2)}`,
      );
      console.log(
        `  cpu per call c${concurrency} ${kind}: direct ${cpuPerCall(direct, calls * ROUNDS)}; gateway ${cpuPerCall(gateway, calls * ROUNDS)}; ` +
          `client busy ${((100 * direct.cpu.client) / direct.seconds).toFixed(0)}% of a core direct, ${((100 * gateway.cpu.client) / gateway.seconds).toFixed(0)}% through the gateway`,
      );
      if (concurrency !== 64) continue;
      for (const reference of ['bare', 'recording'] as const) {
        const pooledReference = pooled(runs[reference]);
        const rate = (calls * ROUNDS) / pooledReference.seconds;
        const ratios = runs[reference].map((run, index) => runs.direct[index].seconds / run.seconds);
        printResult(
          `gateway_reference_${reference}_throughput_c64_${kind}`,
          rate,
          'calls/s',
          rate / directRate,
          `direct ${Math.round(directRate)} calls/s; per round ratio ${rounded(ratios)}; the gateway's throughput is ${(gatewayRate / rate).toFixed(2)}x this reference's`,
        );
        console.log(
          `  ${reference === 'bare' ? 'bare proxy (nothing recorded)' : 'recording proxy (bare + every call through the ingest path)'} c64 ${kind}: ` +
            `cpu per call ${cpuPerCall(pooledReference, calls * ROUNDS, 'proxy')}`,
        );
      }
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
  // Wait for the children to shut down (the collector writes its CPU profile as it exits).
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}
