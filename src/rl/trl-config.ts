// GRPOConfig under TRL's names, for the library API: maps 1:1 onto aha's GrpoConfig (config.ts),
// whose names already follow TRL where the two agree. Where TRL counts differently (its batch
// sizes count completions; aha counts prompts per step) the mapping is exact or an error. A key
// aha does not know is an error naming it, never ignored.
import { AhaError } from '../util/errors.js';
import { DEFAULT_CONFIG, type GrpoConfig } from './config.js';
import type { LossType } from './loss.js';
import type { ScheduleKind } from '../util/schedule.js';

/** GRPO training arguments (TRL's GRPOConfig names; every field optional, aha's defaults otherwise). */
export interface GRPOConfig {
  /** Run folder: metrics.jsonl, completions.jsonl, checkpoints/ (default runs/grpo). */
  output_dir?: string;
  max_steps?: number;
  learning_rate?: number;
  /** G, completions per prompt. */
  num_generations?: number;
  /** Completions per micro-batch; with gradient_accumulation_steps, the completions of a step (a multiple of num_generations). */
  per_device_train_batch_size?: number;
  gradient_accumulation_steps?: number;
  /** Completions sampled per step (a multiple of num_generations); aha makes one update (times num_iterations) per such batch. */
  generation_batch_size?: number;
  max_completion_length?: number;
  temperature?: number;
  top_p?: number;
  /** KL coefficient; 0 = no reference model. */
  beta?: number;
  epsilon?: number;
  /** Upper clip (DAPO clip-higher); default = epsilon. */
  epsilon_high?: number;
  loss_type?: LossType;
  /** Advantage scaling: 'group' (or true), 'batch', 'none' (or false). */
  scale_rewards?: 'group' | 'batch' | 'none' | boolean;
  num_iterations?: number;
  mask_truncated_completions?: boolean;
  /** One weight per reward function, in the order of reward_funcs (default 1 each). */
  reward_weights?: number[];
  lr_scheduler_type?: ScheduleKind;
  warmup_steps?: number;
  weight_decay?: number;
  adam_beta1?: number;
  adam_beta2?: number;
  adam_epsilon?: number;
  max_grad_norm?: number;
  seed?: number;
  /** Checkpoint every n steps (and at the end; 0 = only at the end). */
  save_steps?: number;
  logging_steps?: number;
  /** Held-out evaluation every n steps (with eval_problems). */
  eval_steps?: number;
  /** No progress bar or progress messages. */
  disable_tqdm?: boolean;
  // aha's own options (no TRL counterpart):
  /** Prompts per step (instead of the batch sizes above). */
  prompts_per_step?: number;
  /** Added to σ in the advantage (default 1e-4). */
  advantage_eps?: number;
  /** DAPO: drop groups whose rewards are all equal and sample more prompts to refill. */
  dynamic_sampling?: boolean;
  max_sampling_rounds?: number;
  /** Write the sampled completions every n steps (0 = never). */
  log_completions_steps?: number;
  /** Held-out task problems evaluated before, every eval_steps and after training (a task only). */
  eval_problems?: number;
  /** Task difficulty levels to draw from (a task only). */
  difficulty?: number[];
  /** Compute threads (0 = default). */
  threads?: number;
}

/** GRPOConfig keys that are GrpoConfig keys of the same meaning. */
const SAME = [
  'output_dir', 'max_steps', 'learning_rate', 'num_generations', 'gradient_accumulation_steps', 'max_completion_length', 'temperature', 'top_p',
  'beta', 'epsilon', 'epsilon_high', 'loss_type', 'num_iterations', 'mask_truncated_completions', 'lr_scheduler_type', 'warmup_steps',
  'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'max_grad_norm', 'seed', 'save_steps', 'logging_steps', 'eval_steps',
  'prompts_per_step', 'advantage_eps', 'dynamic_sampling', 'max_sampling_rounds', 'log_completions_steps', 'eval_problems', 'difficulty', 'threads',
] as const satisfies readonly (keyof GRPOConfig & keyof GrpoConfig)[];

/** Handled here rather than copied. */
const MAPPED = ['per_device_train_batch_size', 'generation_batch_size', 'scale_rewards', 'reward_weights', 'disable_tqdm'] as const;

export const GRPO_CONFIG_KEYS: readonly string[] = [...SAME, ...MAPPED].sort();

