/**
 * Trains the math agent's prompt ("Calculate the sum from 1 to N") — the seed project's flow.
 *
 *   node --import tsx examples/math-agent/train.ts [--algorithm apo|baseline] [--iterations 2]
 *        [--train-size 20] [--val-size 10] [--dry-run] [--db math.duckdb] [--best-prompts best_prompts.json]
 *
 * With `OPENAI_BASE_URL` or `OPENAI_API_KEY` set, the agent and APO's optimizer use that model
 * (OpenAI, vLLM, Ollama, llama.cpp); without either, the SIMULATED model is started in this
 * process, and said so. A model that is set but cannot be reached is an error, never a fall-back to
 * the simulator (`chooseModelEndpoint`).
 */
import { createLogger } from '../../src/logging/index.ts';
import { chooseModelEndpoint } from '../../src/sim-llm/index.ts';
import { ConfigError, USAGE, loadAgentConfig, parseCommandLine } from './config.ts';
import { runMathTraining } from './run-math-training.ts';

let commandLine;
try {
  commandLine = parseCommandLine(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (commandLine.help) {
  console.log(USAGE);
  process.exit(0);
}
const { training } = commandLine;

const model = await chooseModelEndpoint({ name: 'math-agent' });

let agentConfig;
try {
  agentConfig = loadAgentConfig({ ...commandLine.agent, baseURL: model.baseURL, apiKey: model.apiKey });
} catch (error) {
  await model.close();
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('Stopping after the calls under way…');
  controller.abort();
});
const format = (score: number | null) => (score === null ? 'n/a' : score.toFixed(3));
try {
  const summary = await runMathTraining({ agent: agentConfig, training, logger: createLogger(process.env.AGL_LOG_LEVEL === 'debug' ? 'debug' : 'info'), signal: controller.signal });
  console.log(`model: ${agentConfig.model} at ${agentConfig.baseURL}${model.simulated ? ' (SIMULATED)' : ''}`);
  console.log(`algorithm: ${summary.algorithm}${summary.dryRun ? ' (dry run: nothing trained, nothing written)' : ''}`);
  console.log(`collector: ${summary.collectorUrl}${summary.dbPath ? ` (database ${summary.dbPath})` : ''}`);
  console.log(`starting prompt (${summary.initialPromptSource}):\n${summary.initialPrompt}\n`);
  if (summary.tasks.length > 0) {
    console.log('task                                   reward  status');
    for (const task of summary.tasks) console.log(`${task.question.padEnd(38)} ${format(task.reward).padStart(6)}  ${task.status}`);
    console.log('');
  }
  if (summary.dryRun) {
    console.log(`dry run: mean reward ${format(summary.bestScore)} over ${summary.tasks.length} training tasks`);
  } else {
    for (const round of summary.apo?.rounds ?? []) console.log(`round ${round.round}: leader ${format(round.leader_val_score)}, best so far ${format(round.best_val_score)}`);
    console.log(`baseline validation score: ${format(summary.baselineScore)}`);
    console.log(`best validation score: ${format(summary.bestScore)}`);
    if (summary.apo) console.log(`edits rejected: ${summary.apo.rejectedEdits}; rollouts timed out: ${summary.apo.timedOutRolloutIds.length}`);
    console.log(`\nbest prompt:\n${summary.bestPrompt}\n`);
    if (summary.saved) console.log(`saved to ${training.bestPromptsPath} as ${summary.saved.id}${summary.saved.active ? ' (active)' : ' (not active: an earlier prompt scored higher)'}`);
  }
  if (agentConfig.memoryPath && !summary.dryRun) console.log(`agent memory: ${agentConfig.memoryPath}`);
} finally {
  await model.close();
}
