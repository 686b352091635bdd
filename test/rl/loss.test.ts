import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpoLoss, surrogate, k3, type Normaliser, type MicroBatch, type LossType } from '../../src/rl/loss.js';
import { completionMask } from '../../src/rl/packing.js';
import { Rng } from '../../src/util/rng.js';
import { assertGradientMatchesFiniteDifferences } from './finite-differences.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const opts = { epsilon: 0.2, epsilonHigh: 0.28, beta: 0 };

// Two completions, T = 3: row 0 has 3 tokens, row 1 has 2 (last position is padding).
// One optimisation pass: old = current, so r = 1 and the per-token loss is -A.
function onePassBatch(): MicroBatch {
  const logp = Float32Array.from([-1, -2, -0.5, -0.3, -0.7, 0]);
  return { B: 2, T: 3, logp, oldLogp: logp.slice(), advantages: [1, -1], mask: Uint8Array.from([1, 1, 1, 1, 1, 0]) };
}
const norm = (lossType: LossType, extra: Partial<Normaliser> = {}): Normaliser => ({
  lossType, totalSequences: 2, totalTokens: 5, microBatches: 1, maxCompletionLength: 4, ...extra,
});

test('grpo: per-sequence mean, then the mean over sequences', () => {
  const r = grpoLoss(onePassBatch(), opts, norm('grpo'));
  close(r.loss, (-1 + 1) / 2); // row 0 mean -1, row 1 mean +1
  const g = Array.from(r.grad);
  [-1 / 6, -1 / 6, -1 / 6, 1 / 4, 1 / 4, 0].forEach((v, i) => close(g[i], v));
  assert.equal(r.tokens, 5);
});

test('bnpo: token sum over the micro-batch divided by its token count (then by micro-batches)', () => {
  const r = grpoLoss(onePassBatch(), opts, norm('bnpo'));
  close(r.loss, (3 * -1 + 2 * 1) / 5);
  [-0.2, -0.2, -0.2, 0.2, 0.2, 0].forEach((v, i) => close(r.grad[i], v));
  const half = grpoLoss(onePassBatch(), opts, norm('bnpo', { microBatches: 2 }));
  close(half.loss, -0.1);
});

test('dr_grpo: constant normaliser B * max_completion_length', () => {
  const r = grpoLoss(onePassBatch(), opts, norm('dr_grpo'));
  close(r.loss, -1 / 8);
  [-1 / 8, -1 / 8, -1 / 8, 1 / 8, 1 / 8, 0].forEach((v, i) => close(r.grad[i], v));
});

test('dapo: token sum divided by the tokens of the whole generation batch', () => {
  const r = grpoLoss(onePassBatch(), opts, norm('dapo', { totalTokens: 10 }));
  close(r.loss, -1 / 10);
  [-0.1, -0.1, -0.1, 0.1, 0.1, 0].forEach((v, i) => close(r.grad[i], v));
});

test('grpo favours long wrong answers less per token than dapo (the Dr. GRPO length bias)', () => {
  // Same per-token loss, a long negative row and a short one: grpo weighs each token of the long
  // row less (1/(S·|o|)); dapo weighs every token the same.
  const mb: MicroBatch = { B: 2, T: 4, logp: new Float32Array(8), oldLogp: new Float32Array(8), advantages: [-1, -1], mask: Uint8Array.from([1, 1, 1, 1, 1, 0, 0, 0]) };
  const g = grpoLoss(mb, opts, norm('grpo', { totalTokens: 5 })).grad;
  const d = grpoLoss(mb, opts, norm('dapo', { totalTokens: 5 })).grad;
  close(g[0], 1 / 8);
  close(g[4], 1 / 2);
  close(d[0], d[4]);
});

test('surrogate: clipped and unclipped branches, both signs of the advantage', () => {
  const e = 0.2;
  const eh = 0.28;
  let s = surrogate(Math.log(1.5), 0, 1, e, eh); // r above 1+eh, A > 0: clipped, no gradient
  close(s.loss, -1.28);
  assert.equal(s.dlp, 0);
  s = surrogate(Math.log(1.1), 0, 1, e, eh); // inside: -r·A, d/dlp = -A·r
  close(s.loss, -1.1);
  close(s.dlp, -1.1);
  s = surrogate(Math.log(0.5), 0, -1, e, eh); // r below 1-e, A < 0: clipped at 0.8
  close(s.loss, 0.8);
  assert.equal(s.dlp, 0);
  s = surrogate(Math.log(1.5), 0, -1, e, eh); // A < 0, r high: unclipped (pessimistic) branch
  close(s.loss, 1.5);
  close(s.dlp, 1.5);
  s = surrogate(Math.log(0.5), 0, 1, e, eh); // A > 0, r low: unclipped
  close(s.loss, -0.5);
  close(s.dlp, -0.5);
  s = surrogate(Math.log(1.25), 0, 1, e, e); // symmetric epsilon clips at 1.2 where eh=0.28 would not
  close(s.loss, -1.2);
});

