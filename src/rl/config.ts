// The GRPO run configuration: every option with its default (names follow TRL's GRPOConfig), the
// reward spec parser (`accuracy:1,format:0.5`), config files (JSON or YAML), and validation that
// runs before anything expensive so bad settings fail in milliseconds with a clear AhaError.
import { duplicateReward, parseRewardSpec } from '../rewards/spec.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AhaError, InputError } from '../util/errors.js';
import { parseJsonText } from '../util/json-file.js';
import { readUtf8File } from '../util/text-file.js';
import { TRL_UNSUPPORTED, trlPromptsPerStep, trlScaleRewards, type TrlBatchSizes } from './trl-names.js';
import { readRunConfig, RUN_CONFIG_FILE } from '../model/training-run.js';
import { IMPORTANCE_SAMPLING_LEVELS, IMPORTANCE_SAMPLING_MODES, LOSS_TYPES, type ImportanceSamplingLevel, type ImportanceSamplingMode, type LossType } from './loss.js';
import { assertTrainable, parseLoraSpec } from '../model/lora.js';
import { ADVANTAGE_ESTIMATORS, MULTI_OBJECTIVE_AGGREGATIONS, type AdvantageEstimator, type MultiObjectiveAggregation, type ScaleRewards } from './advantages.js';
import type { ScheduleKind } from '../util/schedule.js';
import { TOOL_DEFAULTS, toolOptionsProblem, type ToolOptions } from '../tools/options.js';
import { checkScoreOptions, SCORE_DEFAULTS, type ScoreOptions } from './self-correction.js';
import { LEARNED_REWARD_DEFAULTS, learnedOnProblem, type LearnedRewardOptions } from './learned-on.js';
import { samplingPrecisionProblem, type SamplingPrecision } from '../model/sampling-precision.js';
import { checkChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';
import { checkCoatGrpoOptions, COAT_GRPO_DEFAULTS, type CoatGrpoOptions } from './coat-options.js';
import { didYouMean } from '../util/near-name.js';

/** The bundled base model of the arithmetic task and of data files. */
export const BUNDLED_MODEL = 'models/aha-tiny-base';

/** The bundled base model pretrained for a built-in task: the Countdown one, or the arithmetic one for anything else. */
export function bundledModel(task: string | null): string {
  return task === 'countdown' ? 'models/aha-tiny-countdown' : task === 'world' ? 'models/aha-tiny-world' : BUNDLED_MODEL;
}

export interface RewardSpec {
  name: string;
  weight: number;
}

/** The GRPO options, the tool options (tools, max_tool_calls, tool_timeout, search_*; src/tools/options.ts), SCoRe's two-attempt options (self-correction.ts), Satori's COAT options (coat-options.ts) and learned_on (learned-on.ts). */
export interface GrpoConfig extends ToolOptions, ScoreOptions, CoatGrpoOptions, LearnedRewardOptions {
  /** Model folder; null = the task's bundled base model (models/aha-tiny-countdown for countdown, else models/aha-tiny-base). */
  model: string | null;
  /** Built-in task name, or null when `data` is given. */
  task: string | null;
  /** JSON Lines prompts with gold answers, or null when `task` is given. */
  data: string | null;
  /** Task difficulty levels to draw from (uniformly); null = all of the task's levels. */
  difficulty: number[] | null;
  /** Reward functions and weights; empty = the task's default rewards. */
  rewards: RewardSpec[];
  output_dir: string;
  max_steps: number;
  /** Prompts per step; each gets num_generations completions. */
  prompts_per_step: number;
  /** G, completions per prompt (TRL num_generations; --group-size). */
  num_generations: number;
  max_completion_length: number;
  temperature: number;
  top_p: number;
  /** Keep the k most likely tokens when sampling; 0 = off (TRL top_k None). */
  top_k: number;
  /** Drop tokens less likely than min_p times the most likely one; 0 = off (TRL min_p None). */
  min_p: number;
  /** CTRL's penalty on tokens already in the prompt or completion; 1 = off (TRL's default). */
  repetition_penalty: number;
  /**
   * The precision the rollouts are sampled in: f32 (the trainer's), or bf16 (BF16 matrix products
   * with f32 accumulation, Transformer.sampleInBf16; faster, and slightly off-policy for the f32
   * trainer). The held-out evaluation samples in f32 either way. vLLM calls this its dtype.
   */
  sampling_precision: SamplingPrecision;
  /** KL coefficient (DeepSeekMath); 0 = no reference model. */
  beta: number;
  /** Lower clip ε (PPO/DeepSeekMath). */
  epsilon: number;
  /** Upper clip ε_high (DAPO clip-higher); null = same as epsilon. */
  epsilon_high: number | null;
  loss_type: LossType;
  /** token (PPO/GRPO ratios) or sequence (GSPO: one geometric-mean ratio per completion). */
  importance_sampling_level: ImportanceSamplingLevel;
  /** Two-sided clipping (INTELLECT-2): cap on the unclipped ratio, > 1 + epsilon_high; null = off. */
  delta: number | null;
  /** DeepSeek-V3.2 KL bias correction: the k3 term times the importance ratio (needs beta > 0). */
  use_bias_correction_kl: boolean;
  /** Entropy bonus coefficient c: loss − c·H̄, H̄ aggregated like the loss (0 = off). */
  entropy_coef: number;
  /** Skywork-OR1's adaptive entropy target: entropy_coef moves by ±entropy_coef_delta after every update (TRL's names). */
  use_adaptive_entropy: boolean;
  /** Target mean token entropy in nats; the bonus applies only while the entropy is at or below it (TRL 0.2). */
  entropy_target: number;
  entropy_coef_delta: number;
  entropy_coef_min: number;
  entropy_coef_max: number;
  /** Keep only the top ρ share of tokens by entropy in the policy term (1 = all; the 80/20 paper uses 0.2). */
  top_entropy_quantile: number;
  /** How rewards become advantages: grpo (group-normalised), rloo (leave-one-out), reinforce_plus_plus (batch-normalised). */
  advantage_estimator: AdvantageEstimator;
  /** DeepSeek-V3.2 off-policy masking: drop negative-advantage rows whose mean log-ratio old − new exceeds this (TRL suggests 0.5); null = off. */
  off_policy_mask_threshold: number | null;
  /** Mix the policy into the reference model every ref_model_sync_steps optimiser updates (TR-DPO; TRL's name). */
  sync_ref_model: boolean;
  /** α in π_ref ← α·π + (1 − α)·π_ref (TRL 0.6). */
  ref_model_mixup_alpha: number;
  ref_model_sync_steps: number;
  /** sum_then_normalize (the weighted total normalised) or normalize_then_sum (each reward function first; GDPO). */
  multi_objective_aggregation: MultiObjectiveAggregation;
  /**
   * Truncated importance sampling on the policy term when the sampler's log-probs differ from the
   * trainer's (TRL's name). null (the default) = on when the sampler is not the trainer
   * (sampling_precision bf16, at temperature 1), as TRL turns it on when vLLM samples; off otherwise.
   */
  vllm_importance_sampling_correction: boolean | null;
  vllm_importance_sampling_mode: ImportanceSamplingMode;
  /** The cap C on the weight (truncate) or the bound above which a weight is zeroed (mask). */
  vllm_importance_sampling_clip_max: number;
  scale_rewards: ScaleRewards;
  /** Added to σ in the advantage (TRL 1e-4). */
  advantage_eps: number;
  /** Optimisation passes per batch of samples (DeepSeekMath's μ). */
  num_iterations: number;
  /** DAPO: truncated completions get no loss. */
  mask_truncated_completions: boolean;
  /** DAPO: drop all-equal-reward groups and sample more prompts to refill. */
  dynamic_sampling: boolean;
  /** DAPO's max_num_gen_batches: sampling rounds per step before training on what is there. */
  max_sampling_rounds: number;
  learning_rate: number;
  lr_scheduler_type: ScheduleKind;
  warmup_steps: number;
  weight_decay: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  max_grad_norm: number;
  /** Micro-batches per optimiser update (the batch of samples is split into this many). */
  gradient_accumulation_steps: number;
  seed: number;
  save_steps: number;
  /** Complete checkpoints kept at most, the oldest deleted first, never the newest (TRL's name); null = all. */
  save_total_limit: number | null;
  logging_steps: number;
  log_completions_steps: number;
  /** Held-out task problems evaluated before training, every eval_steps and at the end; 0 = none. */
  eval_problems: number;
  /** Held-out evaluation every n steps (0 = only before and after training). */
  eval_steps: number;
  /** Worker threads for the compute core; 0 = its default. */
  threads: number;
  /** LoRA adapters (`r=16,alpha=32,dropout=0,targets=all-linear`) on a frozen base; null = full fine-tuning. */
  lora: string | null;
  /** Recompute each layer in the backward pass instead of keeping its activations (less memory, one more forward). */
  gradient_checkpointing: boolean;
  /**
   * Variables for the chat template that renders conversational prompts (a data file's `prompt`
   * as a list of messages), e.g. { enable_thinking: false } for Qwen3 (TRL's name). A row's own
   * `chat_template_kwargs` adds to them. Text prompts are used verbatim, so a task run takes none.
   */
  chat_template_kwargs: ChatTemplateArgs;
}

export const DEFAULT_CONFIG: GrpoConfig = {
  model: null,
  task: null,
  data: null,
  difficulty: null,
  rewards: [],
  output_dir: 'runs/grpo',
  max_steps: 100,
  prompts_per_step: 4,
  num_generations: 8,
  max_completion_length: 128,
  temperature: 1.0,
  top_p: 1.0,
  top_k: 0,
  min_p: 0,
  repetition_penalty: 1.0,
  sampling_precision: 'f32',
  beta: 0,
  epsilon: 0.2,
  epsilon_high: null,
  loss_type: 'grpo',
  importance_sampling_level: 'token',
  delta: null,
  use_bias_correction_kl: false,
  entropy_coef: 0,
  use_adaptive_entropy: false,
  entropy_target: 0.2,
  entropy_coef_delta: 0.005,
  entropy_coef_min: 0,
  entropy_coef_max: 1,
  top_entropy_quantile: 1,
  advantage_estimator: 'grpo',
  multi_objective_aggregation: 'sum_then_normalize',
  off_policy_mask_threshold: null,
  sync_ref_model: false,
  ref_model_mixup_alpha: 0.6,
  ref_model_sync_steps: 512,
  vllm_importance_sampling_correction: null,
  vllm_importance_sampling_mode: 'sequence_mask',
  vllm_importance_sampling_clip_max: 3.0,
  scale_rewards: 'group',
  advantage_eps: 1e-4,
  num_iterations: 1,
  mask_truncated_completions: false,
  dynamic_sampling: false,
  max_sampling_rounds: 4,
  learning_rate: 1e-5,
  lr_scheduler_type: 'constant',
  warmup_steps: 0,
  weight_decay: 0,
  adam_beta1: 0.9,
  adam_beta2: 0.99,
  adam_epsilon: 1e-8,
  max_grad_norm: 1.0,
  gradient_accumulation_steps: 1,
  seed: 42,
  save_steps: 50,
  save_total_limit: null,
  logging_steps: 1,
  log_completions_steps: 10,
  eval_problems: 0,
  eval_steps: 0,
  threads: 0,
  lora: null,
  gradient_checkpointing: false,
  chat_template_kwargs: {},
  ...TOOL_DEFAULTS,
  ...SCORE_DEFAULTS,
  ...COAT_GRPO_DEFAULTS,
  ...LEARNED_REWARD_DEFAULTS,
};

/** Config keys accepted in a file besides the GrpoConfig names (TRL spellings). */
const ALIASES: Record<string, keyof GrpoConfig> = { group_size: 'num_generations', reward: 'rewards', reward_funcs: 'rewards', warmup: 'warmup_steps' };

/** Parses `accuracy:1,format:0.5` (a missing weight is 1; `=` works too, as on every command). */
export function parseRewardSpecs(spec: string | readonly string[]): RewardSpec[] {
  return parseRewardSpec(spec, '--reward');
}

/** Reads a JSON or YAML config file into partial options (unknown keys are an error). */
export function readConfigFile(file: string): Partial<GrpoConfig> {
  if (!existsSync(file)) throw new InputError({ file }, 'config file not found');
  const text = readUtf8File(file);
  if (text.trim() === '') throw new InputError({ file }, 'the file is empty; expected an object of options');
  let raw: unknown;
  if (/\.ya?ml$/i.test(file)) {
    try {
      // YAML 1.1 merge keys (<<: *anchor), which TRL users' YAML files use, are resolved as in PyYAML.
      raw = parseYaml(text, { merge: true });
    } catch (err) {
      throw new InputError({ file }, `cannot parse: ${(err as Error).message}`);
    }
  } else raw = parseJsonText(text, { file });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file }, 'expected an object of options');
  const out: Record<string, unknown> = {};
  const trl: TrlBatchSizes & { reward_weights?: unknown } = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = ALIASES[k] ?? k;
    // TRL's own names, meaning what they mean in the library's GRPOConfig (trl-names.ts).
    if (k === 'per_device_train_batch_size' || k === 'generation_batch_size' || k === 'reward_weights') {
      trl[k] = v;
      continue;
    }
    const unsupported = TRL_UNSUPPORTED[k] ?? (k === 'disable_tqdm' ? 'use --quiet' : undefined);
    if (unsupported !== undefined) throw new InputError({ file, field: k }, `TRL's option is not supported: ${unsupported}`);
    if (!(key in DEFAULT_CONFIG)) throw new InputError({ file, field: k }, `unknown option${didYouMean(k, [...Object.keys(DEFAULT_CONFIG), ...Object.keys(ALIASES), ...TRL_FILE_KEYS])}; known: ${Object.keys(DEFAULT_CONFIG).join(', ')}, ${TRL_FILE_KEYS.join(', ')}`);
    if (key === 'rewards') {
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) out.rewards = parseRewardSpecs(v as string | string[]);
      else if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && typeof (x as RewardSpec).name === 'string')) {
        out.rewards = (v as RewardSpec[]).map((x) => ({ name: x.name, weight: x.weight ?? 1 }));
      } else if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((w) => typeof w === 'number')) {
        out.rewards = Object.entries(v as Record<string, number>).map(([name, weight]) => ({ name, weight }));
      } else throw new InputError({ file, field: k }, 'expected "name:weight,...", a list of {name, weight}, or a map name: weight');
    } else out[key] = key === 'scale_rewards' ? trlScaleRewards(v) : v;
  }
  const G = (out.num_generations ?? DEFAULT_CONFIG.num_generations) as number;
  const accum = (out.gradient_accumulation_steps ?? DEFAULT_CONFIG.gradient_accumulation_steps) as number;
  // A G or accumulation of the wrong type is validateConfig's error to name; the batch waits for it.
  const perStep = isInt(G) && G >= 1 && isInt(accum) && accum >= 1 ? trlPromptsPerStep(trl, G, accum) : null;
  if (perStep !== null && typeof perStep === 'object') throw new InputError({ file, field: perStep.field }, perStep.problem);
  if (perStep !== null) {
    const field = trl.generation_batch_size !== undefined ? 'generation_batch_size' : 'per_device_train_batch_size';
    if (out.prompts_per_step !== undefined && out.prompts_per_step !== perStep) {
      throw new InputError({ file, field }, `gives ${perStep} prompts per step (TRL counts completions: ${perStep} × num_generations ${G}), but prompts_per_step is ${JSON.stringify(out.prompts_per_step)}; give one of them`);
    }
    out.prompts_per_step = perStep;
  }
  if (trl.reward_weights !== undefined) {
    const w = trl.reward_weights;
    const rewards = out.rewards as RewardSpec[] | undefined;
    if (!Array.isArray(w) || !w.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new InputError({ file, field: 'reward_weights' }, 'must be a list of finite numbers, one per reward function');
    if (rewards === undefined || rewards.length !== w.length) throw new InputError({ file, field: 'reward_weights' }, `one weight per reward of "rewards" in the same file (${rewards?.length ?? 0} given there, ${w.length} weights)`);
    out.rewards = rewards.map((r, i) => ({ name: r.name, weight: w[i] as number }));
  }
  return out as Partial<GrpoConfig>;
}

