// Turns tokenized examples into batches for one epoch, deterministically from (seed, epoch):
// - "packed" (pretraining): examples are concatenated into one stream and cut into rows of
//   seqLen positions, so no compute is spent on padding. Positions run on across documents, so
//   attention at the start of a document can see the end of the previous one (as in GPT-2 style
//   pretraining); positions also continue across the boundary. The first token of each example
//   is never a target, so the loss is the same set of predictions as unpacked training.
// - "bucketed" (SFT): one example per row, right-padded; examples are grouped by similar length
//   so little padding is wasted, and each batch is only as long as its longest row.
// - "packed-examples" (SFT --packing): whole examples side by side in rows of up to seqLen
//   positions, in the shuffled order (a new row when the next one does not fit). Each example's
//   positions restart at 0 and the attention kernel lets position p see only the p tokens before
//   it, so no example sees another: the loss and gradient are those of one row per example
//   (TRL's padding-free packing with position_ids), with little padding.
// Either way, token i >= 1 of an example is a target exactly once per epoch when its mask is 1.
import { Rng } from '../util/rng.js';
import { IGNORE_INDEX, countLossTokens, type LmBatch, type TokenExample } from './examples.js';

export type BatchingMode = 'packed' | 'bucketed' | 'packed-examples';

export interface BatchingOptions {
  mode: BatchingMode;
  /** Rows per batch (micro-batch). */
  batchSize: number;
  /** Positions per row at most (the model's context length). */
  seqLen: number;
  /** Token used for padding inputs (its targets are ignored). */
  padId: number;
  seed: number;
  /**
   * Bucketed mode: how many batches' worth of shuffled examples are sorted by length together
   * (default 16). 1 = no length grouping: random batches, padded to their longest row.
   */
  lengthWindow?: number;
}

/** The generator that orders epoch `epoch`; independent of any other draw, so resume can rebuild it. */
function epochRng(seed: number, epoch: number): Rng {
  return new Rng(((seed >>> 0) * 0x9e3779b1 + epoch * 0x85ebca6b + 0x27d4eb2f) >>> 0);
}

/** All batches of one epoch, in training order. */
export function epochBatches(examples: readonly TokenExample[], opts: BatchingOptions, epoch: number): LmBatch[] {
  if (!(opts.batchSize >= 1) || !(opts.seqLen >= 1)) throw new RangeError('batchSize and seqLen must be at least 1');
  const rng = epochRng(opts.seed, epoch);
  const order = rng.shuffle(examples.map((_, i) => i));
  if (opts.mode === 'packed-examples') return packedExampleBatches(examples, order, opts);
  return opts.mode === 'packed' ? packedBatches(examples, order, opts) : bucketedBatches(examples, order, opts, rng);
}

function packedExampleBatches(examples: readonly TokenExample[], order: number[], opts: BatchingOptions): LmBatch[] {
  const S = opts.seqLen;
  // Example e fills len(e) - 1 positions (its inputs; the last token is only a target), cut at S.
  const width = (i: number) => Math.min(S, Math.max(0, examples[i].ids.length - 1));
  const rows: number[][] = [];
  let used = S;
  for (const i of order) {
    if (width(i) === 0) continue;
    if (used + width(i) > S) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(i);
    used += width(i);
  }
  const batches: LmBatch[] = [];
  for (let first = 0; first < rows.length; first += opts.batchSize) {
    const group = rows.slice(first, first + opts.batchSize);
    const T = Math.max(...group.map((r) => r.reduce((s, i) => s + width(i), 0)));
    const inputs = new Int32Array(group.length * T).fill(opts.padId);
    const targets = new Int32Array(group.length * T).fill(IGNORE_INDEX);
    const positions = new Int32Array(group.length * T);
    let tokens = 0;
    group.forEach((row, r) => {
      let at = r * T;
      for (const i of row) {
        const ex = examples[i];
        for (let t = 0; t < width(i); t++, at++) {
          inputs[at] = ex.ids[t];
          positions[at] = t;
          if (ex.mask[t + 1]) targets[at] = ex.ids[t + 1];
        }
        tokens += width(i);
      }
    });
    batches.push({ inputs, targets, batch: group.length, seqLen: T, lossTokens: countLossTokens(targets), tokens, positions });
  }
  return batches;
}

