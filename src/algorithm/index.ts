export { toAlgorithm } from './algorithm.ts';
export {
  APO,
  APO_TABLES,
  ApoRoundsTable,
  EDIT_PROMPT_VARIANTS,
  GRADIENT_PROMPT_VARIANTS,
  LocalApoData,
  RemoteApoData,
  apoDataForStore,
  apoRoundProblem,
  apoRunFingerprint,
  apoRunIdOf,
  checkTemplateEdit,
  editMessage,
  extractTemplate,
  gradientMessage,
  resolveApoOptions,
} from './apo/index.ts';
export { Baseline } from './baseline.ts';
export { readAttemptReward } from './rollout-reward.ts';
export { runAlgorithm } from './run-algorithm.ts';
export { TrainingFailedError, formatRolloutFailure, readRolloutFailure } from './training-failed-error.ts';
export type {
  ApoCandidateScore,
  ApoData,
  ApoOptions,
  ApoResult,
  ApoRoundRecord,
  ApoRunIdentityInput,
  ApoRunStart,
  RemoteApoDataOptions,
  ResolvedApoOptions,
  TemplateCheck,
} from './apo/index.ts';
export type { Algorithm, AlgorithmContext, AlgorithmData, AlgorithmFunction, AlgorithmLike, AlgorithmStore } from './algorithm.ts';
export type { BaselineOptions, BaselineResult, BaselineTaskResult } from './baseline.ts';
export type { AttemptReward } from './rollout-reward.ts';
export type { RunAlgorithmOptions } from './run-algorithm.ts';
export type { RolloutFailure } from './training-failed-error.ts';