/** TRL GRPOConfig names a config file may use besides aha's own (docs/grpo.md). */
const TRL_FILE_KEYS = ['per_device_train_batch_size', 'generation_batch_size', 'reward_weights'];

/**
 * The option a validateConfig message is about, of `keys` (the options the user gave): the one
 * named first in the message, as a whole word (so epsilon is not read in epsilon_high), or null.
 */
export function configFieldOf(message: string, keys: Iterable<string>): string | null {
  let best: { key: string; at: number } | null = null;
  for (const key of keys) {
    const m = new RegExp(`(^|[^a-z0-9_])${key.replace(/[^a-z0-9_]/gi, '')}([^a-z0-9_]|$)`).exec(message);
    if (m === null || key === '') continue;
    const at = m.index + m[1].length;
    if (best === null || at < best.at) best = { key, at };
  }
  return best?.key ?? null;
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new AhaError(message);
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Numeric options whose default is null (off, or chosen later). */
const NULLABLE_TYPES: Partial<Record<keyof GrpoConfig, 'number'>> = {
  epsilon_high: 'number', delta: 'number', off_policy_mask_threshold: 'number', save_total_limit: 'number', score_stage_one_steps: 'number',
};

/**
 * A numeric option given as another JSON type, named with its type: a quoted "1e-4" from a YAML
 * file would otherwise read "learning_rate must be > 0, got 1e-4", which looks right. Null where
 * the default is not null is wrong too. Strings, booleans, lists and mappings have their own
 * checks, whose words say what they take (score_stage takes 1, 2 or "both").
 */
function typeProblem(key: keyof GrpoConfig, v: unknown): string | null {
  const d = DEFAULT_CONFIG[key];
  const want = d === null ? NULLABLE_TYPES[key] : typeof d;
  if (want !== 'number' || typeof v === 'number' || (v === null && d === null)) return null;
  const quoted = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v));
  const got = v === undefined ? 'nothing' : v === null ? 'null' : typeof v === 'string' ? `the string ${JSON.stringify(v)}${quoted ? ' (write it without quotes)' : ''}` : `${Array.isArray(v) ? 'a list' : typeof v} ${JSON.stringify(v)}`;
  return `${key} must be a number${d === null ? ' or null' : ''}, got ${got}`;
}

