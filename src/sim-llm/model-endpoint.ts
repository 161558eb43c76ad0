import { SimLlmServer } from './sim-llm-server.ts';

/** Where a training's model calls go: a real OpenAI-compatible server, or the simulated model. */
export interface ModelEndpoint {
  baseURL: string;
  /** The key to send (`'sim'` for the simulated model, which takes any). */
  apiKey: string;
  /** Whether this is the simulated model started by {@link chooseModelEndpoint}. */
  simulated: boolean;
  /** Stops the simulated model; nothing for a real one. */
  close(): Promise<void>;
}

/** Options of {@link chooseModelEndpoint}. */
export interface ModelEndpointOptions {
  /** Where the choice is said. @default process.stderr */
  log?: NodeJS.WritableStream;
  /** Read for `OPENAI_BASE_URL` and `OPENAI_API_KEY`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The simulated model's seed. @default 0 */
  seed?: number;
  /** The simulated model's latency per call. @default 0 */
  latencyMillis?: number;
  /** Prefix of the lines written to `log`. @default '' */
  name?: string;
}

/**
 * The model of a training run from the command line, chosen the same way everywhere: with
 * `OPENAI_BASE_URL` or `OPENAI_API_KEY` set, that server (OpenAI's when only the key is given),
 * checked first so that an unreachable server or a refused key is an error naming it — never a
 * fall-back to the simulator; with neither, the simulated model (`agl sim-llm`) is started in this
 * process and a banner says so.
 */
export async function chooseModelEndpoint(options: ModelEndpointOptions = {}): Promise<ModelEndpoint> {
  const log = options.log ?? process.stderr;
  const env = options.env ?? process.env;
  const prefix = options.name ? `${options.name}: ` : '';
  const baseURL = env.OPENAI_BASE_URL || undefined;
  const apiKey = env.OPENAI_API_KEY || undefined;
  if (baseURL !== undefined || apiKey !== undefined) {
    const url = baseURL ?? 'https://api.openai.com/v1';
    await checkModelServer(url, apiKey);
    log.write(`${prefix}model server ${url} (from OPENAI_BASE_URL / OPENAI_API_KEY)\n`);
    // Local servers (vLLM, Ollama, llama.cpp) take any key; the SDK insists on one.
    return { baseURL: url, apiKey: apiKey ?? 'unused', simulated: false, close: async () => undefined };
  }
  const sim = await SimLlmServer.start({ port: 0, seed: options.seed ?? 0, latencyMillis: options.latencyMillis ?? 0 });
  log.write(
    '\n' +
      `*** No OPENAI_BASE_URL / OPENAI_API_KEY: using the SIMULATED model (agl sim-llm) at ${sim.baseURL} ***\n` +
      '*** The scores below are those of a simulation, not of a real model.                ***\n\n',
  );
  return { baseURL: sim.baseURL, apiKey: 'sim', simulated: true, close: () => sim.close() };
}

/** Fails loudly when the real model server asked for cannot be reached (network error, 401/403). */
async function checkModelServer(baseURL: string, apiKey: string | undefined): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${baseURL.replace(/\/+$/, '')}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Error(
      `the model server ${baseURL} (OPENAI_BASE_URL) cannot be reached: ${cause}. Not falling back to the simulated model; unset OPENAI_BASE_URL and OPENAI_API_KEY to use it`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new Error(`the model server ${baseURL} refused the API key (HTTP ${response.status}); check OPENAI_API_KEY`);
  }
}
