import { createHash } from 'node:crypto';
import type { NamedResources } from '../../store/index.ts';
import type { ResolvedApoOptions } from './apo-options.ts';

/** What makes two APO runs the same run. */
export interface ApoRunIdentityInput<TTask> {
  /** The resources the run starts from (the initial prompt and anything beside it). */
  initialResources: NamedResources;
  trainDataset: readonly TTask[];
  valDataset: readonly TTask[];
  options: ResolvedApoOptions<TTask>;
}

/**
 * The fingerprint of a run: a SHA-256 of its initial resources, its datasets and the options that
 * change what it computes (models, temperature, batch sizes, beam, seed, schedule…). `beamRounds`
 * is left out, so that asking for more rounds continues a finished run; so are the callbacks,
 * time limits and concurrency.
 */
export function apoRunFingerprint<TTask>(input: ApoRunIdentityInput<TTask>): string {
  const { options } = input;
  const identity = {
    initialResources: input.initialResources,
    trainDataset: input.trainDataset,
    valDataset: input.valDataset,
    options: {
      gradientModel: options.gradientModel,
      applyEditModel: options.applyEditModel,
      diversityTemperature: options.diversityTemperature,
      gradientBatchSize: options.gradientBatchSize,
      valBatchSize: options.valBatchSize,
      beamWidth: options.beamWidth,
      branchFactor: options.branchFactor,
      runInitialValidation: options.runInitialValidation,
      seed: options.seed,
      promptResourceName: options.promptResourceName,
      rolloutConfig: options.rolloutConfig ?? null,
      schedule: options.schedule,
    },
  };
  return createHash('sha256').update(stableJson(identity)).digest('hex');
}

/** The run id derived from a fingerprint: `apo-` and its first 12 hex digits. */
export function apoRunIdOf(fingerprint: string): string {
  return `apo-${fingerprint.slice(0, 12)}`;
}

/** JSON with object keys sorted, so that equal values hash equally whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    return Object.fromEntries(Object.keys(item).sort().map((key) => [key, (item as Record<string, unknown>)[key]]));
  });
}