/** CISPO's cap on the importance weight when epsilon_high is not given (TRL's ScaleRL recipe, methods.md). */
export const CISPO_EPSILON_HIGH = 5.0;

/** A validated configuration, epsilon_high and the sampler correction's default resolved. */
export type ResolvedGrpoConfig = GrpoConfig & { epsilon_high: number; vllm_importance_sampling_correction: boolean };

/**
 * Whether the sampler correction is on: as set, or by default (null) when the rollouts are sampled
 * in another precision than the trainer computes in and the sampler's log-probs are comparable
 * (temperature 1; they are the raw distribution's).
 */
export function samplerCorrectionOn(c: Pick<GrpoConfig, 'vllm_importance_sampling_correction' | 'sampling_precision' | 'temperature'>): boolean {
  return c.vllm_importance_sampling_correction ?? (c.sampling_precision === 'bf16' && c.temperature === 1);
}

/**
 * Checks every option's type and range (cheap; no files opened besides existence checks done by
 * the trainer). Returns the config with epsilon_high resolved (= epsilon, or 5 for cispo).
 */
export function validateConfig(c: GrpoConfig): ResolvedGrpoConfig {
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof GrpoConfig)[]) {
    const problem = typeProblem(key, c[key]);
    check(problem === null, problem!);
  }
  check(c.task !== null || c.data !== null, 'give a task (--task arithmetic|countdown) or a data file (--data FILE.jsonl)');
  check(c.task === null || c.data === null, '--task and --data are exclusive: give one');
  check(isInt(c.num_generations) && c.num_generations >= 2, `group size (num_generations) must be an integer >= 2 (GRPO normalises within a group), got ${c.num_generations}`);
  check(isInt(c.prompts_per_step) && c.prompts_per_step >= 1, `prompts_per_step must be an integer >= 1, got ${c.prompts_per_step}`);
  check(isInt(c.max_steps) && c.max_steps >= 1, `max_steps must be an integer >= 1, got ${c.max_steps}`);
  check(isInt(c.max_completion_length) && c.max_completion_length >= 1, `max_completion_length must be an integer >= 1, got ${c.max_completion_length}`);
  check(isNum(c.temperature) && c.temperature > 0, `temperature must be > 0, got ${c.temperature}`);
  check(isNum(c.top_p) && c.top_p > 0 && c.top_p <= 1, `top_p must be in (0, 1], got ${c.top_p}`);
  check(isInt(c.top_k) && c.top_k >= 0, `top_k must be an integer >= 0 (0 = off), got ${c.top_k}`);
  check(isNum(c.min_p) && c.min_p >= 0 && c.min_p <= 1, `min_p must be in [0, 1] (0 = off), got ${c.min_p}`);
  check(isNum(c.repetition_penalty) && c.repetition_penalty > 0, `repetition_penalty must be > 0 (1 = off), got ${c.repetition_penalty}`);
  check(isNum(c.beta) && c.beta >= 0, `beta must be >= 0, got ${c.beta}`);
  check(isNum(c.epsilon) && c.epsilon > 0 && c.epsilon < 1, `epsilon must be in (0, 1), got ${c.epsilon}`);
  check(c.epsilon_high === null || (isNum(c.epsilon_high) && c.epsilon_high > 0), `epsilon_high must be > 0, got ${c.epsilon_high}`);
  check((LOSS_TYPES as readonly string[]).includes(c.loss_type), `unknown loss_type "${c.loss_type}"; choose one of ${LOSS_TYPES.join(', ')}`);
  check((IMPORTANCE_SAMPLING_LEVELS as readonly string[]).includes(c.importance_sampling_level), `unknown importance_sampling_level "${c.importance_sampling_level}"; choose token or sequence (GSPO)`);
  const epsilonHigh = c.epsilon_high ?? (c.loss_type === 'cispo' ? CISPO_EPSILON_HIGH : c.epsilon);
  check(c.delta === null || c.loss_type !== 'cispo', 'delta caps the clipped surrogate; cispo has none (its weight is already capped at epsilon_high)');
  check(c.delta === null || (isNum(c.delta) && c.delta > 1 + epsilonHigh), `delta must be > 1 + epsilon_high (${1 + epsilonHigh}) or null (off), got ${c.delta}`);
  check(typeof c.use_bias_correction_kl === 'boolean', 'use_bias_correction_kl must be true or false');
  check(!c.use_bias_correction_kl || c.beta > 0, 'use_bias_correction_kl corrects the KL term: it needs beta > 0');
  check(isNum(c.entropy_coef) && c.entropy_coef >= 0, `entropy_coef must be >= 0 (0 = off), got ${c.entropy_coef}`);
  check(typeof c.use_adaptive_entropy === 'boolean', 'use_adaptive_entropy must be true or false');
  check(isNum(c.entropy_target) && c.entropy_target >= 0, `entropy_target must be >= 0 (nats), got ${c.entropy_target}`);
  check(isNum(c.entropy_coef_delta) && c.entropy_coef_delta > 0, `entropy_coef_delta must be > 0, got ${c.entropy_coef_delta}`);
  check(isNum(c.entropy_coef_min) && isNum(c.entropy_coef_max) && c.entropy_coef_min >= 0 && c.entropy_coef_min <= c.entropy_coef_max,
    `entropy_coef_min and entropy_coef_max must satisfy 0 <= min <= max, got ${c.entropy_coef_min} and ${c.entropy_coef_max}`);
  check(!c.use_adaptive_entropy || (c.entropy_coef >= c.entropy_coef_min && c.entropy_coef <= c.entropy_coef_max),
    `entropy_coef (the adaptive coefficient's start) must lie in [entropy_coef_min, entropy_coef_max] = [${c.entropy_coef_min}, ${c.entropy_coef_max}], got ${c.entropy_coef}`);
  for (const k of ['entropy_target', 'entropy_coef_delta', 'entropy_coef_min', 'entropy_coef_max'] as const) {
    check(c.use_adaptive_entropy || c[k] === DEFAULT_CONFIG[k], `${k} is read only with use_adaptive_entropy: set use_adaptive_entropy true, or leave ${k} out`);
  }
  check(isNum(c.top_entropy_quantile) && c.top_entropy_quantile > 0 && c.top_entropy_quantile <= 1, `top_entropy_quantile must be in (0, 1] (1 = every token), got ${c.top_entropy_quantile}`);
  check((ADVANTAGE_ESTIMATORS as readonly string[]).includes(c.advantage_estimator), `unknown advantage_estimator "${c.advantage_estimator}"; choose one of ${ADVANTAGE_ESTIMATORS.join(', ')}`);
  // REINFORCE++ with beta > 0 puts a per-token KL penalty in the return, so advantages differ per token.
  const klInReward = c.advantage_estimator === 'reinforce_plus_plus' && c.beta > 0;
  check(!klInReward || c.importance_sampling_level === 'token', 'importance_sampling_level sequence (GSPO) with reinforce_plus_plus and beta > 0: the KL in the reward gives per-token advantages, which need GSPO-token (not built); use beta 0 or token ratios');
  check(!klInReward || !c.use_bias_correction_kl, 'use_bias_correction_kl corrects the KL loss term; with reinforce_plus_plus and beta > 0 the KL is in the reward instead, so there is no term to correct');
  check((MULTI_OBJECTIVE_AGGREGATIONS as readonly string[]).includes(c.multi_objective_aggregation), `unknown multi_objective_aggregation "${c.multi_objective_aggregation}"; choose sum_then_normalize or normalize_then_sum`);
  check(c.multi_objective_aggregation === 'sum_then_normalize' || c.advantage_estimator === 'grpo', 'multi_objective_aggregation normalize_then_sum is a grpo advantage: use it with advantage_estimator grpo');
  check(c.off_policy_mask_threshold === null || (isNum(c.off_policy_mask_threshold) && c.off_policy_mask_threshold >= 0), `off_policy_mask_threshold must be >= 0 or null (off), got ${c.off_policy_mask_threshold}`);
  check(typeof c.sync_ref_model === 'boolean', 'sync_ref_model must be true or false');
  check(isNum(c.ref_model_mixup_alpha) && c.ref_model_mixup_alpha >= 0 && c.ref_model_mixup_alpha <= 1, `ref_model_mixup_alpha must be in [0, 1], got ${c.ref_model_mixup_alpha}`);
  check(isInt(c.ref_model_sync_steps) && c.ref_model_sync_steps >= 1, `ref_model_sync_steps must be an integer >= 1, got ${c.ref_model_sync_steps}`);
  check(!c.sync_ref_model || c.beta > 0, 'sync_ref_model updates the reference model, which only exists with beta > 0');
  check(!c.sync_ref_model || c.lora === null, 'sync_ref_model with lora: the LoRA reference is the base with its adapters switched off, not a copy that could be synced; drop one of them');
  const precisionProblem = samplingPrecisionProblem(c.sampling_precision);
  check(precisionProblem === null, `sampling_precision: ${precisionProblem}`);
  check(c.vllm_importance_sampling_correction === null || typeof c.vllm_importance_sampling_correction === 'boolean',
    'vllm_importance_sampling_correction must be true, false or null (the default: on with sampling_precision bf16)');
  check((IMPORTANCE_SAMPLING_MODES as readonly string[]).includes(c.vllm_importance_sampling_mode), `unknown vllm_importance_sampling_mode "${c.vllm_importance_sampling_mode}"; choose one of ${IMPORTANCE_SAMPLING_MODES.join(', ')}`);
  check(isNum(c.vllm_importance_sampling_clip_max) && c.vllm_importance_sampling_clip_max >= 1, `vllm_importance_sampling_clip_max must be >= 1, got ${c.vllm_importance_sampling_clip_max}`);
  check(c.vllm_importance_sampling_correction !== true || c.temperature === 1, 'vllm_importance_sampling_correction compares against the sampler\'s raw (temperature 1) log-probs: it needs temperature 1');
  check(['group', 'batch', 'none'].includes(c.scale_rewards), `unknown scale_rewards "${c.scale_rewards}"; choose group, batch or none`);
  check(isNum(c.advantage_eps) && c.advantage_eps > 0, `advantage_eps must be > 0, got ${c.advantage_eps}`);
  check(isInt(c.num_iterations) && c.num_iterations >= 1, `num_iterations must be an integer >= 1, got ${c.num_iterations}`);
  check(typeof c.mask_truncated_completions === 'boolean', 'mask_truncated_completions must be true or false');
  check(typeof c.dynamic_sampling === 'boolean', 'dynamic_sampling must be true or false');
  check(isInt(c.max_sampling_rounds) && c.max_sampling_rounds >= 1, `max_sampling_rounds must be an integer >= 1, got ${c.max_sampling_rounds}`);
  check(isNum(c.learning_rate) && c.learning_rate > 0, `learning_rate must be > 0, got ${c.learning_rate}`);
  check(['constant', 'linear', 'cosine'].includes(c.lr_scheduler_type), `unknown lr_scheduler_type "${c.lr_scheduler_type}"; choose constant, linear or cosine`);
  check(isInt(c.warmup_steps) && c.warmup_steps >= 0, `warmup_steps must be an integer >= 0, got ${c.warmup_steps}`);
  check(isNum(c.weight_decay) && c.weight_decay >= 0, `weight_decay must be >= 0, got ${c.weight_decay}`);
  check(isNum(c.adam_beta1) && c.adam_beta1 >= 0 && c.adam_beta1 < 1, `adam_beta1 must be in [0, 1), got ${c.adam_beta1}`);
  check(isNum(c.adam_beta2) && c.adam_beta2 >= 0 && c.adam_beta2 < 1, `adam_beta2 must be in [0, 1), got ${c.adam_beta2}`);
  check(isNum(c.adam_epsilon) && c.adam_epsilon > 0, `adam_epsilon must be > 0, got ${c.adam_epsilon}`);
  check(isNum(c.max_grad_norm) && c.max_grad_norm >= 0, `max_grad_norm must be >= 0 (0 = no clipping), got ${c.max_grad_norm}`);
  const rows = c.prompts_per_step * c.num_generations;
  check(isInt(c.gradient_accumulation_steps) && c.gradient_accumulation_steps >= 1 && c.gradient_accumulation_steps <= rows,
    `gradient_accumulation_steps must be an integer from 1 to prompts_per_step × group size (${rows}), got ${c.gradient_accumulation_steps}`);
  check(isInt(c.seed), `seed must be an integer, got ${c.seed}`);
  check(isInt(c.save_steps) && c.save_steps >= 0, `save_steps must be an integer >= 0 (0 = only at the end), got ${c.save_steps}`);
  check(c.save_total_limit === null || (isInt(c.save_total_limit) && c.save_total_limit >= 1), `save_total_limit must be an integer >= 1 (or null to keep every checkpoint), got ${c.save_total_limit}`);
  check(isInt(c.logging_steps) && c.logging_steps >= 1, `logging_steps must be an integer >= 1, got ${c.logging_steps}`);
  check(isInt(c.log_completions_steps) && c.log_completions_steps >= 0, `log_completions_steps must be an integer >= 0 (0 = never), got ${c.log_completions_steps}`);
  check(isInt(c.eval_problems) && c.eval_problems >= 0, `eval_problems must be an integer >= 0 (0 = no held-out evaluation), got ${c.eval_problems}`);
  check(isInt(c.eval_steps) && c.eval_steps >= 0, `eval_steps must be an integer >= 0 (0 = only before and after training), got ${c.eval_steps}`);
  check(c.eval_problems === 0 || c.task !== null, 'eval_problems needs a --task: held-out problems come from its held-out split');
  check(isInt(c.threads) && c.threads >= 0, `threads must be an integer >= 0, got ${c.threads}`);
  check(typeof c.output_dir === 'string' && c.output_dir !== '', 'output_dir must be a folder path');
  check(c.difficulty === null || (Array.isArray(c.difficulty) && c.difficulty.length > 0 && c.difficulty.every(isInt)), 'difficulty must be a non-empty list of integer levels');
  check(c.difficulty === null || c.task !== null, 'difficulty applies to a --task, not to --data');
  for (const r of c.rewards) check(isNum(r.weight), `reward "${r.name}" has a non-numeric weight`);
  const twice = duplicateReward(c.rewards);
  check(twice === null, `rewards: "${twice}" is given twice; give it once (with the summed weight)`);
  check(c.lora === null || typeof c.lora === 'string', 'lora must be a spec string like "r=16,alpha=32,targets=all-linear"');
  if (c.lora !== null) assertTrainable(parseLoraSpec(c.lora, 'lora'), 'lora');
  check(typeof c.gradient_checkpointing === 'boolean', 'gradient_checkpointing must be true or false');
  checkChatTemplateArgs(c.chat_template_kwargs, 'chat_template_kwargs');
  check(c.task === null || Object.keys(c.chat_template_kwargs).length === 0, `chat_template_kwargs: a task's prompts are text, used verbatim (no chat template is rendered); template variables apply to a data file whose "prompt" is a list of messages`);
  const learnedProblem = learnedOnProblem(c);
  check(learnedProblem === null, learnedProblem!);
  const toolProblem = toolOptionsProblem(c);
  check(toolProblem === null, toolProblem!);
  const scoreStage = checkScoreOptions(c);
  if (c.self_correction === 'score') {
    // Neither combination is built: two-attempt rows carry one advantage and one KL coefficient each.
    check(c.tools.length === 0, 'tools: tool calls inside SCoRe\'s two attempts are not supported; use tools or self_correction, not both');
    check(!(c.advantage_estimator === 'reinforce_plus_plus' && c.beta > 0), 'advantage_estimator: reinforce_plus_plus with beta > 0 (KL in the reward) conflicts with self_correction score (its KL is per attempt)');
  }
  // COAT: the reader the run uses is resolved here (from the task when not given), so config.json records it.
  const coatReader = checkCoatGrpoOptions(c);
  return { ...c, epsilon_high: epsilonHigh, score_stage: scoreStage, coat_reader: coatReader, vllm_importance_sampling_correction: samplerCorrectionOn(c) };
}

/** The options a run folder's config.json records (GrpoConfig keys only, over the defaults), or null when there is none. */
export function savedRunConfig(outputDir: string): GrpoConfig | null {
  if (!existsSync(join(outputDir, RUN_CONFIG_FILE))) return null;
  const raw = readRunConfig(outputDir);
  const cfg = { ...DEFAULT_CONFIG } as unknown as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_CONFIG)) if (raw[key] !== undefined) cfg[key] = raw[key];
  return cfg as unknown as GrpoConfig;
}
