// Difficulty bins and the cross-validated compute-optimal rule on hand-made tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetToMatch, computeOptimal, quantileBins } from '../../../src/eval/search/compute-optimal.js';

test('quantile bins put the easiest first and never split a tie', () => {
  // The tie at ranks 1-2 sits in the middle: its middle rank 1.5 falls in bin 1.
  assert.deepEqual(quantileBins([1, 0.5, 0.5, 0], 2), [1, 1, 1, 2]);
  // Ranks 2-5 tie: middle rank 3.5 of 6 falls in bin 2, so bin 1 keeps ranks 0-1 only.
  assert.deepEqual(quantileBins([1, 0.9, 0.5, 0.5, 0.5, 0.5], 2), [1, 1, 2, 2, 2, 2]);
  assert.deepEqual(quantileBins([0, 0.25, 0.5, 0.75, 1], 5), [5, 4, 3, 2, 1]);
  assert.deepEqual(quantileBins([0.3, 0.3], 3), [1, 1]);
  assert.throws(() => quantileBins([1], 0), RangeError);
});

test('the compute-optimal rule picks per bin on one fold and is scored on the other', () => {
  // Strategy 0 solves the easy bin, strategy 1 the hard one; each fold holds one problem of each bin.
  const correct = [[[1, 1, 0, 0]], [[0, 0, 1, 1]]];
  const [pt] = computeOptimal(correct, [4], [1, 1, 2, 2], [0, 1, 0, 1], [0, 1]);
  assert.equal(pt.accuracy, 1); // either strategy alone: 0.5
  assert.deepEqual(pt.picks, [[0, 1], [0, 1]]);
  // Left to strategy 0 alone the rule is that strategy.
  assert.equal(computeOptimal(correct, [4], [1, 1, 2, 2], [0, 1, 0, 1], [0])[0].accuracy, 0.5);
  // A rule learnt on the wrong fold is punished: fold 0 says strategy 1 for bin 1, fold 1 disagrees.
  const crossed = [[[0, 1, 0, 0]], [[1, 0, 0, 0]]];
  assert.equal(computeOptimal(crossed, [4], [1, 1, 2, 2], [0, 1, 0, 1], [0, 1])[0].accuracy, 0);
});

test('budget to match is the smallest budget at which any series reaches the target', () => {
  const a = [{ budget: 1, accuracy: 0.3 }, { budget: 4, accuracy: 0.6 }, { budget: 16, accuracy: 0.7 }];
  const b = [{ budget: 1, accuracy: 0.3 }, { budget: 2, accuracy: 0.6 }];
  assert.equal(budgetToMatch([a, b], 0.6), 2);
  assert.equal(budgetToMatch([a], 0.65), 16);
  assert.equal(budgetToMatch([a, b], 0.8), null);
});
