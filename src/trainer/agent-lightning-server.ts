import { Collector } from '../../collector/index.ts';
import { toNamedResources } from '../agent/index.ts';
import type { ResourcesInput } from '../agent/index.ts';
import { readAttemptReward } from '../algorithm/index.ts';
import type { AlgorithmStore } from '../algorithm/index.ts';
import { createLogger } from '../logging/index.ts';
import type { Logger } from '../logging/index.ts';
import { StoreClient, isTerminalRolloutStatus } from '../store/index.ts';
import type { Rollout, RolloutConfig, RolloutMode, RolloutStatus } from '../store/index.ts';

/** Options of {@link AgentLightningServer.start}: an in-process collector. */
export interface AgentLightningServerStartOptions {
  /** @default './agl.duckdb' */
  dbPath?: string;
  /** 0 picks a free port. @default 4318 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  token?: string;
  /** @default a stderr logger at `warn` */
  logger?: Logger;
  /** @default 1000 */
  watchdogIntervalMillis?: number;
}

/** Options of {@link AgentLightningServer}. */
export interface AgentLightningServerOptions {
  /** The collector's URL. @default `AGL_SERVER`, else `http://127.0.0.1:4318` */
  url?: string;
  /** @default `AGL_TOKEN` when set */
  token?: string;
  /** A collector in this process to use (directly) and to close with {@link AgentLightningServer.close}. @default none */
  collector?: Collector;
}

/** A finished rollout as {@link AgentLightningServer.pollCompletedRollout} returns it. */
export interface CompletedRollout {
  rolloutId: string;
  status: RolloutStatus;
  input: unknown;
  mode: RolloutMode | null;
  resourcesId: string | null;
  /** The final primary reward of its last attempt (null when none was recorded). */
  finalReward: number | null;
  /** Every reward dimension of that attempt by name. */
  rewards: Record<string, number>;
  /** The store's rollout. */
  rollout: Rollout;
}

/**
 * The getting-started guide's older server-side API, as thin helpers over the store: publish
 * resources, queue tasks, poll for completed rollouts. Runners (e.g.
 * `new Trainer({ nWorkers: 2 }).fit(agent, { backend: server.url })`) do the rollouts.
 *
 * ```ts
 * const server = await AgentLightningServer.start({ port: 0 });      // or new AgentLightningServer({ url })
 * await server.updateResources({ prompt_template: new PromptTemplate('Answer: {question}', 'f-string') });
 * const id = await server.queueTask({ question: '2+2?' }, 'train');
 * const done = await server.pollCompletedRollout(id, 30);           // null when not finished in 30 s
 * ```
 */
export class AgentLightningServer {
  /** The collector's base URL. */
  readonly url: string;
  /** The store the helpers use. */
  readonly store: AlgorithmStore;
  readonly #collector: Collector | null;

  constructor(options: AgentLightningServerOptions = {}) {
    const client = new StoreClient({ baseUrl: options.collector?.url ?? options.url, token: options.token });
    this.url = client.baseUrl;
    this.store = options.collector?.store ?? client;
    this.#collector = options.collector ?? null;
  }

  /** Starts a collector in this process and returns the helpers over it; {@link close} stops it. */
  static async start(options: AgentLightningServerStartOptions = {}): Promise<AgentLightningServer> {
    const collector = await Collector.start({ ...options, logger: options.logger ?? createLogger('warn') });
    return new AgentLightningServer({ collector, token: options.token });
  }

  /** Publishes new resources (they become the latest: tasks queued from now on run with them); returns their id. */
  async updateResources(resources: ResourcesInput): Promise<string> {
    return (await this.store.addResources(toNamedResources(resources))).resources_id;
  }

  /** Queues a task; returns its rollout id. */
  async queueTask(
    sample: unknown,
    mode: RolloutMode = 'train',
    options: { resourcesId?: string | null; config?: Partial<RolloutConfig>; metadata?: Record<string, unknown> } = {},
  ): Promise<string> {
    const [rollout] = await this.store.enqueueRollouts([{ input: sample, mode, resourcesId: options.resourcesId, config: options.config, metadata: options.metadata }]);
    return rollout.rollout_id;
  }

  /**
   * Waits (on the server) up to `timeoutSeconds` for the rollout to finish; resolves with it and
   * its final reward, or `null` when it is not finished by then.
   */
  async pollCompletedRollout(rolloutId: string, timeoutSeconds = 30): Promise<CompletedRollout | null> {
    const [rollout] = await this.store.waitForRollouts([rolloutId], { timeoutSeconds });
    if (!rollout || !isTerminalRolloutStatus(rollout.status)) return null;
    const { reward, dimensions } = await readAttemptReward(this.store, rolloutId);
    return {
      rolloutId,
      status: rollout.status,
      input: rollout.input,
      mode: rollout.mode,
      resourcesId: rollout.resources_id,
      finalReward: reward,
      rewards: dimensions,
      rollout,
    };
  }

  /** Stops the collector when {@link start} started it; otherwise nothing. Idempotent. */
  async close(): Promise<void> {
    await this.#collector?.close();
  }
}
