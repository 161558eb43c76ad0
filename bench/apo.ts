/**
 * APO benchmark: the wall-clock of one APO round (round 1, after the initial validation) on the
 * room selector, against two references:
 *
 * - the lower bound of that round set by the model's latency alone: its rollouts × the model time
 *   of one rollout (its model calls × the simulated latency) ÷ runners, plus the chain of dependent
 *   model calls outside rollouts (each child's critique then edit) × the simulated latency; the
 *   rollouts and the calls are counted in the run, the latency is the configured one;
 * - the same round on Agent Lightning's schedule (APO's `schedule: 'sequential'`: children one at a
 *   time, candidates validated one at a time, rollouts polled every 2 s).
 *
 * Each schedule runs in a process of its own (this file, spawned with `--child <schedule>`), with its
 * own simulated model and collector, and prints its figures as one JSON line on stdout; nothing one
 * run leaves behind (tracing, timers, caches) can touch the other.
 *
 *   npm run bench:apo              default APO hyperparameters (beam 4, branch 4, val batch 16, gradient batch 4)
 *   npm run bench:apo -- --quick   beam 2, branch 2, val batch 8
 *
 * The simulated model answers every call after a fixed latency (`--latency-ms`, default 100); 8 runners.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { Collector } from '../collector/index.ts';
import { APO, PromptTemplate, Trainer } from '../src/index.ts';
import type { ApoOptions, ApoResult } from '../src/index.ts';
import { createLogger } from '../src/logging/index.ts';
import { SimLlmServer } from '../src/sim-llm/index.ts';
import { runReadOnlyQuery } from '../src/storage/index.ts';
import { BASELINE_PROMPT, createRoomSelectorAgent } from '../examples/room-selector/room-agent.ts';
import { TRAIN_TASKS, VAL_TASKS } from '../examples/room-selector/room-data.ts';
import type { RoomTask } from '../examples/room-selector/room-data.ts';
import { benchDir, printResult } from './report.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '100' },
    runners: { type: 'string', default: '8' },
    seed: { type: 'string', default: '0' },
    child: { type: 'string' },
  },
});
const latencyMillis = Number(values['latency-ms']);
const runners = Number(values.runners);
const seed = Number(values.seed);
const hyper: ApoOptions<RoomTask> = values.quick ? { beamWidth: 2, branchFactor: 2, valBatchSize: 8, gradientBatchSize: 4 } : {}; // {}: APO's defaults
const dir = benchDir('apo');

type Schedule = 'concurrent' | 'sequential';

/** What one schedule's child process reports (its last stdout line, as JSON). */
interface RoundMeasure {
  roundSeconds: number;
  rollouts: number;
  /** The agent's model calls recorded in `llm_calls` for the round's rollouts. */
  llmCalls: number;
  meanRolloutSeconds: number;
  children: number;
  apoCalls: number;
  meanApoCallSeconds: number;
  candidates: number;
  bestScore: number | null;
}

/** One training of the initial validation and one round, on `schedule`; measures round 1. */
async function measure(schedule: Schedule, sim: SimLlmServer): Promise<RoundMeasure> {
  const logger = createLogger('warn');
  const collector = await Collector.start({ dbPath: `${dir}/${schedule}.duckdb`, port: 0, logger });
  // APO's own model calls (critique, edit), timed: they go through their own client.
  const apoCalls: { round: number; seconds: number }[] = [];
  let round = 0;
  const timedFetch: typeof fetch = async (input, init) => {
    const started = performance.now();
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    apoCalls.push({ round, seconds: (performance.now() - started) / 1000 });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const apoClient = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim', fetch: timedFetch });
  const agentClient = new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' });
  const roundEnds = new Map<number, number>();
  const trainer = new Trainer<RoomTask, ApoResult>({
    algorithm: new APO<RoomTask>(apoClient, {
      ...hyper,
      beamRounds: 1,
      seed,
      schedule,
      onRound: (record) => {
        roundEnds.set(record.round, performance.now());
        round = record.round + 1;
      },
    }),
    nRunners: runners,
    store: collector.url,
    initialResources: { prompt_template: new PromptTemplate(BASELINE_PROMPT) },
    runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
    logger,
  });
  try {
    const result = await trainer.fit(createRoomSelectorAgent({ openai: agentClient }), { trainDataset: TRAIN_TASKS, valDataset: VAL_TASKS });
    const query = await runReadOnlyQuery(
      collector.database,
      `SELECT count(*), avg(a.end_time - a.start_time)
       FROM rollouts r JOIN attempts a ON a.rollout_id = r.rollout_id AND a.attempt_id = r.latest_attempt_id
       WHERE (r.metadata->>'apo_round')::INTEGER = 1`,
    );
    const [count, mean] = query.rows[0] as [number, number];
    const llm = await runReadOnlyQuery(
      collector.database,
      `SELECT count(*) FROM llm_calls c JOIN rollouts r ON r.rollout_id = c.rollout_id
       WHERE (r.metadata->>'apo_round')::INTEGER = 1`,
    );
    const calls = apoCalls.filter((call) => call.round === 1);
    const options = new APO(apoClient, hyper).options;
    return {
      roundSeconds: (roundEnds.get(1)! - roundEnds.get(0)!) / 1000,
      rollouts: Number(count),
      llmCalls: Number(llm.rows[0]?.[0] ?? 0),
      meanRolloutSeconds: Number(mean),
      children: options.beamWidth * options.branchFactor,
      apoCalls: calls.length,
      meanApoCallSeconds: calls.reduce((sum, call) => sum + call.seconds, 0) / Math.max(1, calls.length),
      candidates: result.rounds[1]?.candidates.length ?? 0,
      bestScore: result.bestScore,
    };
  } finally {
    await collector.close();
  }
}

/** Child: one schedule, with its own simulated model; the figures as the last stdout line. */
async function runChild(schedule: Schedule): Promise<void> {
  const sim = await SimLlmServer.start({ port: 0, seed, latencyMillis });
  try {
    const measured = await measure(schedule, sim);
    process.stdout.write(`${JSON.stringify(measured)}\n`);
  } finally {
    await sim.close();
  }
}

/** Parent: runs `schedule` in a child process of its own and reads its figures. */
function spawnSchedule(schedule: Schedule): Promise<RoundMeasure> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', schedule, '--latency-ms', String(latencyMillis), '--runners', String(runners), '--seed', String(seed)];
  if (values.quick) args.push('--quick');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`the ${schedule} run exited with ${signal ?? code}: ${stdout}`));
      try {
        resolve(JSON.parse(last) as RoundMeasure);
      } catch (error) {
        reject(new Error(`the ${schedule} run printed no figures: ${stdout}`, { cause: error }));
      }
    });
  });
}

