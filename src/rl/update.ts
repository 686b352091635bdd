// The optimisation half of a GRPO step: split the kept completions into micro-batches, compute
// the reference and old-policy log-probs once without the tape, then run num_iterations passes,
// each one optimiser update (gradient accumulation over the micro-batches, global-norm clipping,
// AdamW at the scheduled learning rate). The loss gradient w.r.t. the log-probs comes from
// loss.ts and enters the autograd tape through `logprobs.backward(grad)`. Unless a term needs every
// row (`runsEveryRow`: KL, entropy bonus, top_entropy_quantile), rows with zero advantage are
// counted but not run (`trainedPart`).
import { add, clipGradNorm, entropy, gatherLogProbs, logSoftmax, mul, noGrad, scale, softmax, sum, tensor, type Tensor } from '../core/index.js';
import type { Optimizer } from '../model/optimizer.js';
import type { CausalLM } from '../model/causal-lm.js';
import type { ResolvedGrpoConfig } from './config.js';
import { zeroGradients } from '../model/training-run.js';
import { grpoLoss, highEntropyMask, samplerWeights, type Normaliser } from './loss.js';
import { klShapedAdvantages, type CombinedRewards } from './advantages.js';
import { appliedEntropyCoef, nextEntropyControl, type EntropyControlState } from './entropy-control.js';
import type { TrainingSums } from './metrics.js';
import { batchMask, countTokens, packRows, packSamplerLogprobs, type PackedBatch, type RolloutRow } from './packing.js';
import { AhaError } from '../util/errors.js';

/** Splits `n` rows into `parts` contiguous, nearly equal ranges. */
export function splitRanges(n: number, parts: number): [number, number][] {
  const m = Math.max(1, Math.min(parts, n));
  const out: [number, number][] = [];
  for (let k = 0; k < m; k++) out.push([Math.floor((k * n) / m), Math.floor(((k + 1) * n) / m)]);
  return out;
}

/**
 * Logits (and their gradient, and the temperature-scaled copy) of one forward pass are kept under
 * this many bytes: a micro-batch whose [rows, positions, vocab] would exceed it runs as several
 * chunks. This matters for real vocabularies (151k ids × 1k positions is 600 MB per row).
 */
export const LOGITS_BUDGET_BYTES = 1 << 30;

/** Splits rows [a, b) into consecutive chunks whose padded logits fit the budget (≥ 1 row each). */
export function memoryChunks(rows: readonly RolloutRow[], a: number, b: number, bytesPerPosition: number, budget: number): [number, number][] {
  const out: [number, number][] = [];
  let start = a;
  let longest = 0;
  for (let i = a; i < b; i++) {
    const len = rows[i].promptIds.length + rows[i].completionIds.length - 1;
    const wider = Math.max(longest, len);
    if (i > start && (i - start + 1) * wider * bytesPerPosition > budget) {
      out.push([start, i]);
      start = i;
      longest = len;
    } else longest = wider;
  }
  out.push([start, b]);
  return out;
}

/** Log-probs of each batch position's target under `model` at `temperature` (TRL divides the logits). */
function targetLogProbs(model: CausalLM, batch: PackedBatch, temperature: number): { logits: Tensor; logp: Tensor } {
  const logits0 = model.forward(batch.ids, batch.B, batch.S);
  const logits = temperature === 1 ? logits0 : scale(logits0, 1 / temperature);
  return { logits, logp: gatherLogProbs(logits, batch.targets) };
}

/** The same log-probs without the tape (reference model, old policy). */
function frozenLogProbs(model: CausalLM, batch: PackedBatch, temperature: number): Float32Array {
  return noGrad(() => targetLogProbs(model, batch, temperature).logp.data.slice());
}

/** Sum of the per-position entropies over the masked positions. */
function maskedEntropySum(h: Float32Array, mask: Uint8Array): number {
  let s = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) s += h[k];
  return s;
}

/**
 * Backpropagates d loss/d logp (`grad`) and, for the entropy bonus, d loss/d H per position
 * (`entropyGrad`) through H = −Σ_v p·log p, built from differentiable ops (the core's entropy
 * kernel has no gradient) in one backward pass.
 */
