// `aha rm train` as a library function: a reward model on a causal LM's body, trained on
// preference pairs (Bradley-Terry), outcome labels (ORM, binary CE at the last token) or step
// labels (PRM, binary CE at each step separator), with LoRA on the body if asked (the head always
// trained in full). A seeded share of the records (or a separate file) is held out and the
// result reports pairwise accuracy (preference) or AUC (outcome, process) on it. Everything the
// run needs is checked before the weights are read; the folder is written atomically.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AdamW, clipGradNorm, noGrad, setNumThreads } from '../core/index.js';
import { assertTrainable, parseLoraSpec } from '../model/lora.js';
import {
  createRewardModel, rewardInput, saveRewardModel, stepInput, type RewardModelKind, type ScalarRewardModel,
} from '../model/reward-model.js';
import { atomicWriteFile } from '../util/atomic.js';
import { AhaError, InputError } from '../util/errors.js';
import { bundledPath } from '../util/paths.js';
import { Rng } from '../util/rng.js';
import { readRmData, type RmRecord } from './data.js';
import { padBatch, rewardLoss, type ScoreBatch } from './loss.js';
import { auc, pairwiseAccuracy } from './metrics.js';

export interface RmTrainOptions {
  /** Base causal LM folder. */
  model: string;
  /** JSON Lines training data (data.ts). */
  data: string;
  /** Reward model folder to write (must not exist). */
  output: string;
  /** Kind of the data; null: from the first record's fields. */
  kind?: RewardModelKind | null;
  /** Held-out data file; without it `evalFraction` of the records are held out (giving both is an error). */
  evalData?: string | null;
  evalFraction?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  /** LoRA spec (`r=8,alpha=16`) for the body; null trains the whole body. */
  lora?: string | null;
  /** PRM step separator (one token; default "\n", as TRL's PRMTrainer). */
  stepSeparator?: string;
  seed?: number;
  threads?: number;
  quiet?: boolean;
  /** Called after each optimiser step with its loss. */
  onStep?: (step: number, loss: number) => void;
}

export interface RmHeldout {
  n: number;
  loss: number;
  /** Preference: share of held-out pairs scored chosen > rejected. */
  pairwise_accuracy?: number;
  /** Outcome / process: ROC AUC of the scores against the labels. */
  auc?: number;
}

export interface RmTrainResult {
  kind: RewardModelKind;
  output: string;
  steps: number;
  train_loss: number;
  heldout: RmHeldout;
  seconds: number;
}

/** One encoded record: the sequences it scores and the terms of its loss. */
export interface Encoded {
  seqs: Int32Array[];
  /** Per loss target: [sequence index within `seqs`, position, sign] terms, and its class. */
  targets: { terms: [number, number, number][]; cls: 0 | 1 }[];
}

/** The position a record's sequence score is read at (rm.lastPosition), its error naming the record. */
function lastOf(rm: ScalarRewardModel, ids: Int32Array, r: RmRecord, field: string, file: string): number {
  try {
    return rm.lastPosition(ids);
  } catch (err) {
    throw new InputError({ file, line: r.line, field }, (err as Error).message);
  }
}

/** A record as the sequences it scores and its loss terms (exported for tests). */
export function encodeRecord(rm: ScalarRewardModel, r: RmRecord, file: string): Encoded {
  const tok = rm.tokenizer;
  const ctx = rm.config.max_position_embeddings;
  const fit = (ids: Int32Array, field: string): Int32Array => {
    if (ids.length > ctx) throw new InputError({ file, line: r.line, field }, `${ids.length} tokens with the prompt, more than the model's context of ${ctx}`);
    return ids;
  };
  if (r.kind === 'preference') {
    const c = fit(rewardInput(tok, r.prompt, r.chosen), 'chosen'), j = fit(rewardInput(tok, r.prompt, r.rejected), 'rejected');
    return { seqs: [c, j], targets: [{ terms: [[0, lastOf(rm, c, r, 'chosen', file), 1], [1, lastOf(rm, j, r, 'rejected', file), -1]], cls: 1 }] };
  }
  if (r.kind === 'outcome') {
    const ids = fit(rewardInput(tok, r.prompt, r.completion), 'completion');
    return { seqs: [ids], targets: [{ terms: [[0, lastOf(rm, ids, r, 'completion', file), 1]], cls: r.label }] };
  }
  let s: { ids: Int32Array; positions: number[] };
  try {
    s = stepInput(tok, rm.stepSeparator!, rm.stepSeparatorId!, r.prompt, r.steps);
  } catch (err) {
    throw new InputError({ file, line: r.line, field: 'steps' }, (err as Error).message);
  }
  fit(s.ids, 'steps');
  return { seqs: [s.ids], targets: s.positions.map((p, i) => ({ terms: [[0, p, 1]], cls: r.labels[i] })) };
}

function toBatch(items: readonly Encoded[], pad: number): ScoreBatch {
  const seqs: Int32Array[] = [];
  const base: number[] = [];
  for (const e of items) {
    base.push(seqs.length);
    seqs.push(...e.seqs);
  }
  const { ids, batch, seqLen, start } = padBatch(seqs, pad);
  const terms: ScoreBatch['terms'] = [];
  const classes: number[] = [];
  items.forEach((e, k) => {
    for (const t of e.targets) {
      terms.push(t.terms.map(([s, p, sign]) => ({ at: start(base[k] + s) + p, sign })));
      classes.push(t.cls);
    }
  });
  return { ids, batch, seqLen, terms, classes: Int32Array.from(classes) };
}

