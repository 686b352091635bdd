// The language-model trainer behind `aha sft` and `aha pretrain`: gradient accumulation over
// micro-batches, AdamW with warm-up and a decay schedule, global-norm clipping, held-out loss
// every `evalSteps`, metrics.jsonl. Checkpoints, exact resume, Ctrl-C and the progress bar come
// from the shell every trainer shares (model/training-run.ts); the data position is this file's.
import { notify, type TrainerCallback } from '../util/callbacks.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { clipGradNorm, scale, type Tensor } from '../core/index.js';
import type { CausalLM } from '../model/causal-lm.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { TRAINER_STATE_FILE, type OptimizerState } from '../model/training-checkpoint.js';
import { METRICS_FILE, readRunConfig, resumeCheckpoint, TrainingLoop, yieldToEvents, zeroGradients } from '../model/training-run.js';
import { AhaError, InputError } from '../util/errors.js';
import { assertFreshRunDir } from '../util/run-dir.js';
import { appendJsonl } from '../util/jsonl.js';
import { learningRate, type ScheduleKind } from '../util/schedule.js';
import { epochBatches, type BatchingMode } from './batching.js';
import type { LmBatch, TokenExample } from './examples.js';
import { batchLoss, evaluateLoss } from './loss.js';
import { GroupedAdamW } from '../model/optimizer.js';

export interface TrainerConfig {
  /** Optimiser steps in the whole run. */
  steps: number;
  batchSize: number;
  gradAccum: number;
  seqLen: number;
  batching: BatchingMode;
  /** Bucketed batching: batches per length-sorted window (1 = random batches). */
  lengthWindow: number;
  lr: number;
  minLrRatio: number;
  warmupSteps: number;
  schedule: ScheduleKind;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient norm to this (0 = no clipping, the norm is still logged). */
  maxGradNorm: number;
  evalSteps: number;
  saveSteps: number;
  /** Complete checkpoints kept at most, the oldest deleted first (TRL save_total_limit; null = all). */
  saveTotalLimit: number | null;
  seed: number;
}

/**
 * What the trainer saves in trainer_state.json and needs back to resume exactly. There is no
 * random generator state to save: the only randomness is the data order, a pure function of
 * (seed, epoch), so the data position (epoch, batchIndex) pins it down.
 */
export interface TrainerState {
  step: number;
  /** Data position: the next micro-batch is batch `batchIndex` of epoch `epoch`. */
  epoch: number;
  batchIndex: number;
  tokensSeen: number;
  seed: number;
}

/** Validates a trainer_state.json written by the LM trainer. */
export function parseTrainerState(raw: Record<string, unknown>, file: string): TrainerState {
  const out: Record<string, number> = {};
  for (const key of ['step', 'epoch', 'batchIndex', 'tokensSeen', 'seed'] as const) {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InputError({ file, field: key }, 'missing or not a non-negative integer');
    out[key] = v;
  }
  return out as unknown as TrainerState;
}

/** Where a resumed LM run continues: the checkpoint `from` (already loaded), its optimizer and trainer state. */
export function resumePoint(from: string, ckpt: { optimizerState: OptimizerState | null; trainerState: Record<string, unknown> }): NonNullable<TrainRunOptions['resume']> {
  return { from, optimizerState: ckpt.optimizerState, trainerState: parseTrainerState(ckpt.trainerState, join(from, TRAINER_STATE_FILE)) };
}

/**
 * Opens an `aha sft` / `aha pretrain` run folder. On resume: the options its config.json records
 * (over `defaults`) and the checkpoint to continue from, refusing another command's run. Fresh:
 * `fresh`, once the folder is known to hold no other run (before any slow work).
 */
export function openLmRun<T extends { command: string }>(runDir: string, command: T['command'], resume: boolean, fresh: T | undefined, defaults: Partial<T> = {}): { options: T; resumeFrom: string | null } {
  if (resume) {
    const options = { ...defaults, ...readRunConfig(runDir) } as T;
    if (options.command !== command) throw new AhaError(`${runDir} is a "${String(options.command)}" run, not an 'aha ${command}' run`);
    return { options, resumeFrom: resumeCheckpoint(runDir) };
  }
  if (!fresh) throw new Error(`${command}: options are required for a fresh run`);
  assertFreshRunDir(runDir);
  return { options: fresh, resumeFrom: null };
}

export interface TrainRunOptions {
  runDir: string;
  model: CausalLM;
  tokenizer: Tokenizer;
  train: readonly TokenExample[];
  heldOut: readonly TokenExample[];
  padId: number;
  config: TrainerConfig;
  /** Continue from checkpoint `from` of this run (the model must already hold its weights). */
  resume?: { from?: string; optimizerState: OptimizerState | null; trainerState: TrainerState };
  /** Hide the progress bar (tests, --quiet). */
  quiet?: boolean;
  /** Stop (and save) as soon as the current step finishes; Ctrl-C does the same. */
  signal?: AbortSignal;
  /** Called with each step's metrics row after it is logged (awaited when it returns a promise). */
  onStep?: (row: Readonly<Record<string, number>>) => unknown;
  /** The library's callbacks (util/callbacks.ts), called as the GRPO trainer calls them. */
  callbacks?: readonly TrainerCallback[];
}

export interface TrainResult {
  state: TrainerState;
  /** True when the run stopped early (Ctrl-C or signal) after saving a checkpoint. */
  interrupted: boolean;
  lastLoss: number;
  lastEvalLoss: number | null;
  checkpointDir: string | null;
}

