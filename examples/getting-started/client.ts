/**
 * The client side of the getting-started guide (the older API): two workers run the agent on the
 * tasks the server queues, until SIGINT or SIGTERM.
 *
 *   node --import tsx examples/getting-started/client.ts http://127.0.0.1:4318
 */
import { Trainer } from '../../src/index.ts';
import { GreetingAgent } from './agent.ts';

const backend = process.argv[2] ?? process.env.AGL_SERVER ?? 'http://127.0.0.1:4318';
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

console.log(`[client] 2 workers for ${backend}`);
await new Trainer({ nWorkers: 2 }).fit(new GreetingAgent(), { backend, signal: stop.signal });
console.log('[client] stopped');
