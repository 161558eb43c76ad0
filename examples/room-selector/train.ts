/**
 * Trains the room selector's prompt with APO (the tutorial's settings, 8 runners).
 *
 *   node --import tsx examples/room-selector/train.ts [--db room-selector.duckdb]
 *
 * With `OPENAI_BASE_URL` set, the agent and the optimizer use that model (OpenAI, vLLM, Ollama…);
 * without it, the SIMULATED model (`SimLlmServer`) is started in this process, and said so.
 */
import { SimLlmServer } from '../../src/sim-llm/index.ts';
import { trainRoomSelector } from './train-room-selector.ts';

const dbIndex = process.argv.indexOf('--db');
const dbPath = dbIndex >= 0 ? process.argv[dbIndex + 1] : undefined;

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
// With OPENAI_BASE_URL set, a failure to reach it is an error: never a silent fall-back to the simulator.

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('Stopping after the calls under way (run again with the same --db to resume)…');
  controller.abort();
});
try {
  const result = await trainRoomSelector({
    baseURL,
    apiKey: process.env.OPENAI_API_KEY ?? (sim ? 'sim' : undefined),
    agentModel: process.env.AGENT_MODEL,
    dbPath,
    signal: controller.signal,
  });
  console.log(`baseline validation score: ${result.baselineScore?.toFixed(3) ?? 'n/a'}`);
  for (const round of result.rounds) console.log(`round ${round.round}: leader ${round.leader_resources_id} ${round.leader_val_score?.toFixed(3) ?? 'n/a'}, best ${round.best_val_score?.toFixed(3) ?? 'n/a'}`);
  console.log(`best validation score: ${result.bestScore?.toFixed(3) ?? 'n/a'} (${result.bestResourcesId})`);
  console.log(`edits rejected: ${result.rejectedEdits}; rollouts timed out: ${result.timedOutRolloutIds.length}`);
  console.log('\nbest prompt:\n' + result.bestPrompt.template);
} finally {
  await sim?.close();
}