/** Held-out metrics: the mean loss and pairwise accuracy or AUC, from one scoring pass (scoreAt batches by tokens). */
export function evaluateRewardModel(rm: ScalarRewardModel, items: readonly Encoded[]): RmHeldout {
  if (items.length === 0) return { n: 0, loss: NaN };
  let lossSum = 0;
  const values: number[] = [], classes: number[] = [];
  const pairs: [number, number][] = [];
  noGrad(() => {
    const seqs = items.flatMap((e) => e.seqs);
    const positions: number[][] = seqs.map(() => []);
    let base = 0;
    const where: [number, number][][] = [];
    for (const e of items) {
      for (const t of e.targets) {
        where.push(t.terms.map(([s, p]) => {
          positions[base + s].push(p);
          return [base + s, positions[base + s].length - 1];
        }));
        classes.push(t.cls);
      }
      base += e.seqs.length;
    }
    const scores = rm.scoreAt(seqs, positions);
    where.forEach((w, k) => {
      // The training loss from the scores in hand: a pair softplus(−(r_c − r_r)), a label
      // softplus(s) − y·s (src/rm/loss.ts's cross-entropies, in stable form).
      if (w.length === 2) {
        const [c, r] = [scores[w[0][0]][w[0][1]], scores[w[1][0]][w[1][1]]];
        pairs.push([c, r]);
        lossSum += softplus(r - c);
      } else {
        const s = scores[w[0][0]][w[0][1]];
        values.push(s);
        lossSum += softplus(s) - classes[k] * s;
      }
    });
  });
  const out: RmHeldout = { n: items.length, loss: lossSum / classes.length };
  if (rm.kind === 'preference') out.pairwise_accuracy = pairwiseAccuracy(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
  else out.auc = auc(values, classes);
  return out;
}

/** log(1 + eˣ) without overflow. */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

function positive(name: string, v: number, integer: boolean): number {
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) throw new AhaError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  return v;
}

/** Trains and saves a reward model; returns its held-out metrics. */
export function trainRewardModel(o: RmTrainOptions): RmTrainResult {
  const t0 = performance.now();
  const epochs = positive('epochs', o.epochs ?? 1, true);
  const batchSize = positive('batch size', o.batchSize ?? 8, true);
  const lr = positive('learning rate', o.learningRate ?? 1e-4, false);
  const maxGradNorm = o.maxGradNorm ?? 1;
  if (o.evalData && o.evalFraction !== undefined) throw new AhaError('--eval-fraction holds out a share of --data; with --eval-data the held-out set is that file: give one or the other');
  const evalFraction = o.evalFraction ?? 0.1;
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new AhaError(`eval fraction must be in [0, 1), got ${evalFraction}`);
  const seed = o.seed ?? 0;
  const lora = o.lora ? assertTrainable(parseLoraSpec(o.lora, '--lora')) : null;
  const { kind, records } = readRmData(o.data, o.kind ?? null);
  if (o.stepSeparator !== undefined && kind !== 'process') throw new AhaError(`--step-separator applies to process reward models (step data); ${o.data} holds ${kind} data`);
  const heldRecords = o.evalData ? readRmData(o.evalData, kind).records : null;
  const output = resolve(o.output);
  if (existsSync(output)) throw new AhaError(`--output ${o.output} already exists; a reward model is never written over another folder`);
  const model = bundledPath(o.model);
  if (!existsSync(join(model, 'config.json'))) throw new AhaError(`${o.model} is not a model folder (no config.json)`);
  if (o.threads && o.threads > 0) setNumThreads(o.threads);

  const rm = createRewardModel(model, { kind, stepSeparator: kind === 'process' ? (o.stepSeparator ?? '\n') : null, lora, seed });
  const all = records.map((r) => encodeRecord(rm, r, o.data));
  let train: Encoded[], held: Encoded[];
  if (heldRecords) {
    train = all;
    held = heldRecords.map((r) => encodeRecord(rm, r, o.evalData!));
  } else {
    const order = new Rng(seed ^ 0x5bd1e995).shuffle(all.map((_, i) => i));
    const nHeld = Math.round(all.length * evalFraction);
    held = order.slice(0, nHeld).map((i) => all[i]);
    train = order.slice(nHeld).map((i) => all[i]);
  }
  if (train.length === 0) throw new AhaError(`${o.data}: no records left to train on after holding out ${held.length}`);

  const params = [...rm.trainableParameters().values()];
  const opt = new AdamW(params, { lr, weightDecay: o.weightDecay ?? 0 });
  const rng = new Rng(seed);
  const totalSteps = epochs * Math.ceil(train.length / batchSize);
  let step = 0, lossSum = 0, lossCount = 0;
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle(train.map((_, i) => i));
    for (let i = 0; i < order.length; i += batchSize) {
      const batch = toBatch(order.slice(i, i + batchSize).map((k) => train[k]), rm.tokenizer.padId);
      opt.zeroGrad();
      const loss = rewardLoss(rm, batch);
      const value = loss.data[0];
      loss.backward();
      if (maxGradNorm > 0) clipGradNorm(params, maxGradNorm);
      // Linear decay to zero over the run.
      opt.step(lr * (1 - step / totalSteps));
      step++;
      lossSum += value;
      lossCount++;
      o.onStep?.(step, value);
      if (!o.quiet && (step % 10 === 0 || step === totalSteps)) process.stderr.write(`rm train step ${step}/${totalSteps}: loss ${value.toFixed(4)}\n`);
    }
  }
  const heldout = evaluateRewardModel(rm, held);
  saveRewardModel(rm, output);
  const result: RmTrainResult = { kind, output, steps: step, train_loss: lossSum / Math.max(1, lossCount), heldout, seconds: (performance.now() - t0) / 1000 };
  atomicWriteFile(join(output, 'rm_eval.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