export function backwardWithEntropy(logits: Tensor, logp: Tensor, grad: Float32Array, entropyGrad: Float32Array): void {
  const V = logits.shape[logits.shape.length - 1];
  const plogp = mul(softmax(logits), logSoftmax(logits));
  // d loss/d (p·log p)_{k,v} = d loss/d H_k · (−1)
  const w = new Float32Array(plogp.size);
  for (let k = 0; k < entropyGrad.length; k++) if (entropyGrad[k] !== 0) w.fill(-entropyGrad[k], k * V, (k + 1) * V);
  const objective = add(sum(mul(logp, tensor(grad, logp.shape))), sum(mul(plogp, tensor(w, plogp.shape))));
  objective.backward();
}

/** Rows packed for one forward pass, with their completion mask and advantages. */
interface PackedChunk {
  batch: PackedBatch;
  mask: Uint8Array;
  advantages: Float64Array;
  /** The sampler's log-probs in the batch layout (null when a row came without them, or when nothing uses them). */
  samplerLogp: Float32Array | null;
  /** Per-row KL coefficients (SCoRe), or null for the run's beta on every row. */
  rowBeta: Float64Array | null;
}

/** How rows are packed: the pad id, DAPO's truncation mask, and whether the sampler's log-probs are needed (TIS). */
interface PackOptions {
  padId: number;
  maskTruncated: boolean;
  samplerLogp: boolean;
}

function packChunk(rows: readonly RolloutRow[], advantages: Float64Array, o: PackOptions, rowBeta: Float64Array | null = null): PackedChunk {
  const batch = packRows(rows, o.padId);
  return { batch, mask: batchMask(batch, o.maskTruncated), advantages, samplerLogp: o.samplerLogp ? packSamplerLogprobs(rows, batch) : null, rowBeta };
}

/**
 * Whether every row of a micro-batch needs a forward pass, zero-advantage rows included: the KL
 * term and the entropy bonus pull on them, and top_entropy_quantile takes its threshold over all
 * of the micro-batch's tokens (TRL), so leaving rows out would move the threshold and change which
 * tokens of the other rows are trained. Per-row KL coefficients (SCoRe) keep their own rows.
 */
export function runsEveryRow(cfg: Pick<ResolvedGrpoConfig, 'beta' | 'entropy_coef' | 'use_adaptive_entropy' | 'top_entropy_quantile'>, perRowBeta: boolean): boolean {
  return (cfg.beta > 0 && !perRowBeta) || cfg.entropy_coef > 0 || cfg.use_adaptive_entropy || cfg.top_entropy_quantile < 1;
}

/**
 * The part of a packed chunk that needs a forward and backward pass. Unless `runsEveryRow`, a row
 * whose advantage is 0 (its whole group scored alike) has zero loss and zero gradient whatever its
 * ratio, so it is left out (the rest repacked); the normalisers still count it, so the update is
 * unchanged. `runAll` keeps every row. Null when no row of the chunk needs a pass.
 */
function trainedPart(chunk: PackedChunk, rows: readonly RolloutRow[], runAll: boolean, o: PackOptions): PackedChunk | null {
  if (runAll) return chunk;
  const keep = rows.map((_, i) => i).filter((i) => chunk.advantages[i] !== 0 || (chunk.rowBeta !== null && chunk.rowBeta[i] > 0));
  if (keep.length === rows.length) return chunk;
  if (keep.length === 0) return null;
  const rowBeta = chunk.rowBeta ? Float64Array.from(keep, (i) => chunk.rowBeta![i]) : null;
  return packChunk(keep.map((i) => rows[i]), Float64Array.from(keep, (i) => chunk.advantages[i]), o, rowBeta);
}

/**
 * Truncated importance sampling against the sampler (vllm_importance_sampling_correction): the
 * weights exp(ℓold − ℓsmp), capped or masked; null when the option is off.
 */
