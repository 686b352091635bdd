// Public surface of the GRPO trainer: configuration (TRL GRPOConfig names), setup from a config
// (all checks before any model is loaded), the training loop, and the pure pieces (advantages,
// loss variants, dynamic sampling) for anyone building on them, e.g. the R1 pipeline runner.
export { DEFAULT_CONFIG, validateConfig, parseRewardSpecs, readConfigFile, bundledModel, BUNDLED_MODEL } from './config.js';
export type { GrpoConfig, RewardSpec } from './config.js';
export { prepareGrpo, defaultRewards, resolveModelDir } from './setup.js';
export { demoConfig, demoConfigFile, DEMO_CONFIG_FILE, DEMO_CONFIG_FILES } from './demo.js';
export type { PrepareOptions } from './setup.js';
export { runGrpo } from './trainer.js';
export type { GrpoRunOptions, GrpoResult, GrpoTrainerState, ResolvedGrpoConfig } from './trainer.js';
export { weightedReward, computeAdvantages, zeroStdGroups, meanStd } from './advantages.js';
export type { ScaleRewards, CombinedRewards, Advantages } from './advantages.js';
export { grpoLoss, surrogate, k3, LOSS_TYPES } from './loss.js';
export { completionMask } from './packing.js';
export type { LossType, Normaliser, MicroBatch, LossResult } from './loss.js';
export { informativeGroups } from './dynamic-sampling.js';
export { taskPrompts, filePrompts, readPromptFile } from './prompts.js';
export type { PromptItem, PromptSource, PromptPosition } from './prompts.js';
export type { Sampler, SampledCompletion, Judges } from './rollout.js';
