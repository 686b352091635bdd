// The GRPO family beyond the four TRL loss types (docs/grpo.md "The family"): GSPO's sequence
// ratio, CISPO, two-sided clipping (delta), the bias-corrected KL, the entropy bonus and the
// high-entropy token mask, checked on hand-computed batches and against finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpoLoss, highEntropyMask, k3, samplerWeights, sequenceRatio, type LossType, type MicroBatch, type Normaliser, type SurrogateOptions } from '../../src/rl/loss.js';
import { completionMask, packRows, packSamplerLogprobs } from '../../src/rl/packing.js';
import { gatherLogProbs, parameter } from '../../src/core/index.js';
import { backwardWithEntropy } from '../../src/rl/update.js';
import { Rng } from '../../src/util/rng.js';
import { assertGradientMatchesFiniteDifferences } from './finite-differences.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const ppo: SurrogateOptions = { epsilon: 0.2, epsilonHigh: 0.28, beta: 0 };
const norm = (lossType: LossType, extra: Partial<Normaliser> = {}): Normaliser => ({
  lossType, totalSequences: 2, totalTokens: 3, microBatches: 1, maxCompletionLength: 2, ...extra,
});

// Row 0: two tokens with log-ratios 0.1 and 0.3 (s = e^0.2); row 1: one token, log-ratio −0.5.
function gspoBatch(): MicroBatch {
  return {
    B: 2, T: 2, logp: Float32Array.from([0.1 - 1, 0.3 - 2, -0.5 - 1, 0]), oldLogp: Float32Array.from([-1, -2, -1, 0]),
    advantages: [1, -1], mask: Uint8Array.from([1, 1, 1, 0]),
  };
}

test('GSPO: s_i is the geometric mean of the token ratios, clipped per sequence', () => {
  const mb = gspoBatch();
  close(sequenceRatio(mb.logp, mb.oldLogp, mb.mask, 0, 2), Math.exp(0.2));
  close(sequenceRatio(mb.logp, mb.oldLogp, mb.mask, 1, 2), Math.exp(-0.5));
  const r = grpoLoss(mb, { ...ppo, importanceSamplingLevel: 'sequence' }, norm('grpo'));
  const s0 = Math.exp(0.2);
  // Row 0 (A = 1): s0 = 1.221 < 1.28, unclipped: −s0. Row 1 (A = −1): s1 = 0.607 < 0.8, clipped: +0.8.
  close(r.loss, (-s0 + 0.8) / 2);
  // d/dlp_t of −(1/2)·s0 = −(1/2)·s0/|o_0| for both tokens of row 0; the clipped row gets nothing.
  [-s0 / 4, -s0 / 4, 0, 0].forEach((v, k) => close(r.grad[k], v));
  assert.equal(r.clipLowCount, 1); // the one token of row 1
  // Token level on the same batch: row 0's second token (r = e^0.3 = 1.35) is clipped instead.
  const tok = grpoLoss(mb, ppo, norm('grpo'));
  close(tok.loss, (-(Math.exp(0.1) + 1.28) / 2 + 0.8) / 2);
});

test('GSPO on-policy (old = current) has the token-level gradient', () => {
  const logp = Float32Array.from([-1, -2, -0.5, -0.3, -0.7, 0]);
  const mb: MicroBatch = { B: 2, T: 3, logp, oldLogp: logp.slice(), advantages: [0.5, -1.5], mask: Uint8Array.from([1, 1, 1, 1, 1, 0]) };
  for (const lossType of ['grpo', 'dapo'] as const) {
    const a = grpoLoss(mb, ppo, norm(lossType, { totalTokens: 5 }));
    const b = grpoLoss(mb, { ...ppo, importanceSamplingLevel: 'sequence' }, norm(lossType, { totalTokens: 5 }));
    close(a.loss, b.loss);
    a.grad.forEach((g, k) => close(b.grad[k], g));
  }
});

