/**
 * Trains the room selector's prompt with APO (the tutorial's settings, 8 runners).
 *
 *   node --import tsx examples/room-selector/train.ts [--db room-selector.duckdb]
 *
 * With `OPENAI_BASE_URL` or `OPENAI_API_KEY` set, the agent and the optimizer use that model (OpenAI,
 * vLLM, Ollama…; an unreachable one is an error); without either, the SIMULATED model is started in
 * this process, and said so (`chooseModelEndpoint`).
 */
import { chooseModelEndpoint } from '../../src/sim-llm/index.ts';
import { trainRoomSelector } from './train-room-selector.ts';

const dbIndex = process.argv.indexOf('--db');
const dbPath = dbIndex >= 0 ? process.argv[dbIndex + 1] : undefined;

const model = await chooseModelEndpoint({ name: 'room-selector' });

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('Stopping after the calls under way (run again with the same --db to resume)…');
  controller.abort();
});
try {
  const result = await trainRoomSelector({
    baseURL: model.baseURL,
    apiKey: model.apiKey,
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
  await model.close();
}
