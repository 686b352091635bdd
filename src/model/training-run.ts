// The shell every trainer (GRPO, SFT, pretraining) runs its steps in, so they behave alike: the
// run folder's config.json, resume (the latest complete checkpoint, logs cut back to its step),
// leftovers of an interrupted checkpoint removed, one behaviour on Ctrl-C and SIGTERM, the progress bar,
// checkpoints every save_steps and at the end with at most save_total_limit kept, and AdamW
// stepping on zero gradients (docs/run-folder.md).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../core/index.js';
import { atomicWriteFile } from '../util/atomic.js';
import { AhaError } from '../util/errors.js';
import { readJsonObject } from '../util/json-file.js';
import { truncateJsonlAfterStep } from '../util/jsonl.js';
import { progress, type Progress } from '../util/progress.js';
import { removeStaleTemps } from '../util/run-dir.js';
import { onStopSignals, signalLabel } from '../util/stop-signals.js';
import { checkpointDir, latestCheckpoint, loadTrainingCheckpoint, pruneCheckpoints, saveTrainingCheckpoint, type TrainingCheckpoint } from './training-checkpoint.js';

export const RUN_CONFIG_FILE = 'config.json';
export const METRICS_FILE = 'metrics.jsonl';

/** Writes the run's config.json (the whole record, replacing any older one). */
export function writeRunConfig(runDir: string, record: object): void {
  atomicWriteFile(join(runDir, RUN_CONFIG_FILE), JSON.stringify(record, null, 2) + '\n');
}

/** The configuration a run was started with. */
export function readRunConfig(runDir: string): Record<string, unknown> {
  const file = join(runDir, RUN_CONFIG_FILE);
  if (!existsSync(file)) throw new AhaError(`${runDir} holds no run to resume (no ${RUN_CONFIG_FILE})`);
  return readJsonObject(file);
}

/** Records changed settings (e.g. an extended --steps on resume) in the run's config.json. */
export function updateRunConfig(runDir: string, patch: Record<string, unknown>): void {
  writeRunConfig(runDir, { ...readRunConfig(runDir), ...patch });
}

/** The checkpoint to resume `runDir` from; an AhaError when there is none. */
export function resumeCheckpoint(runDir: string): string {
  const dir = latestCheckpoint(runDir);
  if (dir === null) {
    // A run killed before its first save_steps checkpoint leaves logs but nothing to continue from.
    const started = existsSync(join(runDir, RUN_CONFIG_FILE)) ? '; the run stopped before its first checkpoint, so there is nothing to continue: delete the folder to start it again, or start it in another one' : '';
    throw new AhaError(`--resume: no complete checkpoint in ${join(runDir, 'checkpoints')} (step-N folders) to resume from${started}`);
  }
  return dir;
}

/** Loads checkpoint `dir` to resume from; a checkpoint that does not load is an AhaError naming it. */
export function loadResumeCheckpoint(dir: string): ReturnType<typeof loadTrainingCheckpoint> {
  try {
    return loadTrainingCheckpoint(dir);
  } catch (err) {
    if (err instanceof AhaError) throw err;
    throw new AhaError(`checkpoint ${dir} does not load: ${(err as Error).message}`);
  }
}

/**
 * Clears the gradients before a step. A missing gradient buffer is allocated as zeros, so every
 * optimiser step updates every parameter (a step with no signal still moves the weights by AdamW's
 * momentum, as PyTorch does with zeroed gradients) whether or not an earlier step in this process
 * already made the buffers: a resumed run steps exactly as an uninterrupted one.
 */
export function zeroGradients(params: readonly Tensor[]): void {
  for (const p of params) p.ensureGrad().fill(0);
}

/** Yields to the event loop so a pending Ctrl-C (delivered through it) is seen during synchronous work. */
export const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface TrainingLoopOptions {
  runDir: string;
  /** Steps of the whole run. */
  totalSteps: number;
  /**
   * The resumed checkpoint's step and folder (null for a fresh run): log lines up to its step are
   * kept, later ones dropped, so each step is logged once.
   */
  resume: { step: number; from?: string } | null;
  /** Log files in the run folder besides metrics.jsonl that carry a "step" per line. */
  logs?: readonly string[];
  /** A checkpoint every n steps (0 = only at the end) ... */
  saveSteps: number;
  /** ... of which at most this many are kept, the oldest deleted first (null = all). */
  saveTotalLimit: number | null;
  /** What a checkpoint of the current state holds. */
  checkpoint: () => TrainingCheckpoint;
  /** Names of the figures shown after the progress bar. */
  fields: string[];
  quiet?: boolean;
  /** Stop (and save) after the current step; Ctrl-C and SIGTERM do the same. */
  signal?: AbortSignal;
}

