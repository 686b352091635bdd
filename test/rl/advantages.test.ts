import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchRewards, computeAdvantages, meanStd, weightedReward, zeroStdGroups, type CombinedRewards } from '../../src/rl/advantages.js';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

/** The rewards of rows scored by one function of weight 1. */
const rewardsOf = (scores: (number | null)[]): CombinedRewards => batchRewards(scores.map((v) => ({ reward: weightedReward([v], [1]) })));

test('weightedReward: weighted sum, declined functions skipped, all-declined rows flagged', () => {
  const rows = [[1, 0.5], [0, 1], [null, 1], [null, null]].map((scores) => ({ reward: weightedReward(scores, [1, 0.5]) }));
  assert.deepEqual(rows.map((r) => r.reward), [1.25, 0.5, 0.5, null]);
  const r = batchRewards(rows);
  assert.deepEqual(Array.from(r.total), [1.25, 0.5, 0.5, 0]);
  assert.deepEqual(Array.from(r.scored), [1, 1, 1, 0]);
  assert.throws(() => weightedReward([1], [1, 2]), RangeError);
});

test('meanStd uses the sample standard deviation (n-1), as TRL', () => {
  const s = meanStd([1, 2, 3, 4]);
  close(s.mean, 2.5);
  close(s.std, Math.sqrt(5 / 3)); // Σ(x-μ)² = 2.25+0.25+0.25+2.25 = 5, / (4-1)
  assert.equal(meanStd([7]).std, 0);
});

test('group scaling: (R - mean_g) / (std_g + 1e-4) per group', () => {
  // group 0: [1,0,0,1] mean 0.5 std sqrt(1/3); group 1: [2,2,2,2] all equal
  const rewards = rewardsOf([1, 0, 0, 1, 2, 2, 2, 2]);
  const a = computeAdvantages(rewards, { groupSize: 4, scale: 'group', eps: 1e-4 });
  const hand = 0.5 / (Math.sqrt(1 / 3) + 1e-4); // 0.865876...
  close(hand, 0.8658756, 1e-6);
  const expect = [hand, -hand, -hand, hand, 0, 0, 0, 0];
  a.advantages.forEach((v, i) => close(v, expect[i]));
  assert.deepEqual(Array.from(zeroStdGroups(rewards, 4)), [0, 1]);
  close(a.groupMean[1], 2);
});

test('batch scaling: group mean, standard deviation over the whole batch', () => {
  const rewards = rewardsOf([1, 0, 3, 1]);
  const a = computeAdvantages(rewards, { groupSize: 2, scale: 'batch', eps: 1e-4 });
  // batch: mean 1.25, Σ(x-μ)² = 0.0625+1.5625+3.0625+0.0625 = 4.75, std = sqrt(4.75/3)
  const sb = Math.sqrt(4.75 / 3) + 1e-4;
  const expect = [0.5 / sb, -0.5 / sb, 1 / sb, -1 / sb];
  a.advantages.forEach((v, i) => close(v, expect[i]));
});

test('none scaling (Dr. GRPO): R - mean_g, no division', () => {
  const rewards = rewardsOf([1, 0, 0, 0, 3, 1]);
  const a = computeAdvantages(rewards, { groupSize: 3, scale: 'none', eps: 1e-4 });
  const expect = [2 / 3, -1 / 3, -1 / 3, -4 / 3, 5 / 3, -1 / 3];
  a.advantages.forEach((v, i) => close(v, expect[i]));
});

test('the epsilon is configurable', () => {
  const rewards = rewardsOf([1, 0]);
  const a = computeAdvantages(rewards, { groupSize: 2, scale: 'group', eps: 1e-6 });
  close(a.advantages[0], 0.5 / (Math.SQRT1_2 + 1e-6));
});

test('rows every function declines get advantage 0 and stay out of the group statistics', () => {
  const rewards = rewardsOf([1, null, 0, 1]);
  const a = computeAdvantages(rewards, { groupSize: 4, scale: 'group', eps: 1e-4 });
  // scored rows 1, 0, 1: mean 2/3, std sqrt((1/9+4/9+1/9)/2) = sqrt(1/3)
  const s = Math.sqrt(1 / 3) + 1e-4;
  close(a.groupMean[0], 2 / 3);
  const expect = [1 / 3 / s, 0, -2 / 3 / s, 1 / 3 / s];
  a.advantages.forEach((v, i) => close(v, expect[i]));
});

