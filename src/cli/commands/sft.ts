// `aha sft`: supervised fine-tuning on prompt/completion or chat data (loss on completion or
// assistant tokens only). Also owns the trainer flags shared with `aha pretrain`.
import type { Command } from 'commander';
import { numberFlag } from '../flags.js';
import { AhaError } from '../../util/errors.js';
import { runSft, SFT_DEFAULTS, type SftOptions } from '../../sft/sft-run.js';
import { assertTrainable, parseLoraSpec } from '../../model/lora.js';
import type { TrainerConfig } from '../../sft/trainer.js';

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
    .option('--seed <n>', `random seed: data order and held-out split (pretrain: also the corpus and initial weights; default ${defaults.seed})`)
    .option('--threads <n>', 'compute threads (default: the core library default)')
    .option('--length-window <n>', `sort examples by length within windows of N batches to save padding (1 = random batches; default ${defaults.lengthWindow})`)
    .option('--packing', 'pack examples into full rows (faster; attention can see the previous example)')
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

function sftOptions(flags: Flags): SftOptions {
  if (typeof flags.model !== 'string') throw new AhaError('--model <dir> is required (the model folder to fine-tune)');
  if (typeof flags.data !== 'string') throw new AhaError('--data <file> is required (JSON Lines of {"prompt","completion"} or {"messages"})');
  const steps = flags.steps === undefined ? null : numberFlag(flags, 'steps', 1, { min: 1, integer: true });
  return {
    ...trainerFlags(flags, SFT_DEFAULTS),
    model: flags.model,
    data: flags.data,
    evalData: typeof flags.evalData === 'string' ? flags.evalData : null,
    evalFraction: numberFlag(flags, 'evalFraction', SFT_DEFAULTS.evalFraction, { min: 0, max: 0.5 }),
    seqLen: numberFlag(flags, 'maxLength', SFT_DEFAULTS.seqLen, { min: 2, integer: true }),
    steps,
    epochs: numberFlag(flags, 'epochs', SFT_DEFAULTS.epochs, { min: 1, integer: true }),
    threads: threadsFlag(flags),
    lora: typeof flags.lora === 'string' ? (assertTrainable(parseLoraSpec(flags.lora)), flags.lora) : null,
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('sft')
    .description(
      'Supervised fine-tuning (cold start, distillation): trains a model folder on JSON Lines of ' +
        '{"prompt", "completion"} (loss on the completion) or {"messages": [{role, content}, …]} ' +
        '(chat template; loss on assistant turns). Writes metrics.jsonl, checkpoints and <out>/model.',
    )
    .option('--model <dir>', 'model folder to fine-tune (config.json, model.safetensors, tokenizer.json)')
    .option('--data <file>', 'JSON Lines training data')
    .option('--out <dir>', 'run folder (default runs/sft)')
    .option('--eval-data <file>', 'held-out JSON Lines data (default: hold out --eval-fraction of --data)')
    .option('--eval-fraction <x>', `share of --data held out for eval_loss when no --eval-data (default ${SFT_DEFAULTS.evalFraction})`)
    .option('--epochs <n>', `passes over the data (default ${SFT_DEFAULTS.epochs})`)
    .option('--steps <n>', 'optimiser steps (overrides --epochs; with --resume, extends the run)')
    .option('--max-length <n>', `tokens per example at most, longer ones are cut (default ${SFT_DEFAULTS.seqLen})`)
    .option('--lora <spec>', 'train LoRA adapters on the frozen base, e.g. r=16,alpha=32,dropout=0,targets=all-linear; <out>/model is then a PEFT adapter folder');
  addTrainerOptions(cmd, SFT_DEFAULTS).action(async (flags: Flags) => {
    const runDir = typeof flags.out === 'string' ? flags.out : 'runs/sft';
    const resume = flags.resume === true;
    if (resume) rejectSettingsOnResume(flags, ['resume', 'out', 'steps', 'threads', 'quiet']);
    const steps = resume && flags.steps !== undefined ? numberFlag(flags, 'steps', 1, { min: 1, integer: true }) : undefined;
    const threads = resume ? (threadsFlag(flags) ?? undefined) : undefined;
    const result = await runSft({ runDir, resume, options: resume ? undefined : sftOptions(flags), steps, threads, quiet: flags.quiet === true });
    const evalPart = result.lastEvalLoss !== null ? `, eval_loss ${result.lastEvalLoss.toFixed(4)}` : '';
    if (result.interrupted) {
      process.stderr.write(`stopped at step ${result.state.step}; checkpoint ${result.checkpointDir}; continue with: aha sft --out ${runDir} --resume\n`);
    } else {
      process.stderr.write(`done: ${result.state.step} steps, loss ${result.lastLoss.toFixed(4)}${evalPart}; model in ${result.modelDir}\n`);
    }
  });
}
