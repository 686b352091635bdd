// The GRPO objective per token and its gradient with respect to the policy's log-probabilities:
// the clipped surrogate (ε_low, ε_high), the k3 KL term with β, and the loss aggregation variants
// grpo, bnpo, dr_grpo and dapo (docs/grpo.md). Pure formulas on plain Float32Arrays [B, T] (the
// completion mask is packing.ts's); the trainer passes the gradient into
// `logprobs.backward(grad)`, so the compute core's autograd only has to differentiate log π.

import { countTokens } from './packing.js';

export type LossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo' | 'cispo';
export const LOSS_TYPES: readonly LossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo', 'cispo'];

/** Token ratios (PPO, GRPO) or one length-normalised geometric-mean ratio per completion (GSPO). */
export type ImportanceSamplingLevel = 'token' | 'sequence';
export const IMPORTANCE_SAMPLING_LEVELS: readonly ImportanceSamplingLevel[] = ['token', 'sequence'];

export interface SurrogateOptions {
  /** ε_low: the ratio is clipped below at 1 − epsilon. */
  epsilon: number;
  /** ε_high: the ratio is clipped above at 1 + epsilonHigh (DAPO clip-higher). */
  epsilonHigh: number;
  /** KL coefficient; 0 means no KL term and no reference log-probs. */
  beta: number;
  /** 'sequence' = GSPO: s_i = exp(mean_t(lp − old)) stands for every token ratio of row i. Default 'token'. */
  importanceSamplingLevel?: ImportanceSamplingLevel;
  /** Two-sided clipping (INTELLECT-2): the unclipped ratio is capped at delta; null/absent = off. */
  delta?: number | null;
  /** DeepSeek-V3.2: the k3 term is multiplied by the importance ratio (r, or s_i at sequence level). */
  biasCorrectionKl?: boolean;
  /**
   * Off-policy masking (DeepSeek-V3.2): a row with A < 0 whose mean Σ_t m·(old − lp)/|o| exceeds
   * this leaves the policy term (the KL term stays); old is the sampler's log-prob when
   * MicroBatch.samplerLogp is given; null/absent = off.
   */
  offPolicyMaskThreshold?: number | null;
  /** Coefficient c of the entropy bonus −c·H (aggregated like the loss); needs MicroBatch.entropy. */
  entropyCoef?: number;
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
  /** log π_ref, [B, T]; required when beta > 0; when given, the KL is measured (klSum) on the rows with a KL term. */
  refLogp?: Float32Array | null;
  /** One advantage per row. */
  advantages: ArrayLike<number>;
  /**
   * One advantage per token, [B, T], replacing `advantages` in the policy term (REINFORCE++ with
   * the KL in the reward); absent = the row's advantage for every token.
   */
  tokenAdvantages?: Float32Array | null;
  /** 1 for tokens in the loss (completion tokens up to and including EOS), [B, T]. */
  mask: Uint8Array;
  /**
   * bnpo only: the token count of the configured micro-batch this chunk belongs to, when it was
   * split further to bound memory (default: this chunk's own count).
   */
  bnpoTokens?: number;
  /**
   * 1 for tokens kept in the policy term (and entropy bonus), e.g. the high-entropy tokens of
   * top_entropy_quantile; absent = every masked token. The KL term and the normalisers still
   * cover every token of `mask`.
   */
  policyMask?: Uint8Array | null;
  /** Full-distribution entropy per position, [B, T]; read only when entropyCoef > 0. */
  entropy?: Float32Array | null;
  /** Per-token weight on the policy term (truncated importance sampling), [B, T]; absent = 1. */
  isWeights?: Float32Array | null;
  /**
   * The sampler's log-probs ℓsmp, [B, T], when the rollouts came with them. Off-policy masking then
   * measures each row's drift from the policy that actually sampled it (ℓsmp − ℓ, as TRL does with
   * vLLM's log-probs), which π_old misses on the first pass; absent = from oldLogp.
   */
  samplerLogp?: Float32Array | null;
  /** Per-row KL coefficient in place of SurrogateOptions.beta (SCoRe's β₂ on first attempts); absent = beta for every row. */
  rowBeta?: ArrayLike<number> | null;
}