/** Model calls per rollout, to two decimals. */
function callsPerRollout(measure: RoundMeasure): number {
  return measure.llmCalls / Math.max(1, measure.rollouts);
}

if (values.child !== undefined) {
  if (values.child !== 'concurrent' && values.child !== 'sequential') throw new RangeError(`Expected \`--child\` to be concurrent or sequential, got \`${values.child}\``);
  await runChild(values.child);
} else {
  const shown = new APO(new OpenAI({ baseURL: 'http://127.0.0.1:1/v1', apiKey: 'sim' }), hyper).options;
  console.log(
    `APO round 1 on the room selector: beam ${shown.beamWidth}, branch ${shown.branchFactor}, val batch ${shown.valBatchSize}, ` +
      `gradient batch ${shown.gradientBatchSize}; ${runners} runners; simulated model at ${latencyMillis} ms a call; each schedule in its own process`,
  );
  const latencySeconds = latencyMillis / 1000;
  const ours = await spawnSchedule('concurrent');
  const modelSecondsPerRollout = callsPerRollout(ours) * latencySeconds;
  const callsPerChain = ours.apoCalls / ours.children;
  const chainSeconds = callsPerChain * latencySeconds;
  const lowerBound = (ours.rollouts * modelSecondsPerRollout) / runners + chainSeconds;
  console.log(
    `our schedule: ${ours.roundSeconds.toFixed(2)} s; ${ours.rollouts} rollouts (${ours.meanRolloutSeconds.toFixed(3)} s mean), ` +
      `${ours.llmCalls} LLM calls (${callsPerRollout(ours).toFixed(2)} per rollout), ` +
      `${ours.apoCalls} APO model calls (${callsPerChain.toFixed(1)} dependent per child, ${ours.meanApoCallSeconds.toFixed(3)} s mean), ${ours.candidates} candidates; ` +
      `lower bound ${ours.rollouts} × ${modelSecondsPerRollout.toFixed(3)} s ÷ ${runners} + ${callsPerChain.toFixed(1)} × ${latencySeconds.toFixed(3)} s = ${lowerBound.toFixed(2)} s`,
  );
  const sequential = await spawnSchedule('sequential');
  console.log(
    `Agent Lightning's schedule: ${sequential.roundSeconds.toFixed(2)} s; ${sequential.rollouts} rollouts (${sequential.meanRolloutSeconds.toFixed(3)} s mean), ` +
      `${sequential.llmCalls} LLM calls (${callsPerRollout(sequential).toFixed(2)} per rollout), ` +
      `${sequential.apoCalls} APO model calls, ${sequential.candidates} candidates (best score ${sequential.bestScore?.toFixed(3)} vs ours ${ours.bestScore?.toFixed(3)})`,
  );
  for (const [name, measured] of [['our schedule', ours], ["Agent Lightning's schedule", sequential]] as const) {
    if (measured.llmCalls === 0) console.log(`warning: ${name} recorded no LLM calls: APO critiqued blind and its figures are not comparable`);
  }
  printResult('apo_round', ours.roundSeconds, 's', ours.roundSeconds / lowerBound, `lower bound ${lowerBound.toFixed(2)} s (target ≤ 1.3)`);
  printResult(
    'apo_round_agl_schedule',
    sequential.roundSeconds,
    's',
    sequential.roundSeconds / ours.roundSeconds,
    `our schedule ${ours.roundSeconds.toFixed(2)} s (target ≥ 3)`,
  );
}
