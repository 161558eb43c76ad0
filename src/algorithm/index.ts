export { toAlgorithm } from './algorithm.ts';
export { Baseline } from './baseline.ts';
export { readAttemptReward } from './rollout-reward.ts';
export { runAlgorithm } from './run-algorithm.ts';
export type { Algorithm, AlgorithmContext, AlgorithmFunction, AlgorithmLike, AlgorithmStore } from './algorithm.ts';
export type { BaselineOptions, BaselineResult, BaselineTaskResult } from './baseline.ts';
export type { AttemptReward } from './rollout-reward.ts';
export type { RunAlgorithmOptions } from './run-algorithm.ts';