export interface LossResult {
  /** This micro-batch's contribution to the update's loss. */
  loss: number;
  /** d loss / d logp, [B, T] (0 on masked positions). */
  grad: Float32Array;
  /** Sums for the step's metrics (divide by `tokens`). */
  tokens: number;
  klSum: number;
  /** Tokens `klSum` is over: those of the rows with a KL term, when reference log-probs were given. */
  klTokens: number;
  clipLowCount: number;
  clipHighCount: number;
  /** d loss / d entropy, [B, T], when entropyCoef > 0 (else null). */
  entropyGrad: Float32Array | null;
  /** Tokens in the policy term (policyMask ∧ mask, rows not masked off-policy). */
  policyTokens: number;
  /** Rows left out of the policy term by off-policy masking. */
  offPolicyRows: number;
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
      case 'cispo':
        w[i] = 1 / Math.max(norm.totalTokens, 1);
        break;
    }
  }
  return w;
}

/** Mean of `values` over row i's masked positions (0 for an empty row). */
function maskedRowMean(values: ArrayLike<number>, mask: ArrayLike<number>, i: number, T: number): number {
  let sum = 0;
  let n = 0;
  for (let t = 0; t < T; t++) if (mask[i * T + t]) {
    sum += values[i * T + t];
    n++;
  }
  return n ? sum / n : 0;
}

/** GSPO's sequence ratio s_i = exp(Σ_t m·(lp − old) / max(Σ_t m, 1)) of row i. */
export function sequenceRatio(logp: ArrayLike<number>, oldLogp: ArrayLike<number>, mask: ArrayLike<number>, i: number, T: number): number {
  let sum = 0;
  let n = 0;
  for (let t = 0; t < T; t++) {
    const k = i * T + t;
    if (!mask[k]) continue;
    sum += logp[k] - oldLogp[k];
    n++;
  }
  return Math.exp(sum / Math.max(n, 1));
}

/**
 * The policy term of one token for a ratio value `ratio`: −min(min(r, δ)·A, clip(r)·A) (δ off
 * when null), or CISPO's −sg[min(r, ε_high)]·A·lp. `dlp` is the direct derivative with respect to
 * lp (CISPO), `dratio` the derivative with respect to the ratio (clipped surrogate).
 */
function policyTerm(lp: number, ratio: number, A: number, o: SurrogateOptions, cispo: boolean): { loss: number; dlp: number; dratio: number } {
  if (cispo) {
    const w = Math.min(ratio, o.epsilonHigh);
    return { loss: -w * A * lp, dlp: -w * A, dratio: 0 };
  }
  const capped = o.delta != null ? Math.min(ratio, o.delta) : ratio;
  const clipped = Math.min(Math.max(ratio, 1 - o.epsilon), 1 + o.epsilonHigh);
  if (clipped * A < capped * A) return { loss: -clipped * A, dlp: 0, dratio: 0 };
  return { loss: -capped * A, dlp: 0, dratio: o.delta != null && ratio > o.delta ? 0 : -A };
}

