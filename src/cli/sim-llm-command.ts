import { parseArgs } from 'node:util';
import { SimLlmServer } from '../sim-llm/index.ts';
import { UsageError } from './sql-command.ts';

export const SIM_LLM_USAGE = `Usage: agl sim-llm [--port 8000] [--host 127.0.0.1] [--seed 0] [--latency-ms 0] [--error-rate-429 0] [--error-rate-500 0]

Runs the simulated OpenAI-compatible model (no real model is called): POST /v1/chat/completions
(tools, streaming) and GET /v1/models. Point any OpenAI client at it with
OPENAI_BASE_URL=http://127.0.0.1:8000/v1 (any OPENAI_API_KEY). Its answers follow what the prompt
states; see src/sim-llm/README.md.
  --port N              the HTTP port (default 8000; 0 picks a free one)
  --host ADDR           the interface to bind (default 127.0.0.1)
  --seed N              the seed answers and injected errors derive from (default 0)
  --latency-ms MS       added latency per completion: a number, or MIN-MAX for a seeded range (default 0)
  --error-rate-429 R    fraction of completions answered 429 with Retry-After (default 0)
  --error-rate-500 R    fraction of completions answered 500 (default 0)
  --retry-after-ms MS   the wait a 429 asks for (default 1000)`;

/** `agl sim-llm`: runs until SIGINT or SIGTERM. */
export async function simLlmCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8000' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'string', default: '0' },
      'latency-ms': { type: 'string', default: '0' },
      'error-rate-429': { type: 'string', default: '0' },
      'error-rate-500': { type: 'string', default: '0' },
      'retry-after-ms': { type: 'string', default: '1000' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SIM_LLM_USAGE}\n`);
    return 0;
  }
  const port = /^\d{1,5}$/.test(values.port ?? '') ? Number(values.port) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be 0 to 65535, got \`${values.port}\``);
  if (!/^-?\d+$/.test(values.seed ?? '')) throw new UsageError(`--seed must be an integer, got \`${values.seed}\``);
  const latency = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(values['latency-ms'] ?? '');
  if (!latency || (latency[2] !== undefined && Number(latency[2]) < Number(latency[1]))) {
    throw new UsageError(`--latency-ms must be a number or MIN-MAX, got \`${values['latency-ms']}\``);
  }
  const rate = (name: 'error-rate-429' | 'error-rate-500'): number => {
    const value = Number(values[name]);
    if (values[name] === '' || !(value >= 0 && value < 1)) throw new UsageError(`--${name} must be in [0, 1), got \`${values[name]}\``);
    return value;
  };
  const retryAfterMillis = Number(values['retry-after-ms']);
  if (!(retryAfterMillis >= 0)) throw new UsageError(`--retry-after-ms must be ≥ 0, got \`${values['retry-after-ms']}\``);
  const server = await SimLlmServer.start({
    port,
    host: values.host,
    seed: Number(values.seed),
    latencyMillis: latency[2] === undefined ? Number(latency[1]) : [Number(latency[1]), Number(latency[2])],
    errorRates: { 429: rate('error-rate-429'), 500: rate('error-rate-500') },
    retryAfterMillis,
  });
  // The start-up line: scripts and tests read the URL from it.
  process.stdout.write(`agl sim-llm listening on ${server.baseURL} (simulated model)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