test('CISPO: loss −sg[min(r, ε_high)]·A·lp over the batch tokens, gradient −min(r, ε_high)·A', () => {
  const mb: MicroBatch = { B: 1, T: 2, logp: Float32Array.from([Math.log(6), Math.log(2)]), oldLogp: new Float32Array(2), advantages: [1], mask: Uint8Array.from([1, 1]) };
  const o = { ...ppo, epsilonHigh: 5 };
  const r = grpoLoss(mb, o, norm('cispo', { totalTokens: 2 }));
  close(r.loss, (-5 * Math.log(6) - 2 * Math.log(2)) / 2);
  close(r.grad[0], -2.5); // the weight capped at 5, still a gradient (PPO would give 0 here)
  close(r.grad[1], -1);
  assert.equal(r.clipHighCount, 1);
  // Negative advantage: no lower bound on the weight.
  const neg = grpoLoss({ ...mb, logp: Float32Array.from([Math.log(0.1), 0]), advantages: [-2] }, o, norm('cispo', { totalTokens: 2 }));
  close(neg.grad[0], (0.1 * 2) / 2);
  close(neg.grad[1], (1 * 2) / 2);
});

test('delta caps the ratio for negative advantages (two-sided clipping)', () => {
  const one = (ratio: number, delta: number | null) =>
    grpoLoss({ B: 1, T: 1, logp: Float32Array.from([Math.log(ratio)]), oldLogp: new Float32Array(1), advantages: [-1], mask: Uint8Array.from([1]) }, { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, delta }, norm('grpo', { totalSequences: 1 }));
  close(one(5, null).loss, 5); // PPO: −min(−5, −1.2) = 5, unbounded in r
  close(one(5, null).grad[0], 5);
  close(one(5, 4).loss, 4); // capped at δ, and no gradient above it
  assert.equal(one(5, 4).grad[0], 0);
  close(one(3, 4).loss, 3); // below δ: plain PPO
  close(one(3, 4).grad[0], 3);
});

test('bias-corrected KL: r·k3, its gradient r·k3 + r·(1 − e^(ref − lp))', () => {
  const lp = -1 + Math.log(1.5);
  const mb: MicroBatch = { B: 1, T: 1, logp: Float32Array.from([lp]), oldLogp: Float32Array.from([-1]), refLogp: Float32Array.from([lp - 0.5]), advantages: [0], mask: Uint8Array.from([1]) };
  const r = grpoLoss(mb, { ...ppo, beta: 0.04, biasCorrectionKl: true }, norm('grpo', { totalSequences: 1 }));
  const kl = k3(lp, lp - 0.5);
  close(r.loss, 0.04 * 1.5 * kl, 1e-7);
  close(r.grad[0], 0.04 * (1.5 * kl + 1.5 * (1 - Math.exp(-0.5))), 1e-7);
  close(r.klSum, kl, 1e-7); // the logged KL stays the plain k3
});

test('entropy bonus: loss − c·H aggregated like the loss, d loss/d H = −c·w', () => {
  const mb = { ...gspoBatch(), oldLogp: gspoBatch().logp.slice(), entropy: Float32Array.from([0.5, 1.5, 2, 9]) };
  const base = grpoLoss(mb, ppo, norm('grpo'));
  const r = grpoLoss(mb, { ...ppo, entropyCoef: 0.1 }, norm('grpo'));
  // grpo: row 0's mean entropy 1, row 1's 2; the batch mean of those is 1.5.
  close(r.loss, base.loss - 0.1 * 1.5);
  [-0.1 / 4, -0.1 / 4, -0.1 / 2, 0].forEach((v, k) => close(r.entropyGrad![k], v));
  base.grad.forEach((g, k) => close(r.grad[k], g)); // the log-prob gradient is unchanged
  assert.throws(() => grpoLoss({ ...mb, entropy: null }, { ...ppo, entropyCoef: 0.1 }, norm('grpo')), /entropyCoef needs/);
});

test('top entropy quantile keeps the tokens at or above the (1 − ρ) quantile; the policy term only covers them', () => {
  const mask = Uint8Array.from([1, 1, 1, 1, 1, 0]);
  const h = [0.1, 0.5, 0.9, 0.3, 0.7, 5];
  // sorted 0.1 0.3 0.5 0.7 0.9; position 0.6·4 = 2.4 → threshold 0.58
  assert.deepEqual(Array.from(highEntropyMask(h, mask, 0.4)), [0, 0, 1, 0, 1, 0]);
  assert.deepEqual(Array.from(highEntropyMask(h, mask, 1)), [1, 1, 1, 1, 1, 0]);
  const logp = Float32Array.from([-1, -2, -0.5, -0.3, -0.7, 0]);
  const mb: MicroBatch = { B: 2, T: 3, logp, oldLogp: logp.slice(), advantages: [1, -1], mask, policyMask: highEntropyMask(h, mask, 0.4) };
  const r = grpoLoss(mb, ppo, norm('dapo', { totalTokens: 5 }));
  // dapo: −A per kept token over all 5 tokens (the normaliser still counts the masked-out ones)
  close(r.loss, (-1 + 1) / 5);
  [0, 0, -0.2, 0, 0.2, 0].forEach((v, k) => close(r.grad[k], v));
  assert.equal(r.policyTokens, 2);
  assert.equal(r.tokens, 5);
});