function packedBatches(examples: readonly TokenExample[], order: number[], opts: BatchingOptions): LmBatch[] {
  let total = 0;
  for (const i of order) total += examples[i].ids.length;
  const stream = new Int32Array(total);
  const counts = new Uint8Array(total);
  let at = 0;
  for (const i of order) {
    const ex = examples[i];
    stream.set(ex.ids, at);
    counts.set(ex.mask, at);
    counts[at] = 0; // the first token of a document is predicted from another document: skip it
    at += ex.ids.length;
  }
  // Row r covers stream[r*S .. r*S+S]: S inputs and the S targets shifted by one.
  const S = opts.seqLen;
  const rows = Math.max(0, Math.ceil((total - 1) / S));
  const batches: LmBatch[] = [];
  for (let first = 0; first < rows; first += opts.batchSize) {
    const n = Math.min(opts.batchSize, rows - first);
    const inputs = new Int32Array(n * S).fill(opts.padId);
    const targets = new Int32Array(n * S).fill(IGNORE_INDEX);
    let tokens = 0;
    for (let r = 0; r < n; r++) {
      const start = (first + r) * S;
      for (let t = 0; t < S && start + t + 1 < total; t++) {
        inputs[r * S + t] = stream[start + t];
        if (counts[start + t + 1]) targets[r * S + t] = stream[start + t + 1];
        tokens++;
      }
    }
    batches.push({ inputs, targets, batch: n, seqLen: S, lossTokens: countLossTokens(targets), tokens });
  }
  return batches;
}

function bucketedBatches(examples: readonly TokenExample[], order: number[], opts: BatchingOptions, rng: Rng): LmBatch[] {
  const span = opts.batchSize * (opts.lengthWindow ?? 16);
  const groups: number[][] = [];
  for (let s = 0; s < order.length; s += span) {
    // Sort a window of the shuffled order by length (ties by position, so it is deterministic).
    const window = order.slice(s, s + span).sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
    for (let b = 0; b < window.length; b += opts.batchSize) groups.push(window.slice(b, b + opts.batchSize));
  }
  rng.shuffle(groups);
  return groups.map((g) => padRows(g.map((i) => examples[i]), opts.seqLen, opts.padId));
}

/** One example per row, right-padded to the longest row (at most seqLen positions). */
export function padRows(rows: readonly TokenExample[], maxSeqLen: number, padId: number): LmBatch {
  let T = 1;
  for (const ex of rows) T = Math.max(T, Math.min(maxSeqLen, ex.ids.length - 1));
  const inputs = new Int32Array(rows.length * T).fill(padId);
  const targets = new Int32Array(rows.length * T).fill(IGNORE_INDEX);
  let tokens = 0;
  rows.forEach((ex, r) => {
    const n = Math.min(T, ex.ids.length - 1);
    tokens += n;
    for (let t = 0; t < n; t++) {
      inputs[r * T + t] = ex.ids[t];
      if (ex.mask[t + 1]) targets[r * T + t] = ex.ids[t + 1];
    }
  });
  return { inputs, targets, batch: rows.length, seqLen: T, lossTokens: countLossTokens(targets), tokens };
}

/** Splits examples into training and held-out sets (a seeded choice of `evalCount` examples). */
/**
 * Holds out `fraction` of the groups (at least one, never all, when there are two or more), whole:
 * the examples of one record (a conversation trained turn by turn) stay on one side. Groups are
 * numbered in order of first appearance, so one example per group splits exactly as splitHeldOut.
 */
export function splitHeldOutGroups<T>(items: readonly T[], groups: readonly number[], fraction: number, seed: number): { train: T[]; heldOut: T[] } {
  const dense = new Map<number, number>();
  const groupOf = groups.map((g) => dense.get(g) ?? dense.set(g, dense.size).size - 1);
  const n = dense.size;
  const evalCount = fraction > 0 && n >= 2 ? Math.max(1, Math.min(n - 1, Math.round(n * fraction))) : 0;
  const held = new Set(splitHeldOut([...dense.values()], evalCount, seed).heldOut);
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((it, i) => (held.has(groupOf[i]) ? heldOut : train).push(it));
  return { train, heldOut };
}

export function splitHeldOut<T>(items: readonly T[], evalCount: number, seed: number): { train: T[]; heldOut: T[] } {
  const idx = new Rng((seed ^ 0x51ed270b) >>> 0).shuffle(items.map((_, i) => i));
  const held = new Set(idx.slice(0, evalCount));
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((it, i) => (held.has(i) ? heldOut : train).push(it));
  return { train, heldOut };
}