/**
 * The loop around a trainer's steps: `while (await loop.next(step)) { ...one step...; loop.stepDone(step, fields) }`
 * then `loop.finish(step)`, with `loop.close()` in a finally.
 */
export class TrainingLoop {
  /** True once the run stopped before its last step (Ctrl-C, SIGTERM or the abort signal). */
  interrupted = false;
  /** The newest checkpoint of this run (the resumed one until a new one is written). */
  lastCheckpoint: string | null;
  private savedStep: number;
  private stopRequested = false;
  private readonly bar: Progress;
  /** Removes the Ctrl-C / SIGTERM handler; a second signal quits at once and the last checkpoint stands. */
  private readonly offStopSignals: () => void;

  constructor(private readonly o: TrainingLoopOptions) {
    if (o.saveTotalLimit !== null && !(Number.isInteger(o.saveTotalLimit) && o.saveTotalLimit >= 1)) {
      throw new AhaError(`save_total_limit must be an integer >= 1 (or unset to keep every checkpoint), got ${o.saveTotalLimit}`);
    }
    // A run killed while writing a checkpoint (or config.json) left a temporary folder behind.
    removeStaleTemps(join(o.runDir, 'checkpoints'));
    removeStaleTemps(o.runDir);
    const startStep = o.resume?.step ?? 0;
    if (o.resume) for (const f of [METRICS_FILE, ...(o.logs ?? [])]) truncateJsonlAfterStep(join(o.runDir, f), startStep);
    this.lastCheckpoint = o.resume?.from ?? null;
    this.savedStep = startStep;
    this.offStopSignals = onStopSignals((signal) => {
      this.stopRequested = true;
      const label = signalLabel(signal);
      process.stderr.write(`\naha: ${label}: stopping after this step and saving a checkpoint (${label} again to quit at once without saving)\n`);
    });
    this.bar = progress({ label: 'train', total: o.totalSteps, fields: o.fields, start: startStep, silent: o.quiet });
  }

  /** Before each step: false when the run is complete, or asked to stop (then `interrupted`). */
  async next(step: number): Promise<boolean> {
    await yieldToEvents();
    if (step >= this.o.totalSteps) return false;
    if (this.stopRequested || this.o.signal?.aborted) {
      this.interrupted = true;
      return false;
    }
    return true;
  }

  /**
   * After step `step` was logged: the progress bar, and a checkpoint when save_steps asks (the
   * last one is `finish`'s). Returns the checkpoint folder written, if any.
   */
  stepDone(step: number, fields: Record<string, string | number>): string | null {
    this.bar.update(step, fields);
    if (this.o.saveSteps > 0 && step % this.o.saveSteps === 0 && step < this.o.totalSteps) return this.save(step);
    return null;
  }

  /** After the loop: saves the final (or interrupted) step unless it is saved already; returns the folder written, if any. */
  finish(step: number): string | null {
    return step > this.savedStep ? this.save(step) : null;
  }

  /** Writes checkpoints/step-`step`, then deletes the oldest complete ones beyond save_total_limit. */
  private save(step: number): string {
    const dir = checkpointDir(this.o.runDir, step);
    saveTrainingCheckpoint(dir, this.o.checkpoint());
    this.savedStep = step;
    this.lastCheckpoint = dir;
    // Only complete step-N folders are counted or deleted, and the newest of them is always kept.
    if (this.o.saveTotalLimit !== null) pruneCheckpoints(this.o.runDir, this.o.saveTotalLimit);
    return dir;
  }

  /** Stops the progress bar and the Ctrl-C / SIGTERM handler (call in a finally). */
  close(): void {
    this.bar.stop();
    this.offStopSignals();
  }
}
