/** Options of {@link SimLlmServer.start}. */
export interface SimLlmOptions {
  /**
   * The TCP port; 0 picks a free one.
   * @default 8000
   */
  port?: number;
  /**
   * The interface to bind.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * The server seed. Answers are a function of this seed, the request's own `seed` and the request's
   * content; error injection and latency draw from a stream seeded by it.
   * @default 0
   */
  seed?: number;
  /**
   * Latency added to every chat completion: a fixed number of milliseconds, or `[min, max]` for a
   * seeded uniform draw per request.
   * @default 0
   */
  latencyMillis?: number | readonly [number, number];
  /**
   * Injected error rates by status, each in [0, 1): `{ 429: 0.05, 500: 0.02 }`. A 429 carries
   * `Retry-After` (seconds) and `retry-after-ms`.
   * @default {}
   */
  errorRates?: Partial<Record<429 | 500 | 503, number>>;
  /**
   * The wait an injected error asks for, in milliseconds: a 429 sends it as `retry-after-ms` and its
   * ceiling in seconds as `Retry-After`; an injected 500/503 sends `retry-after-ms` only (the OpenAI
   * SDK honours it, so retries in tests do not back off for seconds).
   * @default 1000
   */
  retryAfterMillis?: number;
  /**
   * The model ids listed by `GET /v1/models` (any requested model name is accepted and echoed).
   * @default ['sim-llm', 'sim-room-selector', 'sim-apo-optimizer', 'sim-math']
   */
  models?: readonly string[];
}

/** Options with every default resolved. */
export interface ResolvedSimLlmOptions {
  port: number;
  host: string;
  seed: number;
  latencyMillis: readonly [number, number];
  errorRates: { status: 429 | 500 | 503; rate: number }[];
  retryAfterMillis: number;
  models: readonly string[];
}

/** The model ids listed by default. */
export const DEFAULT_MODELS: readonly string[] = ['sim-llm', 'sim-room-selector', 'sim-apo-optimizer', 'sim-math'];

/** Resolves defaults and validates; throws a `TypeError` naming the bad option. */
export function resolveSimLlmOptions(options: SimLlmOptions = {}): ResolvedSimLlmOptions {
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got \`${port}\``);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new TypeError(`Expected \`seed\` to be an integer, got \`${seed}\``);
  const latency = options.latencyMillis ?? 0;
  const range: [number, number] = typeof latency === 'number' ? [latency, latency] : [latency[0], latency[1]];
  if (!(range[0] >= 0 && range[1] >= range[0] && Number.isFinite(range[1]))) {
    throw new TypeError(`Expected \`latencyMillis\` to be a number ≥ 0 or [min, max] with 0 ≤ min ≤ max, got \`${JSON.stringify(latency)}\``);
  }
  const errorRates: ResolvedSimLlmOptions['errorRates'] = [];
  let total = 0;
  for (const [status, rate] of Object.entries(options.errorRates ?? {})) {
    if (!['429', '500', '503'].includes(status)) throw new TypeError(`Expected \`errorRates\` keys to be 429, 500 or 503, got \`${status}\``);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new TypeError(`Expected \`errorRates[${status}]\` to be in [0, 1), got \`${rate}\``);
    total += rate;
    if (rate > 0) errorRates.push({ status: Number(status) as 429 | 500 | 503, rate });
  }
  if (total >= 1) throw new TypeError(`Expected the error rates to sum to less than 1, got ${total}`);
  const retryAfterMillis = options.retryAfterMillis ?? 1000;
  if (!(retryAfterMillis >= 0)) throw new TypeError(`Expected \`retryAfterMillis\` to be ≥ 0, got \`${retryAfterMillis}\``);
  return {
    port,
    host: options.host ?? '127.0.0.1',
    seed,
    latencyMillis: range,
    errorRates,
    retryAfterMillis,
    models: options.models ?? DEFAULT_MODELS,
  };
}
