// The GRPO objective per token and its gradient with respect to the policy's log-probabilities:
// the clipped surrogate (ε_low, ε_high), the k3 KL term with β, and the loss aggregation variants
// grpo, bnpo, dr_grpo and dapo (docs/grpo.md). Pure formulas on plain Float32Arrays [B, T] (the
// completion mask is packing.ts's); the trainer passes the gradient into
// `logprobs.backward(grad)`, so the compute core's autograd only has to differentiate log π.

import { countTokens } from './packing.js';

export type LossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';
export const LOSS_TYPES: readonly LossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo'];

export interface SurrogateOptions {
  /** ε_low: the ratio is clipped below at 1 − epsilon. */
  epsilon: number;
  /** ε_high: the ratio is clipped above at 1 + epsilonHigh (DAPO clip-higher). */
  epsilonHigh: number;
  /** KL coefficient; 0 means no KL term and no reference log-probs. */
  beta: number;
}

/**
 * What the loss of one optimiser update is normalised by. The update's loss is the SUM of the
 * micro-batch contributions, so every normaliser is about the whole update:
 * - grpo:    (1/S) Σ_i Σ_t m·L / max(Σ_t m, 1)     S = completions in the update
 * - bnpo:    (1/M) Σ_micro Σ m·L / max(Σ m, 1)     M = micro-batches (each its own token count)
 * - dr_grpo: Σ m·L / (S · maxCompletionLength)
 * - dapo:    Σ m·L / N                             N = unmasked tokens in the whole update
 * With equal-sized micro-batches these equal TRL's per-micro-batch losses divided by the number of
 * accumulation steps (grpo, bnpo, dr_grpo) and TRL's num_items_in_batch normaliser (dapo).
 */
export interface Normaliser {
  lossType: LossType;
  totalSequences: number;
  totalTokens: number;
  microBatches: number;
  maxCompletionLength: number;
}

export interface MicroBatch {
  /** Rows (completions) and columns (completion positions). */
  B: number;
  T: number;
  /** log π of each completion token under the current policy, [B, T]. */
  logp: Float32Array;
  /** log π_old (the policy that sampled), [B, T]. */
  oldLogp: Float32Array;
  /** log π_ref, [B, T]; required when beta > 0. */
  refLogp?: Float32Array | null;
  /** One advantage per row. */
  advantages: ArrayLike<number>;
  /** 1 for tokens in the loss (completion tokens up to and including EOS), [B, T]. */
  mask: Uint8Array;
  /**
   * bnpo only: the token count of the configured micro-batch this chunk belongs to, when it was
   * split further to bound memory (default: this chunk's own count).
   */
  bnpoTokens?: number;
}

export interface LossResult {
  /** This micro-batch's contribution to the update's loss. */
  loss: number;
  /** d loss / d logp, [B, T] (0 on masked positions). */
  grad: Float32Array;
  /** Sums for the step's metrics (divide by `tokens`). */
  tokens: number;
  klSum: number;
  clipLowCount: number;
  clipHighCount: number;
}

/** k3 estimator of KL(π‖π_ref) per token: exp(ref − lp) − (ref − lp) − 1 (always ≥ 0). */
export function k3(lp: number, ref: number): number {
  const d = ref - lp;
  return Math.exp(d) - d - 1;
}

/**
 * Per-token loss −min(r·A, clip(r, 1−ε_low, 1+ε_high)·A) and its derivative with respect to
 * lp (r = exp(lp − old)). Where the clipped branch is the minimum the loss is constant in lp and
 * the derivative is 0; otherwise it is −A·r. At equality the unclipped branch is taken.
 */
export function surrogate(lp: number, old: number, A: number, epsLow: number, epsHigh: number): { loss: number; dlp: number; ratio: number } {
  const ratio = Math.exp(lp - old);
  const clipped = Math.min(Math.max(ratio, 1 - epsLow), 1 + epsHigh);
  const unclippedObj = ratio * A;
  const clippedObj = clipped * A;
  if (clippedObj < unclippedObj) return { loss: -clippedObj, dlp: 0, ratio };
  return { loss: -unclippedObj, dlp: -A * ratio, ratio };
}

/** The weight of token (i, t) in the update's loss for this micro-batch, before masking. */
function rowWeights(mb: MicroBatch, norm: Normaliser): Float64Array {
  const w = new Float64Array(mb.B);
  const microTokens = mb.bnpoTokens ?? countTokens(mb.mask);
  for (let i = 0; i < mb.B; i++) {
    switch (norm.lossType) {
      case 'grpo': {
        let n = 0;
        for (let t = 0; t < mb.T; t++) n += mb.mask[i * mb.T + t];
        w[i] = 1 / (norm.totalSequences * Math.max(n, 1));
        break;
      }
      case 'bnpo':
        w[i] = 1 / (norm.microBatches * Math.max(microTokens, 1));
        break;
      case 'dr_grpo':
        w[i] = 1 / (norm.totalSequences * norm.maxCompletionLength);
        break;
      case 'dapo':
        w[i] = 1 / Math.max(norm.totalTokens, 1);
        break;
    }
  }
  return w;
}

/** Loss contribution, gradient and metric sums of one micro-batch. */
export function grpoLoss(mb: MicroBatch, opts: SurrogateOptions, norm: Normaliser): LossResult {
  const { B, T, logp, oldLogp, mask } = mb;
  const n = B * T;
  if (logp.length !== n || oldLogp.length !== n || mask.length !== n) throw new RangeError(`grpoLoss: arrays must have B*T = ${n} entries`);
  if (mb.advantages.length !== B) throw new RangeError(`grpoLoss: ${mb.advantages.length} advantages for ${B} rows`);
  const ref = opts.beta > 0 ? mb.refLogp : null;
  if (opts.beta > 0 && (!ref || ref.length !== n)) throw new RangeError('grpoLoss: beta > 0 needs reference log-probs of B*T entries');
  const w = rowWeights(mb, norm);
  const grad = new Float32Array(n);
  let loss = 0;
  let tokens = 0;
  let klSum = 0;
  let clipLowCount = 0;
  let clipHighCount = 0;
  for (let i = 0; i < B; i++) {
    const A = mb.advantages[i];
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      if (!mask[k]) continue;
      tokens++;
      const s = surrogate(logp[k], oldLogp[k], A, opts.epsilon, opts.epsilonHigh);
      let L = s.loss;
      let dL = s.dlp;
      if (ref) {
        const d = ref[k] - logp[k];
        const kl = Math.exp(d) - d - 1;
        klSum += kl;
        L += opts.beta * kl;
        // d/dlp [exp(ref − lp) − (ref − lp) − 1] = 1 − exp(ref − lp)
        dL += opts.beta * (1 - Math.exp(d));
      }
      if (s.ratio < 1 - opts.epsilon && A < 0) clipLowCount++;
      if (s.ratio > 1 + opts.epsilonHigh && A > 0) clipHighCount++;
      loss += w[i] * L;
      grad[k] = w[i] * dL;
    }
  }
  return { loss, grad, tokens, klSum, clipLowCount, clipHighCount };
}
