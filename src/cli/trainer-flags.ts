// The language-model trainer's flags, shared by `aha sft` and `aha pretrain`: registering them,
// reading them over a command's defaults, and refusing setting flags on --resume.
import type { Command } from 'commander';
import { AhaError } from '../util/errors.js';
import type { TrainerConfig } from '../sft/trainer.js';
import { numberFlag, optionalNumberFlag } from './flags.js';

type Flags = Record<string, string | boolean | undefined>;

/** Registers the optimisation flags both `aha sft` and `aha pretrain` take. */
export function addTrainerOptions(cmd: Command, defaults: Omit<TrainerConfig, 'steps'>): Command {
  return cmd
    .option('--batch-size <n>', `rows per micro-batch (default ${defaults.batchSize})`)
    .option('--grad-accum <n>', `micro-batches per optimiser step (default ${defaults.gradAccum})`)
    .option('--lr <x>', `peak learning rate (default ${defaults.lr})`)
    .option('--schedule <kind>', `learning-rate decay after warm-up: constant, linear or cosine (default ${defaults.schedule})`)
    .option('--warmup-steps <n>', `linear warm-up steps (default ${defaults.warmupSteps})`)
    .option('--min-lr-ratio <x>', `final learning rate as a fraction of the peak (default ${defaults.minLrRatio})`)
    .option('--weight-decay <x>', `AdamW weight decay (default ${defaults.weightDecay})`)
    .option('--max-grad-norm <x>', `clip the global gradient norm (0 = off; default ${defaults.maxGradNorm})`)
    .option('--eval-steps <n>', `held-out loss every N steps (0 = only at the end; default ${defaults.evalSteps})`)
    .option('--save-steps <n>', `checkpoint every N steps (0 = only at the end; default ${defaults.saveSteps})`)
    .option('--save-total-limit <n>', 'keep at most N complete checkpoints, deleting the oldest (never the newest; default: keep all)')
    .option('--seed <n>', `random seed: data order and held-out split (pretrain: also the corpus and initial weights; default ${defaults.seed})`)
    .option('--threads <n>', 'compute threads (default: the core library default)')
    .option('--length-window <n>', `sort examples by length within windows of N batches to save padding (1 = random batches; default ${defaults.lengthWindow})`)
    .option('--packing', 'less padding: sft puts whole examples side by side in a row, each attending only to itself (the loss of one row each); pretrain cuts one stream of documents into full rows (attention can see the previous document)')
    .option('--resume', 'continue the run in the output folder from its latest checkpoint')
    .option('--quiet', 'no progress bar');
}

/** The optimisation settings from flags, over `defaults`. */
export function trainerFlags<T extends Omit<TrainerConfig, 'steps'>>(flags: Flags, defaults: T): T {
  const schedule = (flags.schedule as string | undefined) ?? defaults.schedule;
  if (!['constant', 'linear', 'cosine'].includes(schedule)) throw new AhaError(`--schedule must be constant, linear or cosine, got "${schedule}"`);
  return {
    ...defaults,
    batchSize: numberFlag(flags, 'batchSize', defaults.batchSize, { min: 1, integer: true }),
    gradAccum: numberFlag(flags, 'gradAccum', defaults.gradAccum, { min: 1, integer: true }),
    lr: numberFlag(flags, 'lr', defaults.lr, { min: 0 }),
    schedule: schedule as TrainerConfig['schedule'],
    warmupSteps: numberFlag(flags, 'warmupSteps', defaults.warmupSteps, { min: 0, integer: true }),
    minLrRatio: numberFlag(flags, 'minLrRatio', defaults.minLrRatio, { min: 0, max: 1 }),
    weightDecay: numberFlag(flags, 'weightDecay', defaults.weightDecay, { min: 0 }),
    maxGradNorm: numberFlag(flags, 'maxGradNorm', defaults.maxGradNorm, { min: 0 }),
    evalSteps: numberFlag(flags, 'evalSteps', defaults.evalSteps, { min: 0, integer: true }),
    saveSteps: numberFlag(flags, 'saveSteps', defaults.saveSteps, { min: 0, integer: true }),
    saveTotalLimit: optionalNumberFlag(flags, 'saveTotalLimit', { min: 1, integer: true }) ?? defaults.saveTotalLimit,
    seed: numberFlag(flags, 'seed', defaults.seed, { min: 0, integer: true, max: 2 ** 32 - 1 }),
    lengthWindow: numberFlag(flags, 'lengthWindow', defaults.lengthWindow, { min: 1, integer: true }),
    batching: flags.packing ? 'packed' : defaults.batching,
  };
}

/** With --resume the run's saved settings apply; any other setting flag is a mistake worth naming. */
export function rejectSettingsOnResume(flags: Flags, allowed: readonly string[]): void {
  const extra = Object.keys(flags).filter((k) => flags[k] !== undefined && !allowed.includes(k));
  if (extra.length > 0) {
    const names = extra.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));
    throw new AhaError(`with --resume the run continues with its saved settings (config.json); drop ${names.join(', ')}`);
  }
}

export function threadsFlag(flags: Flags): number | null {
  return flags.threads === undefined ? null : numberFlag(flags, 'threads', 1, { min: 1, integer: true, max: 256 });
}