test('the entropy gradient reaches the logits: dH/dz = −p·(log p + H)', () => {
  const z = [0.3, -1, 2, 0.5];
  const logits = parameter(Float32Array.from(z), [1, 4]);
  const logp = gatherLogProbs(logits, Int32Array.from([2]));
  backwardWithEntropy(logits, logp, new Float32Array(1), Float32Array.from([1]));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const Z = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / Z);
  const H = -p.reduce((s, pi) => s + pi * Math.log(pi), 0);
  p.forEach((pi, v) => close(logits.grad![v], -pi * (Math.log(pi) + H), 1e-5));
});

test('finite differences match the analytic gradient: GSPO, delta, bias-corrected KL, entropy mask', () => {
  const rng = new Rng(11);
  const B = 3;
  const T = 4;
  const n = B * T;
  const oldLogp = new Float32Array(n);
  const logp = new Float32Array(n);
  const refLogp = new Float32Array(n);
  const ratios = [0.5, 0.9, 1.05, 1.1, 1.5, 3, 5];
  for (let k = 0; k < n; k++) {
    oldLogp[k] = -0.3 - 2 * rng.next();
    logp[k] = oldLogp[k] + Math.log(rng.pick(ratios));
    refLogp[k] = logp[k] + (rng.next() - 0.5);
  }
  const mask = completionMask([4, 2, 3], [false, false, false], T, false);
  const policyMask = Uint8Array.from(mask, (m, k) => (m && k % 3 !== 1 ? 1 : 0));
  const base: MicroBatch = { B, T, logp, oldLogp, refLogp, advantages: [0.7, -1.3, 0.4], mask };
  const cases: [string, SurrogateOptions, LossType, Partial<MicroBatch>][] = [
    ['gspo grpo', { ...ppo, importanceSamplingLevel: 'sequence', epsilon: 0.5, epsilonHigh: 0.6, beta: 0.1 }, 'grpo', {}],
    ['gspo dapo + bias kl', { ...ppo, importanceSamplingLevel: 'sequence', epsilon: 0.5, epsilonHigh: 0.6, beta: 0.1, biasCorrectionKl: true }, 'dapo', {}],
    ['delta', { ...ppo, delta: 4, beta: 0.1 }, 'bnpo', {}],
    ['token bias kl', { ...ppo, beta: 0.2, biasCorrectionKl: true }, 'grpo', {}],
    ['entropy mask', { ...ppo, beta: 0.1 }, 'dr_grpo', { policyMask }],
    ['gspo entropy mask', { ...ppo, importanceSamplingLevel: 'sequence', epsilon: 0.5, epsilonHigh: 0.6 }, 'grpo', { policyMask }],
  ];
  for (const [label, o, lossType, extra] of cases) {
    assertGradientMatchesFiniteDifferences({ ...base, ...extra }, o, { lossType, totalSequences: 6, totalTokens: 20, microBatches: 2, maxCompletionLength: 4 }, label);
  }
});