test('k3 KL estimator: exp(ref-lp) - (ref-lp) - 1, zero when equal', () => {
  close(k3(-1, -1.5), Math.exp(-0.5) + 0.5 - 1);
  close(k3(-1, -1.5), 0.10653066);
  assert.equal(k3(-2, -2), 0);
  assert.ok(k3(-3, -1) > 0 && k3(-1, -3) > 0);
});

test('beta adds beta * k3 to every token and its gradient 1 - exp(ref - lp)', () => {
  const logp = Float32Array.from([-1]);
  const mb: MicroBatch = { B: 1, T: 1, logp, oldLogp: logp.slice(), refLogp: Float32Array.from([-1.5]), advantages: [0], mask: Uint8Array.from([1]) };
  const r = grpoLoss(mb, { ...opts, beta: 0.04 }, norm('grpo', { totalSequences: 1 }));
  close(r.loss, 0.04 * 0.10653066);
  close(r.grad[0], 0.04 * (1 - Math.exp(-0.5)));
  close(r.klSum, 0.10653066);
  assert.throws(() => grpoLoss({ ...mb, refLogp: null }, { ...opts, beta: 0.04 }, norm('grpo')), RangeError);
  // beta = 0 ignores the reference entirely
  assert.equal(grpoLoss({ ...mb, refLogp: null }, opts, norm('grpo')).klSum, 0);
});

test('clip fractions count low (r < 1-e, A < 0) and high (r > 1+eh, A > 0) tokens', () => {
  const logp = Float32Array.from([Math.log(0.5), Math.log(1.5), Math.log(1.5), Math.log(0.5)]);
  const mb: MicroBatch = { B: 2, T: 2, logp, oldLogp: new Float32Array(4), advantages: [-1, 1], mask: Uint8Array.from([1, 1, 1, 1]) };
  const r = grpoLoss(mb, opts, norm('grpo'));
  assert.equal(r.clipLowCount, 1); // row 0 token 0
  assert.equal(r.clipHighCount, 1); // row 1 token 0
});

test('masked positions contribute nothing', () => {
  const mb = onePassBatch();
  mb.logp[5] = 123; // padding, masked
  const r = grpoLoss(mb, opts, norm('dapo'));
  assert.equal(r.grad[5], 0);
  assert.ok(Number.isFinite(r.loss));
});

test('analytic gradient matches finite differences for every loss type, with KL and clipping', () => {
  const rng = new Rng(7);
  const B = 3;
  const T = 5;
  const n = B * T;
  // ratios chosen away from the clip boundaries (where the loss has kinks)
  const ratios = [0.5, 0.9, 1.0, 1.1, 1.5, 0.7, 1.05, 1.4];
  const oldLogp = new Float32Array(n);
  const logp = new Float32Array(n);
  const refLogp = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    oldLogp[k] = -0.2 - 2 * rng.next();
    logp[k] = oldLogp[k] + Math.log(rng.pick(ratios));
    refLogp[k] = logp[k] + (rng.next() - 0.5);
  }
  const mask = completionMask([5, 3, 4], [true, false, false], T, false);
  const mb: MicroBatch = { B, T, logp, oldLogp, refLogp, advantages: [0.7, -1.3, 0.4], mask };
  const o = { epsilon: 0.2, epsilonHigh: 0.28, beta: 0.1 };
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    assertGradientMatchesFiniteDifferences(mb, o, { lossType, totalSequences: 6, totalTokens: 20, microBatches: 2, maxCompletionLength: 5 }, lossType);
  }
});

test('bnpo over a micro-batch split in two chunks equals bnpo over the whole micro-batch', () => {
  const whole = onePassBatch();
  const full = grpoLoss(whole, opts, norm('bnpo'));
  const rowOf = (i: number): MicroBatch => ({
    B: 1, T: 3, logp: whole.logp.slice(i * 3, i * 3 + 3), oldLogp: whole.oldLogp.slice(i * 3, i * 3 + 3),
    advantages: [whole.advantages[i] as number], mask: whole.mask.slice(i * 3, i * 3 + 3), bnpoTokens: 5,
  });
  const a = grpoLoss(rowOf(0), opts, norm('bnpo'));
  const b = grpoLoss(rowOf(1), opts, norm('bnpo'));
  close(a.loss + b.loss, full.loss);
  assert.deepEqual([...a.grad, ...b.grad], [...full.grad]);
});
