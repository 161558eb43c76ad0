import { toNamedResources } from '../agent/index.ts';
import type { ResourcesInput } from '../agent/index.ts';
import { createLogger } from '../logging/index.ts';
import type { Logger } from '../logging/index.ts';
import { StoreClient } from '../store/index.ts';
import { toAlgorithm } from './algorithm.ts';
import type { AlgorithmData, AlgorithmLike, AlgorithmStore } from './algorithm.ts';
import { apoDataForStore } from './apo/apo-data.ts';

/** Options of {@link runAlgorithm}. */
export interface RunAlgorithmOptions<TTask = unknown> {
  /** The store: a collector's URL (a `StoreClient` is made for it) or a store object. @default `AGL_SERVER`, else `http://127.0.0.1:4318` */
  store?: string | AlgorithmStore;
  /** Bearer token when `store` is a URL. @default `AGL_TOKEN` */
  token?: string;
  /** SQL over the collector's tables, for the algorithm's `context.data`. @default found from `store` (see `apoDataForStore`) */
  data?: AlgorithmData;
  /** @default [] */
  trainDataset?: readonly TTask[];
  valDataset?: readonly TTask[];
  /** Added to the store (as the latest resources) before the algorithm starts. @default none */
  initialResources?: ResourcesInput | null;
  signal?: AbortSignal;
  /** @default a stderr logger at `info` */
  log?: Logger;
}

/**
 * Runs an algorithm against a store, with no runners of its own: the algorithm process of the
 * split mode, where `agl serve`, this process and `agl runner` processes run separately.
 *
 * ```ts
 * const result = await runAlgorithm(new Baseline(), { store: 'http://127.0.0.1:4318', valDataset, initialResources });
 * ```
 */
export async function runAlgorithm<TTask, TResult>(algorithm: AlgorithmLike<TTask, TResult>, options: RunAlgorithmOptions<TTask> = {}): Promise<TResult> {
  const runnable = toAlgorithm(algorithm);
  const store = typeof options.store === 'object' && options.store !== null ? options.store : new StoreClient({ baseUrl: options.store, token: options.token });
  if (options.initialResources) await store.addResources(toNamedResources(options.initialResources));
  return runnable.run({
    store,
    trainDataset: options.trainDataset ?? [],
    valDataset: options.valDataset,
    signal: options.signal ?? new AbortController().signal,
    log: options.log ?? createLogger('info'),
    data: options.data ?? dataOf(store),
  });
}

/** The store's SQL access, or none (an algorithm that needs it then says so when it asks). */
function dataOf(store: AlgorithmStore): AlgorithmData | undefined {
  try {
    return apoDataForStore(store);
  } catch {
    return undefined;
  }
}
