import type { Json } from '@duckdb/node-api';
import type { Logger } from '../logging/index.ts';
import type { LightningStore } from '../store/index.ts';
import type { ApoRoundRecord } from './apo/apo-round-record.ts';

/**
 * The store as an algorithm sees it: the collector's own `LightningStore` (in process) or a
 * `StoreClient` (an algorithm process talking to `agl serve`).
 */
export type AlgorithmStore = Omit<LightningStore, 'close'>;

/**
 * What an algorithm may ask of the collector besides the store API: read-only SQL over its tables
 * (`spans`, `rewards`, `llm_calls`…), and the writer of APO's round records (`apo_rounds`). In the
 * collector's process that is its database (`LocalApoData`); elsewhere its HTTP API through a
 * `StoreClient` (`RemoteApoData`).
 */
export interface AlgorithmData {
  /** Rows of one read-only statement as objects keyed by column name. */
  query(sql: string): Promise<Record<string, Json>[]>;
  /** Records one round of an APO training (the same run and round again replaces it). */
  recordRound(round: ApoRoundRecord): Promise<void>;
}

/** What an algorithm is given. */
export interface AlgorithmContext<TTask = unknown> {
  /** The store: enqueue rollouts, add resources, wait for and read results. */
  store: AlgorithmStore;
  /** The training tasks. @default [] */
  trainDataset: readonly TTask[];
  /** The validation tasks, when given. */
  valDataset: readonly TTask[] | undefined;
  /** Aborted when the training is stopped; long algorithms should stop then. */
  signal: AbortSignal;
  /** Where progress goes. */
  log: Logger;
  /**
   * SQL over the collector's tables (and APO's round records). `Trainer` and `runAlgorithm` set
   * it. @default found from `store` when it is a collector's store in this process or a `StoreClient`
   */
  data?: AlgorithmData;
}

/**
 * A training algorithm (Agent Lightning's `Algorithm`): given the store and the datasets, it
 * enqueues rollouts, reads their spans and rewards, publishes new resources, and resolves with its
 * result. Runners do the rollouts meanwhile.
 */
export interface Algorithm<TTask = unknown, TResult = unknown> {
  /** A name for logs. */
  readonly name?: string;
  run(context: AlgorithmContext<TTask>): Promise<TResult>;
}

/** A plain function used as an algorithm. */
export type AlgorithmFunction<TTask = unknown, TResult = unknown> = (context: AlgorithmContext<TTask>) => Promise<TResult> | TResult;

/** An {@link Algorithm} or a plain function; see {@link toAlgorithm}. */
export type AlgorithmLike<TTask = unknown, TResult = unknown> = Algorithm<TTask, TResult> | AlgorithmFunction<TTask, TResult>;

/** Makes an algorithm of a plain function (or returns an algorithm as is). */
export function toAlgorithm<TTask, TResult>(algorithm: AlgorithmLike<TTask, TResult>): Algorithm<TTask, TResult> {
  if (typeof algorithm === 'function') {
    const fn = algorithm;
    return { name: fn.name || 'algorithm', run: async (context) => fn(context) };
  }
  if (typeof algorithm === 'object' && algorithm !== null && typeof algorithm.run === 'function') return algorithm;
  throw new TypeError('Expected `algorithm` to be an object with run(context) or a function');
}