function tisWeightsFor(cfg: ResolvedGrpoConfig): (m: PackedChunk, oldLogp: Float32Array, sums: TrainingSums) => Float32Array | null {
  if (!cfg.vllm_importance_sampling_correction) return () => null;
  return (m, oldLogp, sums) => {
    if (!m.samplerLogp) throw new AhaError('vllm_importance_sampling_correction needs the sampler\'s log-prob of every completion token, and the sampler returned none (SampledCompletion.logprobs)');
    const w = samplerWeights(oldLogp, m.samplerLogp, m.mask, m.batch.B, m.batch.S, cfg.vllm_importance_sampling_mode, cfg.vllm_importance_sampling_clip_max);
    sums.isWeightSum += w.sum;
    sums.isClipped += w.clipped;
    return w.weights;
  };
}

export interface UpdateInput {
  config: ResolvedGrpoConfig;
  model: CausalLM;
  reference: CausalLM | null;
  optimizer: Optimizer;
  params: Tensor[];
  padId: number;
  rows: readonly RolloutRow[];
  advantages: Float64Array;
  /** Per-row KL coefficients in place of config.beta (SCoRe); absent = config.beta for every row. */
  rowBeta?: Float64Array;
  /** The learning rate of update number `u` (0-based, over the whole run). */
  lrAt: (u: number) => number;
  /** Updates done before this step. */
  updatesBefore: number;
  /** Accumulates the step's metric sums. */
  sums: TrainingSums;
  /** Bound on the logits a forward pass holds (default LOGITS_BUDGET_BYTES). */
  logitsBudgetBytes?: number;
  /** Each row's reward: needed by REINFORCE++ with the KL in the reward (reinforce_plus_plus, beta > 0). */
  rewards?: CombinedRewards;
  /** The adaptive entropy controller (use_adaptive_entropy), advanced after every optimiser update. */
  entropyControl?: { state: EntropyControlState };
}

export interface UpdateTimes {
  /** Seconds in the no-tape passes (reference model, old policy). */
  reference: number;
  training: number;
  /** Non-padding tokens through forward+backward, over every pass. */
  trainTokens: number;
}