/** TRL options users may bring that aha has no counterpart for, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  num_train_epochs: 'aha trains for max_steps steps',
  top_k: 'aha samples with temperature and top_p',
  min_p: 'aha samples with temperature and top_p',
  repetition_penalty: 'aha samples with temperature and top_p',
  max_prompt_length: 'prompts are checked against the model context instead',
  warmup_ratio: 'use warmup_steps',
  steps_per_generation: 'aha makes one update (times num_iterations) per generation batch',
  log_completions: 'use log_completions_steps',
  save_total_limit: 'every checkpoint is kept',
  model: 'give the model to the trainer (new GRPOTrainer({ model }))',
  reward_funcs: 'give reward functions to the trainer (new GRPOTrainer({ reward_funcs }))',
};

export interface TrlGrpoSettings {
  /** aha's config without model, task, data and rewards (the trainer fills those in). */
  config: GrpoConfig;
  quiet: boolean;
  rewardWeights: number[] | null;
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;

/** Rows (completions) per step from TRL's batch sizes, as prompts per step; null when none is given. */
function promptsPerStep(args: GRPOConfig, G: number, accum: number): number | null {
  const { per_device_train_batch_size: pdtbs, generation_batch_size: gbs } = args;
  if (pdtbs === undefined && gbs === undefined) return null;
  if (pdtbs !== undefined && !isInt(pdtbs)) throw new AhaError(`GRPOConfig.per_device_train_batch_size must be an integer >= 1, got ${pdtbs}`);
  if (gbs !== undefined && !isInt(gbs)) throw new AhaError(`GRPOConfig.generation_batch_size must be an integer >= 1, got ${gbs}`);
  if (pdtbs !== undefined && gbs !== undefined && gbs !== pdtbs * accum) {
    throw new AhaError(`GRPOConfig.generation_batch_size ${gbs} must equal per_device_train_batch_size × gradient_accumulation_steps (${pdtbs} × ${accum}): aha makes one update per generation batch`);
  }
  const rows = gbs ?? pdtbs! * accum;
  const what = gbs !== undefined ? `generation_batch_size ${gbs}` : `per_device_train_batch_size × gradient_accumulation_steps (${rows})`;
  if (rows % G !== 0) throw new AhaError(`GRPOConfig: ${what} must be a multiple of num_generations (${G}): each prompt gets a whole group`);
  return rows / G;
}

/** Maps a TRL-named GRPOConfig onto aha's GrpoConfig (ranges are checked later by validateConfig). */
export function fromTrlGrpoConfig(args: GRPOConfig = {}): TrlGrpoSettings {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new AhaError('GRPOConfig must be an object of options');
  for (const key of Object.keys(args)) {
    if (UNSUPPORTED[key]) throw new AhaError(`GRPOConfig.${key} is not supported: ${UNSUPPORTED[key]}`);
    if (!GRPO_CONFIG_KEYS.includes(key)) throw new AhaError(`GRPOConfig: unknown option "${key}"; known: ${GRPO_CONFIG_KEYS.join(', ')}`);
  }
  const config: GrpoConfig = { ...DEFAULT_CONFIG };
  const out = config as unknown as Record<string, unknown>;
  for (const key of SAME) if (args[key] !== undefined) out[key] = args[key];
  const perStep = promptsPerStep(args, config.num_generations, config.gradient_accumulation_steps);
  if (perStep !== null) {
    if (args.prompts_per_step !== undefined && args.prompts_per_step !== perStep) {
      throw new AhaError(`GRPOConfig: prompts_per_step ${args.prompts_per_step} disagrees with the batch size given (${perStep} prompts per step); give one of them`);
    }
    config.prompts_per_step = perStep;
  }
  const scale = args.scale_rewards;
  if (scale !== undefined) config.scale_rewards = (scale === true ? 'group' : scale === false ? 'none' : scale) as GrpoConfig['scale_rewards'];
  const weights = args.reward_weights;
  if (weights !== undefined && (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number' && Number.isFinite(w)))) {
    throw new AhaError('GRPOConfig.reward_weights must be a list of finite numbers, one per reward function');
  }
  if (args.disable_tqdm !== undefined && typeof args.disable_tqdm !== 'boolean') throw new AhaError('GRPOConfig.disable_tqdm must be true or false');
  return { config, quiet: args.disable_tqdm === true, rewardWeights: weights ?? null };
}
