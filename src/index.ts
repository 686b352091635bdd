// aha as a library: the typed API of the package root (`import { GRPOTrainer } from 'aha'`).
// Trainers take TRL's names (GRPOConfig, SFTConfig, reward_funcs, callbacks); reward functions
// and tasks written in TypeScript join the built-in ones by name. This file only re-exports the
// parts (it may import every part); the `aha` command is another user of the same parts.
// docs/api.md documents it.

// Training
export { GRPOTrainer, type GRPOTrainerOptions, type GRPOTrainOutput, type RewardFuncSpec } from './rl/grpo-trainer.js';
export { GRPO_CONFIG_KEYS, type GRPOConfig } from './rl/trl-config.js';
export { SFTTrainer, SFT_CONFIG_KEYS, type SFTConfig, type SFTTrainerOptions, type SFTTrainOutput } from './sft/sft-trainer.js';
export type { TrainerCallback, LogMetrics } from './util/callbacks.js';
export type { LossType } from './rl/loss.js';

// Rewards and tasks of your own
export { defineReward, type RewardFunc, type Example, type DefineRewardOptions } from './rewards/define.js';
export { getReward, listRewards } from './rewards/registry.js';
export type { RewardFunction, RewardScore } from './rewards/types.js';
export { defineTask, type TaskDefinition } from './tasks/define.js';
export { getTask, listTasks } from './tasks/registry.js';
export { frame, lastAnswer, type Task, type Problem, type GenerateOptions, type Verdict, type Split } from './tasks/task.js';

// Verifiers
export { verifyMath, extractAnswer, type MathVerdict, type VerifyMathOptions } from './rewards/math/index.js';
export { runCode, type RunCodeRequest, type RunCodeResult, type CodeTests, type TestStatus } from './rewards/code/index.js';
export type { CodeLanguage } from './rewards/code/index.js';

// Models and evaluation
export { loadModel, saveModel, type LoadedModel } from './model/checkpoint.js';
export { sampleText, type Sample, type SampleOptions } from './model/sampling.js';
export { evaluate, type EvaluateOptions } from './eval/evaluate.js';
export type { EvalResult, ProblemResult } from './eval/run.js';

// Errors: an AhaError is a user-facing problem (bad input, missing file) with a clear message.
export { AhaError, InputError } from './util/errors.js';

// The built-in rewards register themselves when the rewards part loads; task rewards likewise.
import './rewards/index.js';
import './tasks/rewards.js';
