/**
 * APO benchmark: the wall-clock of one APO round (round 1, after the initial validation) on the
 * room selector, against two references measured in the same run:
 *
 * - the lower bound of that round: its rollouts × the mean rollout time ÷ runners, plus the chain
 *   of dependent model calls outside rollouts (each child's critique then edit), the rollout time,
 *   the rollouts and the calls all measured in this run;
 * - the same round on Agent Lightning's schedule (APO's `schedule: 'sequential'`: children one at a
 *   time, candidates validated one at a time, rollouts polled every 2 s).
 *
 *   npm run bench:apo              default APO hyperparameters (beam 4, branch 4, val batch 16, gradient batch 4)
 *   npm run bench:apo -- --quick   beam 2, branch 2, val batch 8
 *
 * The simulated model answers every call after a fixed latency (`--latency-ms`, default 100); 8 runners.
 */
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
  },
});
const latencyMillis = Number(values['latency-ms']);
const runners = Number(values.runners);
const seed = Number(values.seed);
const hyper: ApoOptions<RoomTask> = values.quick ? { beamWidth: 2, branchFactor: 2, valBatchSize: 8, gradientBatchSize: 4 } : {}; // {}: APO's defaults
const dir = benchDir('apo');

interface RoundMeasure {
  roundSeconds: number;
  rollouts: number;
  meanRolloutSeconds: number;
  children: number;
  apoCalls: number;
  meanApoCallSeconds: number;
  candidates: number;
  bestScore: number | null;
}

/** One training of the initial validation and one round, on `schedule`; measures round 1. */
async function measure(schedule: 'concurrent' | 'sequential', sim: SimLlmServer): Promise<RoundMeasure> {
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
    const calls = apoCalls.filter((call) => call.round === 1);
    const options = new APO(apoClient, hyper).options;
    return {
      roundSeconds: (roundEnds.get(1)! - roundEnds.get(0)!) / 1000,
      rollouts: Number(count),
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

const sim = await SimLlmServer.start({ port: 0, seed, latencyMillis });
try {
  const shown = new APO(new OpenAI({ baseURL: sim.baseURL, apiKey: 'sim' }), hyper).options;
  console.log(
    `APO round 1 on the room selector: beam ${shown.beamWidth}, branch ${shown.branchFactor}, val batch ${shown.valBatchSize}, ` +
      `gradient batch ${shown.gradientBatchSize}; ${runners} runners; simulated model at ${latencyMillis} ms a call`,
  );
  const ours = await measure('concurrent', sim);
  const callsPerChain = ours.apoCalls / ours.children;
  const chainSeconds = callsPerChain * ours.meanApoCallSeconds;
  const lowerBound = (ours.rollouts * ours.meanRolloutSeconds) / runners + chainSeconds;
  console.log(
    `our schedule: ${ours.roundSeconds.toFixed(2)} s; ${ours.rollouts} rollouts of ${ours.meanRolloutSeconds.toFixed(3)} s mean, ` +
      `${ours.apoCalls} APO model calls (${callsPerChain.toFixed(1)} dependent per child, ${ours.meanApoCallSeconds.toFixed(3)} s mean), ` +
      `${ours.candidates} candidates; lower bound ${ours.rollouts} × ${ours.meanRolloutSeconds.toFixed(3)} s ÷ ${runners} + ${chainSeconds.toFixed(3)} s = ${lowerBound.toFixed(2)} s`,
  );
  const sequential = await measure('sequential', sim);
  console.log(
    `Agent Lightning's schedule: ${sequential.roundSeconds.toFixed(2)} s; ${sequential.rollouts} rollouts of ${sequential.meanRolloutSeconds.toFixed(3)} s mean, ` +
      `${sequential.apoCalls} APO model calls, ${sequential.candidates} candidates (best score ${sequential.bestScore?.toFixed(3)} vs ours ${ours.bestScore?.toFixed(3)})`,
  );
  printResult('apo_round', ours.roundSeconds, 's', ours.roundSeconds / lowerBound, `lower bound ${lowerBound.toFixed(2)} s (target ≤ 1.3)`);
  printResult(
    'apo_round_agl_schedule',
    sequential.roundSeconds,
    's',
    sequential.roundSeconds / ours.roundSeconds,
    `our schedule ${ours.roundSeconds.toFixed(2)} s (target ≥ 3)`,
  );
} finally {
  await sim.close();
}
