// GRPOConfig under TRL's names, for the library API: maps 1:1 onto aha's GrpoConfig (config.ts),
// whose names already follow TRL where the two agree. Where TRL counts differently (its batch
// sizes count completions; aha counts prompts per step) the mapping is exact or an error. A key
// aha does not know is an error naming it, never ignored.
import { AhaError } from '../util/errors.js';
import { DEFAULT_CONFIG, type GrpoConfig } from './config.js';
import { didYouMean } from '../util/near-name.js';
import { TRL_UNSUPPORTED, trlPromptsPerStep, trlScaleRewards } from './trl-names.js';

/** aha settings the trainer fills in from its own options (model, train_dataset or task, reward_funcs) or maps below. */
type TrainerOwned = 'model' | 'task' | 'data' | 'rewards';
type Mapped = 'scale_rewards' | 'epsilon_high' | 'difficulty';

/**
 * GRPO training arguments: TRL's GRPOConfig names. Every setting of `aha train` (GrpoConfig,
 * docs/grpo.md) is accepted under its own name, which is TRL's where TRL has one; the fields
 * below are TRL's where it counts or spells differently. Every field optional.
 */
export interface GRPOConfig extends Partial<Omit<GrpoConfig, TrainerOwned | Mapped>> {
  /** Upper clip (DAPO clip-higher); default = epsilon. */
  epsilon_high?: number;
  /** Advantage scaling: 'group' (or true), 'batch', 'none' (or false). */
  scale_rewards?: 'group' | 'batch' | 'none' | boolean;
  /** Task difficulty levels to draw from (a task only). */
  difficulty?: number[];
  /** Completions per micro-batch; with gradient_accumulation_steps, the completions of a step (a multiple of num_generations). */
  per_device_train_batch_size?: number;
  /** Completions sampled per step (a multiple of num_generations); aha makes one update (times num_iterations) per such batch. */
  generation_batch_size?: number;
  /** One weight per reward function, in the order of reward_funcs (default 1 each). */
  reward_weights?: number[];
  /** No progress bar or progress messages. */
  disable_tqdm?: boolean;
}

const OWNED: readonly string[] = ['model', 'task', 'data', 'rewards'] satisfies TrainerOwned[];

/** GRPOConfig keys that are GrpoConfig keys of the same meaning: all of aha's but the trainer's own. */
const SAME = Object.keys(DEFAULT_CONFIG).filter((k) => !OWNED.includes(k) && k !== 'scale_rewards');

/** Handled here rather than copied. */
const MAPPED = ['per_device_train_batch_size', 'generation_batch_size', 'scale_rewards', 'reward_weights', 'disable_tqdm'];

export const GRPO_CONFIG_KEYS: readonly string[] = [...SAME, ...MAPPED].sort();

/** TRL options aha has no counterpart for (trl-names.ts), and those the trainer takes as its own arguments. */
const UNSUPPORTED: Record<string, string> = {
  ...TRL_UNSUPPORTED,
  model: 'give the model to the trainer (new GRPOTrainer({ model }))',
  reward_funcs: 'give reward functions to the trainer (new GRPOTrainer({ reward_funcs }))',
};

export interface TrlGrpoSettings {
  /** aha's config without model, task, data and rewards (the trainer fills those in). */
  config: GrpoConfig;
  quiet: boolean;
  rewardWeights: number[] | null;
}

/** Maps a TRL-named GRPOConfig onto aha's GrpoConfig (ranges are checked later by validateConfig). */
export function fromTrlGrpoConfig(args: GRPOConfig = {}): TrlGrpoSettings {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new AhaError('GRPOConfig must be an object of options');
  for (const key of Object.keys(args)) {
    if (GRPO_CONFIG_KEYS.includes(key)) continue;
    if (UNSUPPORTED[key]) throw new AhaError(`GRPOConfig.${key} is not supported: ${UNSUPPORTED[key]}`);
    throw new AhaError(`GRPOConfig: unknown option "${key}"${didYouMean(key, GRPO_CONFIG_KEYS)}; known: ${GRPO_CONFIG_KEYS.join(', ')}`);
  }
  const config: GrpoConfig = { ...DEFAULT_CONFIG };
  const out = config as unknown as Record<string, unknown>;
  const given = args as Record<string, unknown>;
  for (const key of SAME) if (given[key] !== undefined) out[key] = given[key];
  const perStep = trlPromptsPerStep(args, config.num_generations, config.gradient_accumulation_steps);
  if (perStep !== null && typeof perStep === 'object') throw new AhaError(`GRPOConfig.${perStep.problem}`);
  if (perStep !== null) {
    if (args.prompts_per_step !== undefined && args.prompts_per_step !== perStep) {
      throw new AhaError(`GRPOConfig: prompts_per_step ${args.prompts_per_step} disagrees with the batch size given (${perStep} prompts per step); give one of them`);
    }
    config.prompts_per_step = perStep;
  }
  const scale = args.scale_rewards;
  if (scale !== undefined) config.scale_rewards = trlScaleRewards(scale) as GrpoConfig['scale_rewards'];
  const weights = args.reward_weights;
  if (weights !== undefined && (!Array.isArray(weights) || !weights.every((w) => typeof w === 'number' && Number.isFinite(w)))) {
    throw new AhaError('GRPOConfig.reward_weights must be a list of finite numbers, one per reward function');
  }
  if (args.disable_tqdm !== undefined && typeof args.disable_tqdm !== 'boolean') throw new AhaError('GRPOConfig.disable_tqdm must be true or false');
  return { config, quiet: args.disable_tqdm === true, rewardWeights: weights ?? null };
}