/** Loss contribution, gradient and metric sums of one micro-batch. */
export function grpoLoss(mb: MicroBatch, opts: SurrogateOptions, norm: Normaliser): LossResult {
  const { B, T, logp, oldLogp, mask } = mb;
  const n = B * T;
  if (logp.length !== n || oldLogp.length !== n || mask.length !== n) throw new RangeError(`grpoLoss: arrays must have B*T = ${n} entries`);
  if (mb.advantages.length !== B) throw new RangeError(`grpoLoss: ${mb.advantages.length} advantages for ${B} rows`);
  if (mb.rowBeta && mb.rowBeta.length !== B) throw new RangeError(`grpoLoss: ${mb.rowBeta.length} row betas for ${B} rows`);
  const anyKl = mb.rowBeta ? Array.prototype.some.call(mb.rowBeta, (b: number) => b > 0) : opts.beta > 0;
  // The KL is measured whenever reference log-probs are given (the kl metric; REINFORCE++ keeps
  // it in the reward, beta 0 here), on the rows whose own coefficient is positive.
  const ref = mb.refLogp ?? null;
  if ((anyKl || ref) && (!ref || ref.length !== n)) throw new RangeError('grpoLoss: beta > 0 needs reference log-probs of B*T entries');
  const coef = opts.entropyCoef ?? 0;
  if (coef !== 0 && (!mb.entropy || mb.entropy.length !== n)) throw new RangeError('grpoLoss: entropyCoef needs per-position entropies of B*T entries');
  for (const [name, a] of [['policyMask', mb.policyMask], ['isWeights', mb.isWeights], ['tokenAdvantages', mb.tokenAdvantages], ['samplerLogp', mb.samplerLogp]] as const) {
    if (a && a.length !== n) throw new RangeError(`grpoLoss: ${name} must have B*T = ${n} entries`);
  }
  const sequence = opts.importanceSamplingLevel === 'sequence';
  const cispo = norm.lossType === 'cispo';
  // The original token-level PPO branch (kept verbatim so default runs are unchanged bit for bit).
  const plainPpo = !sequence && !cispo && opts.delta == null;
  const biasKl = opts.biasCorrectionKl === true;
  const w = rowWeights(mb, norm);
  const grad = new Float32Array(n);
  const entropyGrad = coef !== 0 ? new Float32Array(n) : null;
  let loss = 0;
  let tokens = 0;
  let policyTokens = 0;
  let klSum = 0;
  let klTokens = 0;
  let clipLowCount = 0;
  let clipHighCount = 0;
  let offPolicyRows = 0;
  const tokenA = mb.tokenAdvantages ?? null;
  for (let i = 0; i < B; i++) {
    // With per-token advantages, off-policy masking reads the sign of the row's mean advantage.
    const rowA = tokenA ? maskedRowMean(tokenA, mask, i, T) : mb.advantages[i];
    const beta = mb.rowBeta ? mb.rowBeta[i] : opts.beta;
    const rowKl = ref !== null && (!mb.rowBeta || beta > 0);
    const stale = opts.offPolicyMaskThreshold != null && rowA < 0 && -Math.log(sequenceRatio(logp, mb.samplerLogp ?? oldLogp, mask, i, T)) > opts.offPolicyMaskThreshold;
    if (stale) offPolicyRows++;
    const seqRatio = sequence ? sequenceRatio(logp, oldLogp, mask, i, T) : 1;
    // Σ over the row's tokens of d(weighted loss)/d s_i; s_i's gradient is spread over the row below.
    let dSeq = 0;
    let rowTokens = 0;
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      if (!mask[k]) continue;
      tokens++;
      rowTokens++;
      const ratio = sequence ? seqRatio : Math.exp(logp[k] - oldLogp[k]);
      const A = tokenA ? tokenA[k] : rowA;
      let L = 0;
      let dL = 0;
      const inPolicy = !stale && (mb.policyMask ? mb.policyMask[k] === 1 : true);
      if (inPolicy) {
        policyTokens++;
        const isw = mb.isWeights ? mb.isWeights[k] : 1;
        if (plainPpo) {
          const s = surrogate(logp[k], oldLogp[k], A, opts.epsilon, opts.epsilonHigh);
          L = s.loss * isw;
          dL = s.dlp * isw;
        } else {
          const p = policyTerm(logp[k], ratio, A, opts, cispo);
          L = p.loss * isw;
          dL = p.dlp * isw;
          if (sequence) dSeq += w[i] * p.dratio * isw;
          else dL += p.dratio * ratio * isw;
        }
        if (cispo) {
          if (ratio > opts.epsilonHigh) clipHighCount++;
        } else {
          if (ratio < 1 - opts.epsilon && A < 0) clipLowCount++;
          if (ratio > 1 + opts.epsilonHigh && A > 0) clipHighCount++;
        }
        if (entropyGrad) {
          L -= coef * mb.entropy![k];
          entropyGrad[k] = -coef * w[i];
        }
      }
      if (rowKl) {
        const d = ref[k] - logp[k];
        const kl = Math.exp(d) - d - 1;
        klSum += kl;
        klTokens++;
        // d/dlp [exp(ref − lp) − (ref − lp) − 1] = 1 − exp(ref − lp)
        const dkl = 1 - Math.exp(d);
        // beta 0: measured only (REINFORCE++ keeps the KL in the reward).
        if (beta > 0 && !biasKl) {
          L += beta * kl;
          dL += beta * dkl;
        } else if (beta > 0) {
          // ratio·k3, the ratio carrying its gradient too (token: ∂r/∂lp = r; sequence: via s_i).
          L += beta * ratio * kl;
          dL += beta * ratio * dkl + (sequence ? 0 : beta * ratio * kl);
          if (sequence) dSeq += w[i] * beta * kl;
        }
      }
      loss += w[i] * L;
      grad[k] = w[i] * dL;
    }
    if (sequence && dSeq !== 0) {
      // ∂s_i/∂lp_{i,t} = s_i · m_{i,t} / |o_i|
      const g = (dSeq * seqRatio) / Math.max(rowTokens, 1);
      for (let t = 0; t < T; t++) if (mask[i * T + t]) grad[i * T + t] += g;
    }
  }
  return { loss, grad, tokens, klSum, klTokens, clipLowCount, clipHighCount, entropyGrad, policyTokens, offPolicyRows };
}

