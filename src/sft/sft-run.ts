// `aha sft` as a function: validate the data file, load the model, tokenize, split off a
// held-out set, train with the LM trainer, and save the final model in <run>/model. Also resumes
// a run from its latest checkpoint with the configuration it was started with.
import type { TrainerCallback } from '../util/callbacks.js';
import { join, resolve } from 'node:path';
import { setNumThreads } from '../core/index.js';
import { loadModel, saveModel } from '../model/load-model.js';
import { loadResumeCheckpoint, updateRunConfig, writeRunConfig } from '../model/training-run.js';
import { adapterToTrain, isAdapterDir, withNewAdapters } from '../model/adapter.js';
import { assertTrainable, parseLoraSpec } from '../model/lora.js';
import { AhaError } from '../util/errors.js';
import { fileSha256 } from '../util/file-hash.js';
import { epochBatches, splitHeldOutGroups } from './batching.js';
import { readSftFile, type SftRecord } from './sft-data.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { checkChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';
import { encodeSftRecords, type EncodeStats } from './sft-encode.js';
import { openLmRun, resumePoint, trainLanguageModel, type TrainerConfig, type TrainResult } from './trainer.js';
import type { TokenExample } from './examples.js';

export interface SftOptions extends Omit<TrainerConfig, 'steps'> {
  command: 'sft';
  model: string;
  data: string;
  /** Held-out data file; when absent, `evalFraction` of the training data is held out. */
  evalData: string | null;
  evalFraction: number;
  /** Optimiser steps; when null, `epochs` passes over the training data. */
  steps: number | null;
  epochs: number;
  threads: number | null;
  /** LoRA adapters (`r=16,alpha=32,...`) on a frozen base; null = every weight trains. */
  lora: string | null;
  /** Variables for the chat template of {"messages"} lines (TRL's chat_template_kwargs), e.g. Qwen3's enable_thinking. */
  chatTemplateArgs: ChatTemplateArgs;
}

export const SFT_DEFAULTS: Omit<SftOptions, 'model' | 'data'> = {
  command: 'sft',
  evalData: null,
  evalFraction: 0.05,
  steps: null,
  epochs: 1,
  threads: null,
  lora: null,
  chatTemplateArgs: {},
  batchSize: 8,
  gradAccum: 1,
  seqLen: 1024,
  batching: 'bucketed',
  lengthWindow: 16,
  lr: 2e-5,
  minLrRatio: 0,
  warmupSteps: 0,
  schedule: 'linear',
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  maxGradNorm: 1,
  evalSteps: 50,
  saveSteps: 200,
  saveTotalLimit: null,
  seed: 42,
};

export interface SftRunOptions {
  runDir: string;
  /** Settings for a fresh run (ignored on resume: the run's config.json is used). */
  options?: SftOptions;
  resume?: boolean;
  /** On resume, train up to this many steps in total instead of the saved number. */
  steps?: number;
  /** On resume, use this many compute threads instead of the saved setting. */
  threads?: number;
  quiet?: boolean;
  signal?: AbortSignal;
  onStep?: (row: Readonly<Record<string, number>>) => void;
  /** The library's callbacks: logged steps, evaluations, checkpoints (SFTTrainer). */
  callbacks?: readonly TrainerCallback[];
  log?: (line: string) => void;
}

export interface SftRunResult extends TrainResult {
  runDir: string;
  /** The final model folder, written when the run completed (not when interrupted). */
  modelDir: string | null;
  stats: EncodeStats;
  trainExamples: number;
  heldOutExamples: number;
}


function tokenize(o: SftOptions, tokenizer: Tokenizer, data: SftRecord[], evalData: SftRecord[] | null): { train: TokenExample[]; heldOut: TokenExample[]; stats: EncodeStats } {
  const max = o.seqLen + 1; // seqLen inputs plus the last target
  const main = encodeSftRecords(tokenizer, data, o.data, max);
  if (main.examples.length === 0) throw new AhaError(`${o.data}: no example has a completion token within --max-length ${o.seqLen}`);
  if (evalData !== null) {
    const held = encodeSftRecords(tokenizer, evalData, o.evalData ?? '', max);
    return { train: main.examples, heldOut: held.examples, stats: main.stats };
  }
  return { ...splitHeldOutGroups(main.examples, main.groups, o.evalFraction, o.seed), stats: main.stats };
}

/** Optimiser steps for `epochs` passes (at least one step). */
export function stepsForEpochs(train: readonly TokenExample[], o: SftOptions, padId: number): number {
  const perEpoch = epochBatches(train, { mode: o.batching, batchSize: o.batchSize, seqLen: o.seqLen, padId, seed: o.seed, lengthWindow: o.lengthWindow }, 0).length;
  return Math.max(1, Math.ceil((perEpoch * o.epochs) / o.gradAccum));
}

