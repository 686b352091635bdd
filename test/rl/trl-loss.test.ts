// The GRPO family's loss and its gradients against numbers from an independent PyTorch
// implementation of TRL GRPOTrainer._compute_loss (fixtures/trl-loss.json; its `made_by` field
// names the script and command). Each case: two groups of four completions of unequal length
// (group 0 scored alike, one declined row), ratios far outside the clip range on both sides,
// tool tokens out of the loss, one or two micro-batches; every loss type at token and sequence
// level with delta, k3 (bias-corrected or not), the entropy bonus, top_entropy_quantile,
// off-policy masking, each sampler-correction mode and each advantage estimator. The micro-batches
// are assembled as src/rl/update.ts does (splitRanges, runsEveryRow, bnpo's token count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { computeAdvantages, klShapedAdvantages, weightedReward } from '../../src/rl/advantages.js';
import { grpoLoss, highEntropyMask, samplerWeights, type Normaliser } from '../../src/rl/loss.js';
import { runsEveryRow, splitRanges } from '../../src/rl/update.js';

interface Case {
  cfg: Partial<GrpoConfig>;
  G: number;
  T: number;
  logp: number[]; old: number[]; ref: number[]; smp: number[]; entropy: number[]; mask: number[];
  columns: (number | null)[][];
  weights: number[];
  loss: number;
  grad: number[];
  advantages: number[];
  entropyGrad?: number[];
}

const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'trl-loss.json'), 'utf8')) as { cases: Case[] };

/** Rows `keep` of a [B, T] array. */
const pick = (a: ArrayLike<number>, T: number, keep: readonly number[]) => {
  const out = new Float32Array(keep.length * T);
  keep.forEach((r, j) => { for (let t = 0; t < T; t++) out[j * T + t] = a[r * T + t]; });
  return out;
};

function ahaLoss(c: Case) {
  const B = c.mask.length / c.T;
  const T = c.T;
  const cfg = validateConfig({ ...DEFAULT_CONFIG, task: 'arithmetic', prompts_per_step: B / c.G, num_generations: c.G, ...c.cfg } as GrpoConfig);
  const mask = Uint8Array.from(c.mask);
  const reward = Array.from({ length: B }, (_, i) => weightedReward(c.columns.map((col) => col[i]), c.weights));
  const total = Float64Array.from(reward, (r) => r ?? 0);
  const scored = Uint8Array.from(reward, (r) => (r === null ? 0 : 1));
  const tokens = Array.from({ length: B }, (_, i) => c.mask.slice(i * T, (i + 1) * T).reduce((n, m) => n + m, 0));
  const { advantages } = computeAdvantages({ total, scored }, {
    groupSize: c.G, scale: cfg.scale_rewards, eps: cfg.advantage_eps, estimator: cfg.advantage_estimator, tokens,
    aggregation: cfg.multi_objective_aggregation, columns: c.columns, weights: c.weights,
  });
  const klInReward = cfg.advantage_estimator === 'reinforce_plus_plus' && cfg.beta > 0;
  let totalTokens = 0;
  const micro = splitRanges(B, cfg.gradient_accumulation_steps).map(([a, b]) => {
    const rows = Array.from({ length: b - a }, (_, j) => a + j);
    const n = rows.reduce((s, r) => s + tokens[r], 0);
    totalTokens += n;
    return { keep: runsEveryRow(cfg, false) ? rows : rows.filter((r) => advantages[r] !== 0), bnpoTokens: n };
  });
  const tokenAdvantages = klInReward
    ? klShapedAdvantages(micro.map((m) => ({
        B: m.keep.length, T, mask: pick(mask, T, m.keep), oldLogp: pick(c.old, T, m.keep), refLogp: pick(c.ref, T, m.keep),
        rewards: m.keep.map((r) => total[r]), scored: m.keep.map((r) => scored[r]),
      })), cfg.beta, cfg.advantage_eps)
    : null;
  const norm: Normaliser = { lossType: cfg.loss_type, totalSequences: B, totalTokens, microBatches: Math.min(cfg.gradient_accumulation_steps, B), maxCompletionLength: cfg.max_completion_length };
  const opts = {
    epsilon: cfg.epsilon, epsilonHigh: cfg.epsilon_high, beta: klInReward ? 0 : cfg.beta, importanceSamplingLevel: cfg.importance_sampling_level, delta: cfg.delta,
    biasCorrectionKl: cfg.use_bias_correction_kl, offPolicyMaskThreshold: cfg.off_policy_mask_threshold, entropyCoef: cfg.entropy_coef,
  };
  let loss = 0;
  const grad = new Float64Array(B * T);
  const entropyGrad = new Float64Array(B * T);
  micro.forEach((m, j) => {
    if (m.keep.length === 0) return;
    const mMask = Uint8Array.from(pick(mask, T, m.keep));
    const old = pick(c.old, T, m.keep);
    const smp = pick(c.smp, T, m.keep);
    const h = pick(c.entropy, T, m.keep);
    const res = grpoLoss({
      B: m.keep.length, T, logp: pick(c.logp, T, m.keep), oldLogp: old, refLogp: cfg.beta > 0 ? pick(c.ref, T, m.keep) : null,
      advantages: m.keep.map((r) => advantages[r]), mask: mMask, bnpoTokens: m.bnpoTokens,
      policyMask: cfg.top_entropy_quantile < 1 ? highEntropyMask(h, mMask, cfg.top_entropy_quantile) : null, entropy: cfg.entropy_coef > 0 ? h : null,
      isWeights: cfg.vllm_importance_sampling_correction ? samplerWeights(old, smp, mMask, m.keep.length, T, cfg.vllm_importance_sampling_mode, cfg.vllm_importance_sampling_clip_max).weights : null,
      samplerLogp: cfg.vllm_importance_sampling_correction ? smp : null, tokenAdvantages: tokenAdvantages?.[j],
    }, opts, norm);
    loss += res.loss;
    m.keep.forEach((r, q) => {
      for (let t = 0; t < T; t++) {
        grad[r * T + t] = res.grad[q * T + t];
        entropyGrad[r * T + t] = res.entropyGrad?.[q * T + t] ?? 0;
      }
    });
  });
  return { loss, grad, entropyGrad, advantages };
}

/** |a − b| within 1e-6 of the largest entry (the loss: of the gradient's scale, as it may cancel to ~0). */
function assertClose(got: ArrayLike<number>, want: readonly number[], label: string): void {
  const scale = Math.max(1e-9, ...want.map(Math.abs));
  for (let k = 0; k < want.length; k++) assert.ok(Math.abs(got[k] - want[k]) <= 1e-6 * scale, `${label}[${k}]: aha ${got[k]}, TRL ${want[k]}`);
}

test('every loss type, level and option gives TRL\'s loss and gradients (PyTorch fixture)', () => {
  assert.ok(cases.length >= 20);
  for (const [i, c] of cases.entries()) {
    const label = `case ${i} ${JSON.stringify(c.cfg)}`;
    const r = ahaLoss(c);
    assertClose(r.advantages, c.advantages, `${label} advantages`);
    assertClose(r.grad, c.grad, `${label} d loss/d logp`);
    assertClose(r.entropyGrad, c.entropyGrad ?? new Array<number>(r.grad.length).fill(0), `${label} d loss/d entropy`);
    const gradScale = Math.max(...c.grad.map(Math.abs));
    assert.ok(Math.abs(r.loss - c.loss) <= 1e-6 * Math.max(Math.abs(c.loss), gradScale), `${label} loss: aha ${r.loss}, TRL ${c.loss}`);
  }
});
