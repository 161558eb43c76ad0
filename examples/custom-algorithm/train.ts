/**
 * Runs a user-written algorithm — a plain function given the store — that tries a list of prompts
 * on the math agent and keeps the best (Agent Lightning's getting-started guide, in TypeScript).
 *
 *   node --import tsx examples/custom-algorithm/train.ts [--db sweep.duckdb] [--val-size 10] [--runners 4]
 *
 * With `OPENAI_BASE_URL` set, the agent uses that model; without it, the SIMULATED model is
 * started in this process, and said so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Collector, Trainer } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { runReadOnlyQuery } from '../../src/storage/index.ts';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { loadAgentConfig } from '../math-agent/config.ts';
import { createMathAgent } from '../math-agent/math-agent.ts';
import { valDataset } from '../math-agent/math-dataset.ts';
import type { MathTask } from '../math-agent/math-dataset.ts';
import { setupMathAgentTracing } from '../math-agent/tracing.ts';
import { CANDIDATE_PROMPTS } from './candidate-prompts.ts';
import { formatSweepTable, promptSweep } from './prompt-sweep.ts';
import type { PromptSweepResult } from './prompt-sweep.ts';

const { values } = parseArgs({ options: { db: { type: 'string' }, 'val-size': { type: 'string' }, runners: { type: 'string' } } });
const valSize = Number(values['val-size'] ?? 10);
const nRunners = Number(values.runners ?? 4);
if (!Number.isInteger(valSize) || valSize < 1) throw new RangeError(`Expected \`--val-size\` to be an integer ≥ 1, got \`${values['val-size']}\``);
if (!Number.isInteger(nRunners) || nRunners < 1) throw new RangeError(`Expected \`--runners\` to be an integer ≥ 1, got \`${values.runners}\``);

let sim: SimLlmServer | null = null;
let baseURL = process.env.OPENAI_BASE_URL;
if (baseURL === undefined || baseURL === '') {
  sim = await SimLlmServer.start({ port: 0, seed: 0 });
  baseURL = sim.baseURL;
  console.error('');
  console.error('*** OPENAI_BASE_URL is not set: using the SIMULATED model (agl sim-llm) at ' + baseURL + ' ***');
  console.error('*** Scores below are those of a simulation, not of a real model. ***');
  console.error('');
}

const logger = createLogger('info');
let tempDirectory: string | null = null;
let dbPath = values.db;
if (dbPath === undefined) {
  tempDirectory = mkdtempSync(join(tmpdir(), 'custom-algorithm-'));
  dbPath = join(tempDirectory, 'agl.duckdb');
}
const collector = await Collector.start({ dbPath, port: 0, logger });
const tracer = setupMathAgentTracing({ collectorUrl: collector.url });
try {
  const agent = createMathAgent({ config: loadAgentConfig({ baseURL, apiKey: process.env.OPENAI_API_KEY || (sim ? 'sim' : undefined), memoryPath: null }) });
  const trainer = new Trainer<MathTask, PromptSweepResult>({
    algorithm: promptSweep<MathTask>(CANDIDATE_PROMPTS),
    nRunners,
    store: collector.url,
    tracer,
    runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
    logger,
  });
  const result = await trainer.fit(agent, { valDataset: valDataset(valSize) });

  console.log(`\nprompts tried on ${valSize} validation tasks (${sim ? 'SIMULATED model' : baseURL}); * = kept\n`);
  console.log(formatSweepTable(result));

  // The same scores straight from DuckDB: the `rewards` view joined to the rollouts' resources version.
  const sql = await runReadOnlyQuery(
    collector.database,
    `SELECT ro.resources_id, count(*) AS rewarded, round(avg(rw.value), 3) AS mean_reward
       FROM rollouts ro JOIN rewards rw ON rw.rollout_id = ro.rollout_id AND rw.is_primary
      WHERE ro.mode = 'val'
      GROUP BY ro.resources_id ORDER BY min(ro.start_time)`,
  );
  console.log('\nthe same from SQL (rewards ⋈ rollouts):');
  for (const row of sql.rows) console.log(`  ${row[0]}  ${row[1]} rewarded  mean ${Number(row[2]).toFixed(3)}`);

  if (result.best) console.log(`\nbest prompt (#${result.best.index + 1}, ${result.best.resourcesId}, mean reward ${result.best.meanReward?.toFixed(3)}):\n${result.best.template}`);
  else console.log('\nno prompt recorded a reward');
} finally {
  await tracer.shutdown();
  await collector.close();
  if (tempDirectory) rmSync(tempDirectory, { recursive: true, force: true });
  await sim?.close();
}
