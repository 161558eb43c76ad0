/**
 * The server side of the getting-started guide (the older API): start the server, publish the
 * resources, queue tasks, and poll for the completed rollouts and their rewards.
 *
 *   node --import tsx examples/getting-started/server.ts [--port 4318] [--db agl-getting-started.duckdb]
 *
 * Start the client (examples/getting-started/client.ts) with the URL it prints.
 */
import { parseArgs } from 'node:util';
import { AgentLightningServer, PromptTemplate } from '../../src/index.ts';
import type { GreetingTask } from './agent.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4318' }, db: { type: 'string', default: 'agl-getting-started.duckdb' } } });
const server = await AgentLightningServer.start({ port: Number(values.port), dbPath: values.db });
console.log(`[server] listening on ${server.url}`);

const tasks: GreetingTask[] = [
  { city: 'Paris', expected: 'Hello, Paris!' },
  { city: 'Lagos', expected: 'Hello, Lagos!' },
  { city: 'Lima', expected: 'Hello, Lima!' },
  { city: 'Oslo', expected: 'Hei, Oslo!' },
];

try {
  const resourcesId = await server.updateResources({ prompt_template: new PromptTemplate('Hello, {city}!', 'f-string') });
  console.log(`[server] resources published: ${resourcesId}`);
  const ids = [];
  for (const task of tasks) ids.push(await server.queueTask(task, 'train'));
  console.log(`[server] ${ids.length} tasks queued; waiting for a client`);
  let total = 0;
  for (const id of ids) {
    const completed = await server.pollCompletedRollout(id, 60);
    if (!completed) throw new Error(`Rollout ${id} did not complete within 60 s (is a client running?)`);
    console.log(`[server] ${id} ${completed.status}: reward ${completed.finalReward} for ${JSON.stringify(completed.input)}`);
    total += completed.finalReward ?? 0;
  }
  console.log(`[server] mean reward ${(total / ids.length).toFixed(2)}`);
} finally {
  await server.close();
}