export async function runSft(run: SftRunOptions): Promise<SftRunResult> {
  const log = run.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const runDir = resolve(run.runDir);
  const opened = openLmRun<SftOptions>(runDir, 'sft', run.resume === true, run.options, SFT_DEFAULTS);
  let o = opened.options;
  const resumeFrom = opened.resumeFrom;
  const threads = run.threads ?? o.threads;
  if (threads !== null) setNumThreads(threads);
  // Read and validate the data before the (slow) model load.
  checkChatTemplateArgs(o.chatTemplateArgs, 'chat_template_kwargs');
  const data = readSftFile(o.data, o.chatTemplateArgs);
  const evalData = o.evalData !== null ? readSftFile(o.evalData, o.chatTemplateArgs) : null;
  const digests = { dataSha256: fileSha256(o.data), evalDataSha256: o.evalData !== null ? fileSha256(o.evalData) : null };
  if (resumeFrom) {
    // Resuming exactly needs the same examples in the same order.
    const saved = o as SftOptions & Partial<typeof digests>;
    if (saved.dataSha256 !== undefined && (saved.dataSha256 !== digests.dataSha256 || saved.evalDataSha256 !== digests.evalDataSha256)) {
      throw new AhaError(`the data of ${runDir} changed since the run started (${o.data}${o.evalData ? ' or ' + o.evalData : ''}); resume needs the same data`);
    }
  }

  const lora = o.lora ? assertTrainable(parseLoraSpec(o.lora)) : null;
  const loaded = resumeFrom
    ? loadResumeCheckpoint(resumeFrom)
    : isAdapterDir(o.model) ? adapterToTrain(o.model, o.lora ?? null) : lora ? withNewAdapters(o.model, lora, o.seed) : loadModel(o.model);
  const maxPositions = loaded.config.max_position_embeddings;
  if (o.seqLen > maxPositions) {
    log(`note: --max-length ${o.seqLen} is above the model's max_position_embeddings; using ${maxPositions}`);
    o = { ...o, seqLen: maxPositions };
  }
  // SFT's --packing puts whole examples side by side, each attending only to itself (the same
  // loss as unpacked rows); the stream packing of pretraining would let one example see another.
  // A run started before this keeps the batching it recorded, so it resumes in the same order.
  if (o.batching === 'packed' && !resumeFrom) o = { ...o, batching: 'packed-examples' };
  const { train, heldOut, stats } = tokenize(o, loaded.tokenizer, data, evalData);
  if (stats.truncated > 0) log(`note: ${stats.truncated} example(s) longer than --max-length ${o.seqLen} tokens were cut`);
  if (stats.dropped > 0) log(`note: ${stats.dropped} example(s) had no completion token within --max-length and were skipped`);
  if (stats.turnByTurn > 0) log(`note: the chat template rewrites earlier turns when a later one is added (e.g. drops their reasoning), so ${stats.turnByTurn} conversation(s) with it were trained one example per assistant turn, each in the context the model sees when it writes that turn`);
  if (stats.unopenedThink > 0) log(`note: ${stats.unopenedThink} assistant turn(s) have no <think> block although the template's generation prompt opens one; they are trained as written, after the opened block`);
  const padId = loaded.tokenizer.padId;
  const steps = run.steps ?? o.steps ?? stepsForEpochs(train, o, padId);
  let resume: Parameters<typeof trainLanguageModel>[0]['resume'];
  if (resumeFrom) {
    resume = resumePoint(resumeFrom, loaded as ReturnType<typeof loadResumeCheckpoint>);
    if (run.steps !== undefined) updateRunConfig(runDir, { steps: run.steps });
    log(`resuming ${runDir} from step ${resume.trainerState.step} of ${steps}`);
  } else {
    writeRunConfig(runDir, { ...o, steps, model: resolve(o.model), data: resolve(o.data), evalData: o.evalData && resolve(o.evalData), ...digests });
    log(`sft: ${train.length} training and ${heldOut.length} held-out examples, ${steps} steps`);
  }
  const result = await trainLanguageModel({
    runDir,
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    train,
    heldOut,
    padId,
    config: { ...o, steps },
    resume,
    quiet: run.quiet,
    signal: run.signal,
    onStep: run.onStep,
    callbacks: run.callbacks,
  });
  let modelDir: string | null = null;
  if (!result.interrupted) {
    modelDir = join(runDir, 'model');
    saveModel(loaded.model, loaded.tokenizer, modelDir);
  }
  return { ...result, runDir, modelDir, stats, trainExamples: train.length, heldOutExamples: heldOut.length };
}