export function policyUpdate(u: UpdateInput): UpdateTimes {
  const cfg = u.config;
  const t0 = performance.now();
  // Logits copies per position: the logits and their gradient (+ the scaled copy; + softmax,
  // log-softmax, their product and its weights for the entropy bonus).
  const entropyBonus = cfg.entropy_coef > 0 || cfg.use_adaptive_entropy;
  const bytesPerPosition = u.model.config.vocab_size * 4 * ((cfg.temperature === 1 ? 2 : 3) + (entropyBonus ? 4 : 0));
  // REINFORCE++ with beta > 0: the KL is a per-token penalty in the return, not a loss term.
  const klInReward = cfg.advantage_estimator === 'reinforce_plus_plus' && cfg.beta > 0;
  if (klInReward && !u.rewards) throw new AhaError('policyUpdate: reinforce_plus_plus with beta > 0 needs the rows\' rewards');
  if (cfg.use_adaptive_entropy && !u.entropyControl) throw new AhaError('policyUpdate: use_adaptive_entropy needs the entropy controller state');
  let totalTokens = 0;
  // The sampler's log-probs are kept for the correction, and to log the sampler/trainer gap of BF16 rollouts.
  const gapLogged = cfg.sampling_precision !== 'f32' && cfg.temperature === 1;
  const pack: PackOptions = { padId: u.padId, maskTruncated: cfg.mask_truncated_completions, samplerLogp: cfg.vllm_importance_sampling_correction || gapLogged };
  const micro = splitRanges(u.rows.length, cfg.gradient_accumulation_steps).flatMap(([a, b]) => {
    const chunks = memoryChunks(u.rows, a, b, bytesPerPosition, u.logitsBudgetBytes ?? LOGITS_BUDGET_BYTES).map(([c, d]) => {
      const rows = u.rows.slice(c, d);
      const chunk = packChunk(rows, u.advantages.subarray(c, d), pack, u.rowBeta ? u.rowBeta.subarray(c, d) : null);
      // Per-row KL coefficients (SCoRe) keep only the rows whose own coefficient is positive.
      return { tokens: countTokens(chunk.mask), train: trainedPart(chunk, rows, runsEveryRow(cfg, chunk.rowBeta !== null), pack), first: c };
    });
    // bnpo normalises by the configured micro-batch's tokens, however it was chunked or skipped.
    const tokens = chunks.reduce((n, ch) => n + ch.tokens, 0);
    totalTokens += tokens;
    return chunks.flatMap(({ train, first }) =>
      train
        ? [{
            ...train,
            first,
            bnpoTokens: tokens,
            // With one pass π_old is π detached (taken from the training forward itself, below),
            // unless the returns need it before the first pass (KL in the reward).
            oldLogp: cfg.num_iterations > 1 || klInReward ? frozenLogProbs(u.model, train.batch, cfg.temperature) : null,
            refLogp: (train.rowBeta ? train.rowBeta.some((b) => b > 0) : cfg.beta > 0) ? frozenLogProbs(u.reference!, train.batch, cfg.temperature) : null,
          }]
        : [],
    );
  });
  // Every row is run when beta > 0, so a chunk's rows are rows[first, first + B).
  const tokenAdvantages = klInReward
    ? klShapedAdvantages(micro.map((m) => ({
        B: m.batch.B, T: m.batch.S, mask: m.mask, oldLogp: m.oldLogp!, refLogp: m.refLogp!,
        rewards: u.rewards!.total.subarray(m.first, m.first + m.batch.B), scored: u.rewards!.scored.subarray(m.first, m.first + m.batch.B),
      })), cfg.beta, cfg.advantage_eps)
    : null;
  const reference = (performance.now() - t0) / 1000;
  const norm: Normaliser = {
    lossType: cfg.loss_type,
    totalSequences: u.rows.length,
    totalTokens,
    microBatches: Math.min(cfg.gradient_accumulation_steps, u.rows.length),
    maxCompletionLength: cfg.max_completion_length,
  };
  const surrogate = {
    epsilon: cfg.epsilon, epsilonHigh: cfg.epsilon_high, beta: klInReward ? 0 : cfg.beta, importanceSamplingLevel: cfg.importance_sampling_level,
    delta: cfg.delta, biasCorrectionKl: cfg.use_bias_correction_kl, offPolicyMaskThreshold: cfg.off_policy_mask_threshold,
  };
  const tisWeights = tisWeightsFor(cfg);
  const t1 = performance.now();
  let trainTokens = 0;
  for (let pass = 0; pass < cfg.num_iterations; pass++) {
    // Zero (never missing) gradients: a pass with nothing to run still steps AdamW on its momentum,
    // the same in a resumed run as in an uninterrupted one.
    zeroGradients(u.params);
    let loss = 0;
    // The entropy coefficient of this update: fixed, or the adaptive controller's (gated) value.
    const entropyCoef = cfg.use_adaptive_entropy ? appliedEntropyCoef(u.entropyControl!.state, adaptiveEntropy(cfg)) : cfg.entropy_coef;
    u.sums.entropyCoefApplied += entropyCoef;
    let bonusEntropy = 0;
    let bonusTokens = 0;
    for (const [j, m] of micro.entries()) {
      const { logits, logp } = targetLogProbs(u.model, m.batch, cfg.temperature);
      const oldLogp = m.oldLogp ?? logp.data.slice();
      // π_old is the same in every pass: the gap is measured once per step.
      if (pass === 0 && m.samplerLogp && cfg.temperature === 1) u.sums.addLogpGap(oldLogp, m.samplerLogp, m.mask);
      const h = noGrad(() => entropy(logits)).data;
      // top_entropy_quantile: the quantile is over this forward pass's tokens, which are the whole
      // micro-batch's as TRL's (runsEveryRow) unless memory chunking split it.
      const policyMask = cfg.top_entropy_quantile < 1 ? highEntropyMask(h, m.mask, cfg.top_entropy_quantile) : null;
      const res = grpoLoss(
        {
          B: m.batch.B, T: m.batch.S, logp: logp.data, oldLogp, refLogp: m.refLogp, advantages: m.advantages, mask: m.mask, bnpoTokens: m.bnpoTokens,
          policyMask, entropy: entropyCoef > 0 ? h : null, isWeights: tisWeights(m, oldLogp, u.sums), tokenAdvantages: tokenAdvantages?.[j], rowBeta: m.rowBeta,
          samplerLogp: m.samplerLogp,
        },
        { ...surrogate, entropyCoef },
        norm,
      );
      u.sums.entropySum += maskedEntropySum(h, m.mask);
      // The controller measures the entropy of the tokens the bonus acts on (the policy mask's, a subset of the mask).
      if (cfg.use_adaptive_entropy) {
        const bonusMask = policyMask ?? m.mask;
        bonusEntropy += maskedEntropySum(h, bonusMask);
        bonusTokens += countTokens(bonusMask);
      }
      if (res.entropyGrad) backwardWithEntropy(logits, logp, res.grad, res.entropyGrad);
      else logp.backward(res.grad);
      u.sums.policyTokens += res.policyTokens;
      u.sums.offPolicyRows += res.offPolicyRows;
      u.sums.rows += m.batch.B;
      loss += res.loss;
      u.sums.tokens += res.tokens;
      u.sums.klSum += res.klSum;
      u.sums.klTokens += res.klTokens;
      u.sums.clipLow += res.clipLowCount;
      u.sums.clipHigh += res.clipHighCount;
      trainTokens += m.batch.tokens;
    }
    if (cfg.use_adaptive_entropy && bonusTokens > 0) u.entropyControl!.state = nextEntropyControl(u.entropyControl!.state, bonusEntropy / bonusTokens, adaptiveEntropy(cfg));
    u.sums.gradNorm += clipGradNorm(u.params, cfg.max_grad_norm > 0 ? cfg.max_grad_norm : Infinity);
    u.optimizer.step(u.lrAt(u.updatesBefore + pass));
    u.sums.updates++;
    u.sums.loss += loss;
  }
  return { reference, training: (performance.now() - t1) / 1000, trainTokens };
}

