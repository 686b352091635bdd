// SFTTrainer: supervised fine-tuning as a library class, in the shape of TRL's (model, args:
// SFTConfig, train_dataset, eval_dataset, callbacks; then train()). SFTConfig uses TRL's names and
// maps 1:1 onto the options of `aha sft` (sft-run.ts), which runs it: the same data checks, run
// folder and final model. A key aha does not know is an error naming it.
import { AhaError } from '../util/errors.js';
import type { TrainerCallback } from '../util/callbacks.js';
import type { ScheduleKind } from '../util/schedule.js';
import { runSft, SFT_DEFAULTS, type SftOptions } from './sft-run.js';
import { checkChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';
import { didYouMean } from '../util/near-name.js';

/** SFT training arguments (TRL's SFTConfig names; every field optional, aha's defaults otherwise). */
export interface SFTConfig {
  /** Run folder (default runs/sft); the final model goes to <output_dir>/model. */
  output_dir?: string;
  learning_rate?: number;
  per_device_train_batch_size?: number;
  gradient_accumulation_steps?: number;
  /** Tokens per example at most; longer examples are cut. */
  max_length?: number;
  /** Whole examples side by side in rows, each attending only to itself (less padding, the same loss). */
  packing?: boolean;
  /** Passes over the data (whole passes). */
  num_train_epochs?: number;
  /** Optimiser steps; overrides num_train_epochs. */
  max_steps?: number;
  warmup_steps?: number;
  lr_scheduler_type?: ScheduleKind;
  weight_decay?: number;
  adam_beta1?: number;
  adam_beta2?: number;
  adam_epsilon?: number;
  /** 0 = no clipping. */
  max_grad_norm?: number;
  /** Held-out loss every n steps (0 = only at the end). */
  eval_steps?: number;
  /** Checkpoint every n steps (0 = only at the end). */
  save_steps?: number;
  seed?: number;
  disable_tqdm?: boolean;
  // aha's own options (no TRL counterpart):
  /** Share of the data held out for eval_loss when there is no eval_dataset. */
  eval_fraction?: number;
  /** Final learning rate as a fraction of the peak. */
  min_lr_ratio?: number;
  /** Length-sorted windows of this many batches (1 = random batches). */
  length_window?: number;
  threads?: number;
  /**
   * Variables for the chat template of {"messages"} lines, e.g. { enable_thinking: false }; a line's
   * own `chat_template_kwargs` adds to them. TRL's SFTConfig has no such option (TRL reads only the
   * column); the name is GRPOConfig's.
   */
  chat_template_kwargs?: ChatTemplateArgs;
}

type Check = 'int0' | 'int1' | 'int2' | 'pos' | 'num0' | 'unit' | 'frac' | 'bool' | 'schedule';

/** SFTConfig key -> SftOptions key and its check. */
const KEYS: Record<keyof Omit<SFTConfig, 'output_dir' | 'disable_tqdm' | 'packing' | 'max_steps' | 'chat_template_kwargs'>, [keyof SftOptions, Check]> = {
  learning_rate: ['lr', 'pos'],
  per_device_train_batch_size: ['batchSize', 'int1'],
  gradient_accumulation_steps: ['gradAccum', 'int1'],
  // Two tokens at least: one to read and one to predict (the CLI's --max-length bound too).
  max_length: ['seqLen', 'int2'],
  num_train_epochs: ['epochs', 'int1'],
  warmup_steps: ['warmupSteps', 'int0'],
  lr_scheduler_type: ['schedule', 'schedule'],
  weight_decay: ['weightDecay', 'num0'],
  adam_beta1: ['beta1', 'unit'],
  adam_beta2: ['beta2', 'unit'],
  adam_epsilon: ['eps', 'pos'],
  max_grad_norm: ['maxGradNorm', 'num0'],
  eval_steps: ['evalSteps', 'int0'],
  save_steps: ['saveSteps', 'int0'],
  seed: ['seed', 'int0'],
  eval_fraction: ['evalFraction', 'frac'],
  min_lr_ratio: ['minLrRatio', 'frac'],
  length_window: ['lengthWindow', 'int1'],
  threads: ['threads', 'int1'],
};

export const SFT_CONFIG_KEYS: readonly string[] = [...Object.keys(KEYS), 'output_dir', 'disable_tqdm', 'packing', 'max_steps', 'chat_template_kwargs'].sort();

const CHECKS: Record<Check, [(v: unknown) => boolean, string]> = {
  int0: [(v) => Number.isInteger(v) && (v as number) >= 0, 'an integer >= 0'],
  int1: [(v) => Number.isInteger(v) && (v as number) >= 1, 'an integer >= 1'],
  int2: [(v) => Number.isInteger(v) && (v as number) >= 2, 'an integer >= 2'],
  pos: [(v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number > 0'],
  num0: [(v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a number >= 0'],
  unit: [(v) => typeof v === 'number' && v >= 0 && v < 1, 'a number in [0, 1)'],
  frac: [(v) => typeof v === 'number' && v >= 0 && v <= 1, 'a number in [0, 1]'],
  bool: [(v) => typeof v === 'boolean', 'true or false'],
  schedule: [(v) => v === 'constant' || v === 'linear' || v === 'cosine', 'constant, linear or cosine'],
};

function check(key: string, value: unknown, kind: Check): void {
  const [ok, what] = CHECKS[kind];
  if (!ok(value)) throw new AhaError(`SFTConfig.${key} must be ${what}, got ${JSON.stringify(value)}`);
}

/** Maps a TRL-named SFTConfig onto `aha sft`'s options. */
export function fromTrlSftConfig(args: SFTConfig, model: string, data: string, evalData: string | null): { options: SftOptions; runDir: string; quiet: boolean } {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new AhaError('SFTConfig must be an object of options');
  const options: SftOptions = { ...SFT_DEFAULTS, model, data, evalData };
  const out = options as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (key in KEYS) {
      const [target, kind] = KEYS[key as keyof typeof KEYS];
      check(key, value, kind);
      out[target] = value;
    } else if (key === 'max_steps') {
      check(key, value, 'int1');
      options.steps = value as number;
    } else if (key === 'packing' || key === 'disable_tqdm') {
      check(key, value, 'bool');
      if (key === 'packing') options.batching = value ? 'packed' : 'bucketed';
    } else if (key === 'chat_template_kwargs') {
      checkChatTemplateArgs(value, 'SFTConfig.chat_template_kwargs');
      options.chatTemplateArgs = value;
    } else if (key === 'output_dir') {
      if (typeof value !== 'string' || value === '') throw new AhaError('SFTConfig.output_dir must be a folder path');
    } else {
      throw new AhaError(`SFTConfig: unknown option "${key}"${didYouMean(key, SFT_CONFIG_KEYS)}; known: ${SFT_CONFIG_KEYS.join(', ')}`);
    }
  }
  if (options.evalFraction > 0.5) throw new AhaError(`SFTConfig.eval_fraction must be at most 0.5, got ${options.evalFraction}`);
  return { options, runDir: args.output_dir ?? 'runs/sft', quiet: args.disable_tqdm === true };
}

export interface SFTTrainerOptions {
  /** Model folder to fine-tune (Hugging Face layout). */
  model: string;
  args?: SFTConfig;
  /** JSON Lines of {"prompt", "completion"} (loss on the completion) or {"messages": [...]} (loss on assistant turns). */
  train_dataset: string;
  /** Held-out JSON Lines; default: hold out eval_fraction of train_dataset. */
  eval_dataset?: string;
  /** onLog and onStepEnd every step, onEvaluate with eval_loss, onSave with each checkpoint. */
  callbacks?: readonly TrainerCallback[];
}

export interface SFTTrainOutput {
  global_step: number;
  training_loss: number;
  eval_loss: number | null;
  interrupted: boolean;
  checkpoint_dir: string | null;
  /** The fine-tuned model folder (null when interrupted). */
  model_dir: string | null;
  output_dir: string;
}

export class SFTTrainer {
  readonly options: SftOptions;
  readonly outputDir: string;
  private readonly quiet: boolean;
  private readonly callbacks: readonly TrainerCallback[];
  private controller: AbortController | null = null;

  constructor(opts: SFTTrainerOptions) {
    if (opts === null || typeof opts !== 'object') throw new AhaError('SFTTrainer: expected an options object { model, args, train_dataset }');
    const known = ['model', 'args', 'train_dataset', 'eval_dataset', 'callbacks'];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new AhaError(`SFTTrainer: unknown option "${k}"${didYouMean(k, known)}; known: ${known.join(', ')}`);
    if (typeof opts.model !== 'string') throw new AhaError('SFTTrainer: model (a model folder) is required');
    if (typeof opts.train_dataset !== 'string') throw new AhaError('SFTTrainer: train_dataset (a JSON Lines file) is required');
    const mapped = fromTrlSftConfig(opts.args ?? {}, opts.model, opts.train_dataset, opts.eval_dataset ?? null);
    this.options = mapped.options;
    this.outputDir = mapped.runDir;
    this.quiet = mapped.quiet;
    this.callbacks = opts.callbacks ?? [];
  }

  /** Trains, then saves the model in <output_dir>/model. With resume_from_checkpoint, continues the run in output_dir with its saved settings. */
  async train(opts: { resume_from_checkpoint?: boolean } = {}): Promise<SFTTrainOutput> {
    const resume = opts.resume_from_checkpoint === true;
    this.controller = new AbortController();
    try {
      const r = await runSft({ runDir: this.outputDir, options: resume ? undefined : this.options, resume, steps: resume && this.options.steps !== null ? this.options.steps : undefined, quiet: this.quiet, signal: this.controller.signal, callbacks: this.callbacks });
      return { global_step: r.state.step, training_loss: r.lastLoss, eval_loss: r.lastEvalLoss, interrupted: r.interrupted, checkpoint_dir: r.checkpointDir, model_dir: r.modelDir, output_dir: r.runDir };
    } finally {
      this.controller = null;
    }
  }

  /** Ends a running train() after the current step, saving a checkpoint first. */
  stop(): void {
    this.controller?.abort();
  }
}
