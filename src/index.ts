// aha as a library: the typed API of the package root (`import { GRPOTrainer } from 'aha'`).
// Trainers take TRL's names (GRPOConfig, SFTConfig, reward_funcs, callbacks); reward functions
// and tasks written in TypeScript join the built-in ones by name. This file only re-exports the
// parts (it may import every part); the `aha` command is another user of the same parts.
// docs/api.md documents it.

// Training
export { GRPOTrainer, type GRPOTrainerOptions, type GRPOTrainOutput, type RewardFuncSpec } from './rl/grpo-trainer.js';
export { GRPO_CONFIG_KEYS, type GRPOConfig } from './rl/trl-config.js';
// The resolved settings (GRPOTrainer's `config`, what config.json records; SFTTrainer's `options`)
export type { GrpoConfig } from './rl/config.js';
export type { SftOptions } from './sft/sft-run.js';
export { SFTTrainer, SFT_CONFIG_KEYS, type SFTConfig, type SFTTrainerOptions, type SFTTrainOutput } from './sft/sft-trainer.js';
export type { TrainerCallback, LogMetrics } from './util/callbacks.js';
export type { LossType } from './rl/loss.js';

// Rewards and tasks of your own (importing the rewards and tasks parts registers the built-in rewards)
export { defineReward, type RewardFunc, type Example, type DefineRewardOptions } from './rewards/define.js';
export { getReward, listRewards, combineRewards, type RewardFunction, type RewardScore, type RewardExample, type WeightedReward, type CombinedScore } from './rewards/index.js';
export { defineTask, type TaskDefinition } from './tasks/define.js';

// Tools the model calls mid-answer (multi-turn rollouts; docs/tools.md)
export { defineTool, type Tool, type ToolCallContext } from './tools/tool.js';
export { searchTool, type Passage } from './tools/search.js';
export type { CompletionSegment } from './tools/segments.js';
export { getTask, listTasks, frame, lastAnswer, splitOf, type Task, type Problem, type GenerateOptions, type Verdict, type Split } from './tasks/index.js';

// Verifiers
export { verifyMath, extractAnswer, type MathVerdict, type VerifyMathOptions, type ExtractOptions } from './rewards/index.js';
export { runCode, runProgram, type RunCodeRequest, type RunCodeResult, type RunProgramRequest, type RunProgramResult, type CodeTests, type TestStatus, type CodeLanguage } from './rewards/index.js';

// Models and evaluation
export { loadModel, saveModel, sampleText, setSamplingPrecision, type LoadedModel, type Sample, type SampleOptions, type SamplingPrecision } from './model/index.js';
export type { CausalLM, Tokenizer, SaveModelOptions, PrecisionRequest } from './model/index.js';
export { evaluate, type EvaluateOptions } from './eval/evaluate.js';

// Reward models (docs/reward-models.md)
export { loadRewardModel, type RewardModel, type RewardModelKind, type ScalarRewardModel } from './model/reward-model.js';
export { trainRewardModel, labelSteps, type RmTrainOptions, type RmTrainResult, type LabelOptions, type LabelResult } from './rm/index.js';
// Satori's Chain-of-Action-Thought (docs/self-correction.md): meta-action tokens, the two stages
export { addTokens, addTokensToFolder, resizeTokenEmbeddings, META_ACTIONS, type AddedTokens } from './model/added-tokens.js';
export { runCoat, evaluateCoat, coatOptions, COAT_DEFAULTS, type CoatOptions, type CoatResult } from './pipeline/coat.js';
export { coatDemos, type CoatDemo, type CoatDemoKind, type CoatDemoOptions } from './tasks/coat-demos.js';
export type { CoatMetrics } from './rl/coat.js';
export type { PromptItem } from './rl/prompts.js';
export type { EvalResult, ProblemResult } from './eval/index.js';
export { search, type SearchOptions, type SearchResult, type SearchSummary } from './eval/search/index.js';

// The native kernels: which matrix products this build uses (OpenBLAS or the portable ones), threads
export { buildInfo, setNumThreads, getNumThreads, type BuildInfo } from './core/index.js';

// Errors: an AhaError is a user-facing problem (bad input, missing file) with a clear message.
export { AhaError, InputError, type Location as InputLocation } from './util/errors.js';