test('a group with a single scored row has std 0, advantage 0', () => {
  const rewards = rewardsOf([null, 5]);
  const a = computeAdvantages(rewards, { groupSize: 2, scale: 'group', eps: 1e-4 });
  assert.deepEqual(Array.from(a.advantages), [0, 0]);
  assert.equal(zeroStdGroups(rewards, 2)[0], 1, 'a single scored row is a group without signal');
});

test('rows that are not a multiple of the group size are rejected', () => {
  assert.throws(() => computeAdvantages(rewardsOf([1, 2, 3]), { groupSize: 2, scale: 'group', eps: 1e-4 }), RangeError);
});

test('rloo: R_i minus the mean of the other scored rows of its group', () => {
  const a = computeAdvantages(rewardsOf([1, 0, 0, 1]), { groupSize: 4, scale: 'group', eps: 1e-4, estimator: 'rloo' }).advantages;
  // 1 − (0 + 0 + 1)/3 = 2/3; 0 − (1 + 0 + 1)/3 = −2/3
  [2 / 3, -2 / 3, -2 / 3, 2 / 3].forEach((v, i) => close(a[i], v));
  // A declined row is not one of the "others" and gets 0; a group with one scored row gets 0.
  const d = computeAdvantages(rewardsOf([1, null, 0, 1, null, null]), { groupSize: 3, scale: 'none', eps: 1e-4, estimator: 'rloo' }).advantages;
  [1, 0, -1, 0, 0, 0].forEach((v, i) => close(d[i], v));
});

test('reinforce_plus_plus: returns whitened over every token of the batch (no group statistics)', () => {
  // Rewards 1 (3 tokens) and 0 (1 token): token mean 3/4, token std (n−1) sqrt(0.75/3) = 0.5.
  const a = computeAdvantages(rewardsOf([1, 0]), { groupSize: 2, scale: 'group', eps: 1e-4, estimator: 'reinforce_plus_plus', tokens: [3, 1] }).advantages;
  close(a[0], 0.25 / 0.5001);
  close(a[1], -0.75 / 0.5001);
  // Across groups: a group that scored alike still gets a non-zero advantage from the batch mean.
  const b = computeAdvantages(rewardsOf([1, 1, 0, 0]), { groupSize: 2, scale: 'group', eps: 1e-4, estimator: 'reinforce_plus_plus', tokens: [1, 1, 1, 1] }).advantages;
  assert.ok(b[0] > 0 && b[2] < 0);
  assert.throws(() => computeAdvantages(rewardsOf([1, 0]), { groupSize: 2, scale: 'group', eps: 1e-4, estimator: 'reinforce_plus_plus' }), /token count/);
});

test('normalize_then_sum: each reward function normalised within the group, then the weighted sum normalised over the batch', () => {
  // f1 = [1, 0], f2 = [0, 1], weights 1 and 0.5; one group of 2.
  const cols = [[1, 0], [0, 1]];
  const weights = [1, 0.5];
  const rows = [0, 1].map((i) => ({ reward: weightedReward(cols.map((c) => c[i]), weights) }));
  const eps = 1e-4;
  const a = computeAdvantages(batchRewards(rows), { groupSize: 2, scale: 'group', eps, aggregation: 'normalize_then_sum', columns: cols, weights }).advantages;
  const z = 0.5 / (Math.SQRT1_2 + eps); // each function's |z| in the group
  const R = 0.5 * z; // R_0 = z − 0.5·z; R_1 = −R_0; batch std (n−1) = R·√2
  close(a[0], R / (R * Math.SQRT2 + eps));
  close(a[1], -R / (R * Math.SQRT2 + eps));
  // A function that declined a row adds nothing for it; its lone score in the group has z = 0.
  const d = computeAdvantages(batchRewards(rows), { groupSize: 2, scale: 'group', eps, aggregation: 'normalize_then_sum', columns: [[1, 0], [0.7, null]], weights }).advantages;
  close(d[0], 0.5 / (Math.SQRT1_2 + eps) / (Math.SQRT2 * 0.5 / (Math.SQRT1_2 + eps) + eps));
  assert.throws(() => computeAdvantages(batchRewards(rows), { groupSize: 2, scale: 'group', eps, aggregation: 'normalize_then_sum' }), /one score column/);
});
