import type OpenAI from 'openai';
import type { Algorithm, AlgorithmContext } from '../algorithm.ts';
import { resolveApoOptions } from './apo-options.ts';
import type { ApoOptions, ResolvedApoOptions } from './apo-options.ts';
import type { ApoResult } from './apo-result.ts';
import { ApoSession } from './apo-session.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';

/**
 * Automatic Prompt Optimization: beam search over prompt templates with textual gradients
 * (Pryzant et al. 2023, as Agent Lightning implements it), on our schedule:
 *
 * - each round, `beamWidth` parents are sampled from the beam and each gets `branchFactor`
 *   children, **all concurrently**: the parent is run on a train batch (rollouts enqueued with the
 *   parent's resources version, awaited with the store's server-side wait), a critique is written
 *   from `gradientBatchSize` of those rollouts — their LLM messages, final reward and status read
 *   from DuckDB with SQL (`llm_calls`, `rewards`) — and the edit model applies it;
 * - an edit that breaks the template (a placeholder lost or invented, bad braces) is refused and
 *   counted, never run;
 * - beam and children are scored on one validation batch, the top `beamWidth` kept, the leader
 *   scored on the full validation set, and the best prompt of the whole history kept;
 * - every round is a row of `apo_rounds`; a run started again with the same `runId` on the same
 *   database continues after its last completed round.
 *
 * Model calls go through the OpenAI SDK given (its retries handle 429/5xx), at most
 * `maxConcurrentModelCalls` at once.
 */
export class APO<TTask = unknown> implements Algorithm<TTask, ApoResult> {
  readonly name = 'APO';
  readonly options: Readonly<ResolvedApoOptions<TTask>>;
  readonly #openai: OpenAI;
  readonly #limit: ConcurrencyLimit;

  constructor(openai: OpenAI, options: ApoOptions<TTask> = {}) {
    if (typeof openai !== 'object' || openai === null || typeof openai.chat?.completions?.create !== 'function') {
      throw new TypeError('Expected `openai` to be an OpenAI client (new OpenAI({ baseURL, apiKey }))');
    }
    this.#openai = openai;
    this.options = resolveApoOptions(options);
    this.#limit = new ConcurrencyLimit(this.options.maxConcurrentModelCalls);
  }

  async run(context: AlgorithmContext<TTask>): Promise<ApoResult> {
    const session = new ApoSession(this.options, this.#openai, this.#limit, context);
    return session.run();
  }
}