/** The adaptive entropy controller's settings from the run's options. */
function adaptiveEntropy(cfg: ResolvedGrpoConfig): { target: number; delta: number; min: number; max: number } {
  return { target: cfg.entropy_target, delta: cfg.entropy_coef_delta, min: cfg.entropy_coef_min, max: cfg.entropy_coef_max };
}

/** The synced reference's weights in a checkpoint folder (sync_ref_model), so a resumed run continues exactly. */
export const SYNCED_REFERENCE_FILE = 'reference.safetensors';

/** The reference's parameters by name, for a checkpoint's `tensorFiles`. */
export function referenceTensors(reference: CausalLM): Record<string, Float32Array> {
  return Object.fromEntries([...reference.parameters()].map(([name, t]) => [name, t.data]));
}

/** Puts a checkpoint's synced reference weights (`tensors`, read from `from`) into `reference`. */
export function restoreReference(reference: CausalLM, tensors: Map<string, Float32Array> | null, from: string): void {
  if (!tensors) throw new AhaError(`--resume with sync_ref_model: ${from} holds no ${SYNCED_REFERENCE_FILE} (the synced reference model), so the run cannot continue exactly`);
  for (const [name, ref] of reference.parameters()) {
    const saved = tensors.get(name);
    if (!saved || saved.length !== ref.size) throw new AhaError(`--resume with sync_ref_model: ${from}/${SYNCED_REFERENCE_FILE} has no parameter ${name} of ${ref.size} values`);
    ref.data.set(saved);
  }
}

/**
 * Reference-model sync (TR-DPO, TRL sync_ref_model): π_ref ← α·π + (1 − α)·π_ref, parameter by
 * parameter. The two models must have the same parameters (the reference is the starting model).
 */
export function mixReference(reference: CausalLM, model: CausalLM, alpha: number): void {
  const policy = model.parameters();
  for (const [name, ref] of reference.parameters()) {
    const p = policy.get(name);
    if (!p || p.size !== ref.size) throw new AhaError(`reference sync: the policy has no parameter ${name} of ${ref.size} values`);
    const r = ref.data;
    const d = p.data;
    for (let i = 0; i < r.length; i++) r[i] = alpha * d[i] + (1 - alpha) * r[i];
  }
}