/** Hands out micro-batches in order across epochs, from a position that can be saved. */
class BatchStream {
  private batches: LmBatch[] = [];
  private loadedEpoch = -1;
  constructor(
    private readonly examples: readonly TokenExample[],
    private readonly cfg: TrainerConfig,
    private readonly padId: number,
    public epoch: number,
    public batchIndex: number,
  ) {}

  next(): LmBatch {
    for (;;) {
      if (this.loadedEpoch !== this.epoch) {
        this.batches = epochBatches(this.examples, { mode: this.cfg.batching, batchSize: this.cfg.batchSize, seqLen: this.cfg.seqLen, padId: this.padId, seed: this.cfg.seed, lengthWindow: this.cfg.lengthWindow }, this.epoch);
        this.loadedEpoch = this.epoch;
        if (this.batches.length === 0) throw new Error('the training set yields no batches');
      }
      if (this.batchIndex < this.batches.length) return this.batches[this.batchIndex++];
      this.epoch += 1;
      this.batchIndex = 0;
    }
  }
}

export async function trainLanguageModel(opts: TrainRunOptions): Promise<TrainResult> {
  const { model, config: cfg, runDir } = opts;
  mkdirSync(runDir, { recursive: true });
  const params: Tensor[] = [...model.parameters().values()];
  const optimizer = new GroupedAdamW(model.parameters(), { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay });
  const start = opts.resume?.trainerState;
  if (opts.resume?.optimizerState) optimizer.loadState(opts.resume.optimizerState);
  const stream = new BatchStream(opts.train, cfg, opts.padId, start?.epoch ?? 0, start?.batchIndex ?? 0);
  const state = (): TrainerState => ({ step, epoch: stream.epoch, batchIndex: stream.batchIndex, tokensSeen, seed: cfg.seed });
  let step = start?.step ?? 0;
  let tokensSeen = start?.tokensSeen ?? 0;
  let lastLoss = NaN;
  let lastEvalLoss: number | null = null;

  const loop = new TrainingLoop({
    runDir, totalSteps: cfg.steps, resume: start ? { step: start.step, from: opts.resume?.from } : null,
    saveSteps: cfg.saveSteps, saveTotalLimit: cfg.saveTotalLimit ?? null,
    checkpoint: () => ({ model, tokenizer: opts.tokenizer, optimizerState: optimizer.state(), trainerState: { ...state() } }),
    fields: ['loss', 'eval_loss', 'lr'], quiet: opts.quiet, signal: opts.signal,
  });
  try {
    while (await loop.next(step)) {
      const t0 = performance.now();
      const lr = learningRate({ kind: cfg.schedule, peakLr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minRatio: cfg.minLrRatio }, step);
      const micro: LmBatch[] = [];
      for (let i = 0; i < cfg.gradAccum; i++) micro.push(stream.next());
      // Every counted token of the whole step weighs the same: micro-batch means are re-weighted
      // by their share of the step's counted tokens.
      const counted = micro.reduce((n, b) => n + b.lossTokens, 0);
      zeroGradients(params);
      let lossSum = 0;
      let tokens = 0;
      for (const batch of micro) {
        tokens += batch.tokens;
        if (batch.lossTokens === 0) continue;
        const loss = batchLoss(model, batch);
        lossSum += loss.data[0] * batch.lossTokens;
        scale(loss, batch.lossTokens / counted).backward();
        await yieldToEvents();
      }
      const gradNorm = clipGradNorm(params, cfg.maxGradNorm > 0 ? cfg.maxGradNorm : Infinity);
      // Every step is one optimiser update, as in GRPO: one without counted tokens steps on zero gradients.
      optimizer.step(lr);
      step += 1;
      tokensSeen += tokens;
      lastLoss = counted > 0 ? lossSum / counted : NaN;
      const seconds = (performance.now() - t0) / 1000;
      const row: Record<string, number> = { step, time: Date.now() / 1000, loss: lastLoss, lr, grad_norm: gradNorm, 'tokens_per_s/training': tokens / seconds, seconds_per_step: seconds };
      const evalDue = step === cfg.steps || (cfg.evalSteps > 0 && step % cfg.evalSteps === 0);
      if (opts.heldOut.length > 0 && evalDue) {
        lastEvalLoss = evaluateLoss(model, opts.heldOut, cfg.batchSize, cfg.seqLen, opts.padId);
        row.eval_loss = lastEvalLoss;
      }
      appendJsonl(join(runDir, METRICS_FILE), row);
      await opts.onStep?.(row);
      const { step: _step, ...metrics } = row;
      await notify(opts.callbacks, 'onLog', metrics, step);
      if (row.eval_loss !== undefined) await notify(opts.callbacks, 'onEvaluate', { eval_loss: row.eval_loss }, step);
      await notify(opts.callbacks, 'onStepEnd', step, metrics);
      const written = loop.stepDone(step, { loss: lastLoss, ...(lastEvalLoss !== null ? { eval_loss: lastEvalLoss } : {}), lr: lr.toExponential(1) });
      if (written) await notify(opts.callbacks, 'onSave', written, step);
    }
    const written = loop.finish(step);
    if (written) await notify(opts.callbacks, 'onSave', written, step);
    return { state: state(), interrupted: loop.interrupted, lastLoss, lastEvalLoss, checkpointDir: loop.lastCheckpoint };
  } finally {
    loop.close();
  }
}
