import { parseArgs } from 'node:util';
import { chooseModelEndpoint } from '../../src/sim-llm/index.ts';
import { trainThirdPartyAgent } from './train-third-party.ts';
import type { ThirdPartyAgentSpec } from './train-third-party.ts';

const USAGE = `Usage: node --import tsx examples/third-party/<name>/train.ts [options]

  --db PATH          keep the collector's DuckDB file (query it with \`npx agl sql --db PATH\`)
  --rounds N         APO rounds (default 1)
  --val-batch N      validation batch of each round (default 10)
  --runners N        runners in this process (default 4)
  --help

Without OPENAI_BASE_URL or OPENAI_API_KEY the SIMULATED model (agl sim-llm) is started in the process.`;

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected --${name} to be an integer ≥ 1, got \`${raw}\``);
  return value;
}

/**
 * The command line shared by the third-party examples: parses the flags, picks the model
 * (`chooseModelEndpoint`: the simulated one unless `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set, and
 * said so), trains, prints the scores and the best prompt.
 */
export async function runThirdPartyCli(spec: ThirdPartyAgentSpec, argv = process.argv.slice(2)): Promise<void> {
  let flags: { db?: string; rounds: number; valBatch: number; runners: number };
  try {
    const { values } = parseArgs({
      args: argv,
      options: { db: { type: 'string' }, rounds: { type: 'string' }, 'val-batch': { type: 'string' }, runners: { type: 'string' }, help: { type: 'boolean' } },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    flags = {
      db: values.db,
      rounds: positiveInteger('rounds', values.rounds, 1),
      valBatch: positiveInteger('val-batch', values['val-batch'], 10),
      runners: positiveInteger('runners', values.runners, 4),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  const model = await chooseModelEndpoint({ name: spec.name });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const result = await trainThirdPartyAgent(spec, {
      endpoint: { baseURL: model.baseURL, apiKey: model.apiKey, model: process.env.AGENT_MODEL ?? 'gpt-4.1-nano' },
      dbPath: flags.db,
      nRunners: flags.runners,
      apo: { beamRounds: flags.rounds, valBatchSize: flags.valBatch },
      signal: controller.signal,
    });
    console.log(`${spec.name}: baseline validation score: ${result.baselineScore?.toFixed(3) ?? 'n/a'}`);
    for (const round of result.rounds) console.log(`round ${round.round}: leader ${round.leader_val_score?.toFixed(3) ?? 'n/a'}, best ${round.best_val_score?.toFixed(3) ?? 'n/a'}`);
    console.log(`best validation score: ${result.bestScore?.toFixed(3) ?? 'n/a'} (${result.bestResourcesId})`);
    console.log(`\nbest prompt:\n${result.bestPrompt.template}`);
  } finally {
    await model.close();
  }
}
