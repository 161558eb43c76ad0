/**
 * Runs a user-written algorithm — a plain function given the store — that tries a list of prompts
 * on the math agent and keeps the best (Agent Lightning's getting-started guide, in TypeScript).
 *
 *   node --import tsx examples/custom-algorithm/train.ts [--db sweep.duckdb] [--val-size 10] [--runners 4]
 *
 * With `OPENAI_BASE_URL` or `OPENAI_API_KEY` set, the agent uses that model (an unreachable one is
 * an error); without either, the SIMULATED model is started in this process, and said so
 * (`chooseModelEndpoint`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Collector, Trainer } from '../../src/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { runReadOnlyQuery } from '../../src/storage/index.ts';
import { chooseModelEndpoint } from '../../src/sim-llm/index.ts';
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

const model = await chooseModelEndpoint({ name: 'custom-algorithm' });

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
  const agent = createMathAgent({ config: loadAgentConfig({ baseURL: model.baseURL, apiKey: model.apiKey, memoryPath: null }) });
  const trainer = new Trainer<MathTask, PromptSweepResult>({
    algorithm: promptSweep<MathTask>(CANDIDATE_PROMPTS),
    nRunners,
    store: collector.url,
    tracer,
    runner: { minPollIntervalMillis: 20, maxPollIntervalMillis: 100 },
    logger,
  });
  const result = await trainer.fit(agent, { valDataset: valDataset(valSize) });

  console.log(`\nprompts tried on ${valSize} validation tasks (${model.simulated ? 'SIMULATED model' : model.baseURL}); * = kept\n`);
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
  await model.close();
}
