// The adaptive entropy target (Skywork-OR1 / TRL use_adaptive_entropy) and REINFORCE++ with the
// KL in the reward (docs/grpo.md "The family"): hand-computed values, and gradients against
// finite differences through the whole chain (logits → log-probs and entropies → loss).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appliedEntropyCoef, nextEntropyControl, type EntropyControlState } from '../../src/rl/entropy-control.js';
import { klShapedAdvantages } from '../../src/rl/advantages.js';
import { grpoLoss, type MicroBatch, type Normaliser, type SurrogateOptions } from '../../src/rl/loss.js';
import { completionMask } from '../../src/rl/packing.js';
import { backwardWithEntropy } from '../../src/rl/update.js';
import { entropy, gatherLogProbs, noGrad, parameter } from '../../src/core/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertGradientMatchesFiniteDifferences } from './finite-differences.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('adaptive entropy: c moves by ±Δ within [min, max]; the bonus applies only after an update at or below the target', () => {
  const o = { target: 0.2, delta: 0.005, min: 0, max: 0.012 };
  let s: EntropyControlState = { coef: 0.01, last: null };
  assert.equal(appliedEntropyCoef(s, o), 0); // no measurement yet
  const trace: [number, number, number][] = [];
  for (const h of [0.3, 0.1, 0.15, 0.2, 0.25, 0.9, 0.9]) {
    s = nextEntropyControl(s, h, o);
    trace.push([h, s.coef, appliedEntropyCoef(s, o)]);
  }
  const want: [number, number, number][] = [
    [0.3, 0.005, 0], // above the target: c − Δ, and no bonus
    [0.1, 0.01, 0.01], // below: c + Δ, bonus on
    [0.15, 0.012, 0.012], // capped at max
    [0.2, 0.012, 0.012], // at the target counts as below
    [0.25, 0.007, 0],
    [0.9, 0.002, 0],
    [0.9, 0, 0], // floored at min
  ];
  trace.forEach((row, i) => row.forEach((v, j) => close(v, want[i][j], 1e-12)));
});

test('adaptive entropy: the gated bonus reaches the logits, matching finite differences of the loss', () => {
  // Two rows of two positions over a vocabulary of 4; the controller's coefficient after one low-entropy update.
  const o = { target: 2, delta: 0.05, min: 0, max: 1 };
  const coef = appliedEntropyCoef(nextEntropyControl({ coef: 0.1, last: null }, 1.2, o), o);
  close(coef, 0.15);
  const rng = new Rng(5);
  const z0 = Float32Array.from({ length: 16 }, () => 2 * rng.next() - 1);
  const targets = Int32Array.from([1, 3, 0, 2]);
  const mask = Uint8Array.from([1, 1, 1, 0]);
  const nm: Normaliser = { lossType: 'grpo', totalSequences: 2, totalTokens: 3, microBatches: 1, maxCompletionLength: 2 };
  const so: SurrogateOptions = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0, entropyCoef: coef };
  const old = noGrad(() => gatherLogProbs(parameter(z0, [4, 4]), targets).data.slice());
  const lossAt = (z: Float32Array) => noGrad(() => {
    const logits = parameter(z, [4, 4]);
    const lp = gatherLogProbs(logits, targets).data;
    const mb: MicroBatch = { B: 2, T: 2, logp: lp, oldLogp: old, advantages: [1, -0.5], mask, entropy: entropy(logits).data };
    return grpoLoss(mb, so, nm).loss;
  });
  const logits = parameter(z0.slice(), [4, 4]);
  const logp = gatherLogProbs(logits, targets);
  const h = noGrad(() => entropy(logits)).data;
  const res = grpoLoss({ B: 2, T: 2, logp: logp.data, oldLogp: old, advantages: [1, -0.5], mask, entropy: h }, so, nm);
  backwardWithEntropy(logits, logp, res.grad, res.entropyGrad!);
  const eps = 1e-3;
  for (let k = 0; k < z0.length; k++) {
    const plus = z0.slice();
    plus[k] += eps;
    const minus = z0.slice();
    minus[k] -= eps;
    const fd = (lossAt(plus) - lossAt(minus)) / (plus[k] - minus[k]);
    assert.ok(Math.abs(fd - logits.grad![k]) < 2e-4 + 2e-3 * Math.abs(fd), `logit ${k}: fd ${fd} vs analytic ${logits.grad![k]}`);
  }
  // With the gate closed (entropy above the target) the same batch has no entropy gradient.
  const closed = appliedEntropyCoef(nextEntropyControl({ coef: 0.1, last: null }, 3, o), o);
  assert.equal(closed, 0);
});