/**
 * top_entropy_quantile (Wang et al., "Beyond the 80/20 rule"): 1 for the masked tokens whose
 * entropy is at least the (1 − ρ) quantile of the masked tokens' entropies (linear interpolation,
 * as torch.quantile), 0 elsewhere. ρ = 1 keeps every token.
 */
export function highEntropyMask(entropy: ArrayLike<number>, mask: Uint8Array, rho: number): Uint8Array {
  const vals: number[] = [];
  for (let k = 0; k < mask.length; k++) if (mask[k]) vals.push(entropy[k]);
  const out = new Uint8Array(mask.length);
  if (vals.length === 0) return out;
  vals.sort((a, b) => a - b);
  const pos = (1 - rho) * (vals.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, vals.length - 1);
  const threshold = vals[lo] + (vals[hi] - vals[lo]) * (pos - lo);
  for (let k = 0; k < mask.length; k++) if (mask[k] && entropy[k] >= threshold) out[k] = 1;
  return out;
}

/** TRL's vllm_importance_sampling_mode: truncate (cap) or mask (zero) token or sequence weights. */
export type ImportanceSamplingMode = 'token_truncate' | 'token_mask' | 'sequence_truncate' | 'sequence_mask';
export const IMPORTANCE_SAMPLING_MODES: readonly ImportanceSamplingMode[] = ['token_truncate', 'token_mask', 'sequence_truncate', 'sequence_mask'];

/**
 * Sampler/trainer mismatch weights (TIS/MIS, Yao et al. 2025), [B, T], on the policy term:
 * ρ = exp(ℓold − ℓsmp) per token, or exp(Σ_t m·(ℓold − ℓsmp)) for the whole row in the
 * sequence modes (a product, as TRL); truncate: min(ρ, cap); mask: ρ where ρ ≤ cap, else 0.
 * `clipped` counts the masked tokens whose weight was capped or zeroed.
 */
export function samplerWeights(oldLogp: ArrayLike<number>, smpLogp: ArrayLike<number>, mask: Uint8Array, B: number, T: number, mode: ImportanceSamplingMode, cap: number): { weights: Float32Array; clipped: number; sum: number } {
  const weights = new Float32Array(B * T);
  const sequence = mode.startsWith('sequence');
  const truncate = mode.endsWith('truncate');
  let clipped = 0;
  let sum = 0;
  for (let i = 0; i < B; i++) {
    let logSeq = 0;
    if (sequence) for (let t = 0; t < T; t++) if (mask[i * T + t]) logSeq += oldLogp[i * T + t] - smpLogp[i * T + t];
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      if (!mask[k]) continue;
      const rho = Math.exp(sequence ? logSeq : oldLogp[k] - smpLogp[k]);
      const over = rho > cap;
      const w = over ? (truncate ? cap : 0) : rho;
      if (over) clipped++;
      weights[k] = w;
      sum += w;
    }
  }
  return { weights, clipped, sum };
}
