import { parseArgs } from 'node:util';
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { trainThirdPartyAgent } from './train-third-party.ts';
import type { ThirdPartyAgentSpec } from './train-third-party.ts';

const USAGE = `Usage: node --import tsx examples/third-party/<name>/train.ts [options]

  --db PATH          keep the collector's DuckDB file (query it with \`npx agl sql --db PATH\`)
  --rounds N         APO rounds (default 1)
  --val-batch N      validation batch of each round (default 10)
  --runners N        runners in this process (default 4)
  --help

Without OPENAI_BASE_URL the SIMULATED model (agl sim-llm) is started in the process.`;

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected --${name} to be an integer ≥ 1, got \`${raw}\``);
  return value;
}

/**
 * The command line shared by the third-party examples: parses the flags, starts the simulated
 * model unless `OPENAI_BASE_URL` is set (and says so), trains, prints the scores and the best prompt.
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

  let sim: SimLlmServer | null = null;
  let baseURL = process.env.OPENAI_BASE_URL;
  if (baseURL === undefined || baseURL === '') {
    sim = await SimLlmServer.start({ port: 0, seed: 0 });
    baseURL = sim.baseURL;
    console.error(`\n*** OPENAI_BASE_URL is not set: using the SIMULATED model (agl sim-llm) at ${baseURL} ***`);
    console.error('*** Scores below are those of a simulation, not of a real model. ***\n');
  }
  // With OPENAI_BASE_URL set, a failure to reach it is an error: never a silent fall-back to the simulator.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const result = await trainThirdPartyAgent(spec, {
      endpoint: { baseURL, apiKey: process.env.OPENAI_API_KEY ?? 'sim', model: process.env.AGENT_MODEL ?? 'gpt-4.1-nano' },
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
    await sim?.close();
  }
}