test('sampler-mismatch weights: token and sequence, truncated or masked at the cap', () => {
  // Row 0: ℓold − ℓsmp = [ln 2, ln 2] (sequence product 4); row 1: [ln 0.5] and padding.
  const old = Float32Array.from([Math.log(2), Math.log(2), Math.log(0.5), 0]);
  const smp = new Float32Array(4);
  const mask = Uint8Array.from([1, 1, 1, 0]);
  const w = (mode: Parameters<typeof samplerWeights>[5]) => Array.from(samplerWeights(old, smp, mask, 2, 2, mode, 3).weights);
  w('token_truncate').forEach((v, k) => close(v, [2, 2, 0.5, 0][k]));
  w('token_mask').forEach((v, k) => close(v, [2, 2, 0.5, 0][k]));
  w('sequence_truncate').forEach((v, k) => close(v, [3, 3, 0.5, 0][k]));
  w('sequence_mask').forEach((v, k) => close(v, [0, 0, 0.5, 0][k]));
  assert.equal(samplerWeights(old, smp, mask, 2, 2, 'sequence_mask', 3).clipped, 2);
  // The weights multiply the policy term only: A = 1, on-policy, dapo over 3 tokens.
  const mb: MicroBatch = { B: 2, T: 2, logp: old, oldLogp: old.slice(), advantages: [1, 1], mask, isWeights: Float32Array.from([3, 3, 0.5, 0]) };
  const r = grpoLoss(mb, ppo, norm('dapo'));
  close(r.loss, -(3 + 3 + 0.5) / 3);
  [-1, -1, -0.5 / 3, 0].forEach((v, k) => close(r.grad[k], v));
});

test('packSamplerLogprobs puts each completion token at its prediction position', () => {
  const rows = [
    { promptIds: Int32Array.from([5, 6]), completionIds: Int32Array.from([7, 8]), truncated: false, samplerLogprobs: Float32Array.from([-1, -2]) },
    { promptIds: Int32Array.from([5]), completionIds: Int32Array.from([9]), truncated: false, samplerLogprobs: Float32Array.from([-3]) },
  ];
  const batch = packRows(rows, 0);
  assert.deepEqual(Array.from(packSamplerLogprobs(rows, batch)!), [0, -1, -2, -3, 0, 0]);
  assert.equal(packSamplerLogprobs([{ ...rows[0], samplerLogprobs: undefined }], packRows([rows[0]], 0)), null);
});

test('off-policy masking drops negative-advantage rows that drifted more than the threshold from π_old', () => {
  // Both rows: mean(old − lp) = 0.7. Row 0 has A = −1 (masked at 0.5), row 1 A = +1 (kept).
  const old = Float32Array.from([0, 0, 0, 0]);
  const lp = Float32Array.from([-0.6, -0.8, -0.6, -0.8]);
  const mb: MicroBatch = { B: 2, T: 2, logp: lp, oldLogp: old, advantages: [-1, 1], mask: Uint8Array.from([1, 1, 1, 1]) };
  const o = { epsilon: 0.5, epsilonHigh: 0.5, beta: 0, offPolicyMaskThreshold: 0.5 };
  const r = grpoLoss(mb, o, norm('dapo', { totalTokens: 4 }));
  assert.equal(r.offPolicyRows, 1);
  assert.equal(r.policyTokens, 2);
  close(r.grad[0], 0);
  close(r.grad[1], 0);
  // Row 1 (A = 1, ratios e^−0.6 and e^−0.8, unclipped above 0.5): −r/4 each.
  close(r.grad[2], -Math.exp(-0.6) / 4);
  close(r.grad[3], -Math.exp(-0.8) / 4);
  // Below the threshold nothing is masked.
  assert.equal(grpoLoss(mb, { ...o, offPolicyMaskThreshold: 0.75 }, norm('dapo', { totalTokens: 4 })).offPolicyRows, 0);
});

test('off-policy masking measures the drift from the sampler\'s log-probs when the rollouts came with them', () => {
  // First pass: π_old = π, so only the sampler shows the drift: mean(ℓsmp − ℓ) = 0.7 on both rows.
  const lp = Float32Array.from([-0.6, -0.8, -0.6, -0.8]);
  const mb: MicroBatch = { B: 2, T: 2, logp: lp, oldLogp: lp.slice(), samplerLogp: new Float32Array(4), advantages: [-1, 1], mask: Uint8Array.from([1, 1, 1, 1]) };
  const o = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, offPolicyMaskThreshold: 0.5 };
  const r = grpoLoss(mb, o, norm('dapo', { totalTokens: 4 }));
  assert.equal(r.offPolicyRows, 1);
  [0, 0, -1 / 4, -1 / 4].forEach((v, k) => close(r.grad[k], v)); // the A = +1 row keeps −r/N, r = 1
  // Without the sampler's log-probs π_old is the reference point: no drift, nothing masked.
  assert.equal(grpoLoss({ ...mb, samplerLogp: null }, o, norm('dapo', { totalTokens: 4 })).offPolicyRows, 0);
});