test('REINFORCE++ with the KL in the reward: per-token returns R − β·Σ_{s≥t}(ℓold − ℓref), whitened over the batch', () => {
  // Row 0: R = 1, ℓold − ℓref = [0.2, 0.1]; row 1: R = 0, [−0.2] then padding; β = 0.5.
  const chunk = {
    B: 2, T: 2, mask: [1, 1, 1, 0], oldLogp: [-1, -2, -1, 0], refLogp: [-1.2, -2.1, -0.8, 0], rewards: [1, 0], scored: [1, 1],
  };
  const [a] = klShapedAdvantages([chunk], 0.5, 1e-4);
  // Returns: 1 − 0.5·0.3 = 0.85, 1 − 0.5·0.1 = 0.95, 0 + 0.5·0.2 = 0.1; mean 0.6333…, σ (n − 1) = 0.46458…
  const G = [0.85, 0.95, 0.1];
  const mean = (0.85 + 0.95 + 0.1) / 3;
  const std = Math.sqrt(G.reduce((s, g) => s + (g - mean) ** 2, 0) / 2);
  close(std, 0.464579, 1e-6);
  [(0.85 - mean) / (std + 1e-4), (0.95 - mean) / (std + 1e-4), (0.1 - mean) / (std + 1e-4), 0].forEach((v, k) => close(a[k], v, 1e-6));
  // β = 0 gives back the sequence-level REINFORCE++ (every token of a row the same advantage).
  const [b] = klShapedAdvantages([chunk], 0, 1e-4);
  close(b[0], b[1]);
  // Split into two chunks, the statistics are still over the whole batch.
  const [c0, c1] = klShapedAdvantages([
    { ...chunk, B: 1, mask: [1, 1], oldLogp: [-1, -2], refLogp: [-1.2, -2.1], rewards: [1], scored: [1] },
    { ...chunk, B: 1, mask: [1, 0], oldLogp: [-1, 0], refLogp: [-0.8, 0], rewards: [0], scored: [1] },
  ], 0.5, 1e-4);
  [...c0, ...c1].forEach((v, k) => close(v, a[k], 1e-6));
  // A row no reward function scored gets 0 and stays out of the statistics.
  const [d] = klShapedAdvantages([{ ...chunk, scored: [1, 0] }], 0.5, 1e-4);
  assert.equal(d[2], 0);
  close(d[0], -d[1], 1e-4); // two tokens left: ±σ/√2·… symmetric around their mean
});

test('per-token advantages: the loss uses A_t per token, and its gradient matches finite differences', () => {
  const mb: MicroBatch = {
    B: 1, T: 2, logp: Float32Array.from([-1, -2]), oldLogp: Float32Array.from([-1, -2]), advantages: [0], mask: Uint8Array.from([1, 1]),
    tokenAdvantages: Float32Array.from([0.5, -2]),
  };
  const r = grpoLoss(mb, { epsilon: 0.2, epsilonHigh: 0.2, beta: 0 }, { lossType: 'dapo', totalSequences: 1, totalTokens: 2, microBatches: 1, maxCompletionLength: 2 });
  // On-policy, r = 1: loss −(0.5 − 2)/2, gradient −A_t/2.
  close(r.loss, 0.75);
  close(r.grad[0], -0.25);
  close(r.grad[1], 1);
  const rng = new Rng(9);
  const B = 3;
  const T = 4;
  const oldLogp = Float32Array.from({ length: B * T }, () => -0.3 - 2 * rng.next());
  const logp = Float32Array.from(oldLogp, (v) => v + Math.log(rng.pick([0.5, 0.9, 1.05, 1.1, 1.5, 3])));
  const tokenAdvantages = Float32Array.from({ length: B * T }, () => 2 * rng.next() - 1);
  const mask = completionMask([4, 2, 3], [false, false, false], T, false);
  const base: MicroBatch = { B, T, logp, oldLogp, advantages: [0, 0, 0], mask, tokenAdvantages };
  // (cispo is left out: its weight is stop-gradient, so finite differences of its value differ by design.)
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    const o: SurrogateOptions = { epsilon: 0.2, epsilonHigh: 0.28, beta: 0, delta: lossType === 'bnpo' ? 4 : null };
    assertGradientMatchesFiniteDifferences(base, o, { lossType, totalSequences: 6, totalTokens: 20, microBatches: 2, maxCompletionLength: 4 }, `token advantages ${lossType}`);
  }
});
