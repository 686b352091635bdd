import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchMask, completionMask, countTokens, packRows } from '../../src/rl/packing.js';

test('packRows: right-padded inputs, shifted targets, completion positions in prediction layout', () => {
  const p = packRows([
    { promptIds: Int32Array.from([1, 2]), completionIds: Int32Array.from([3, 4, 9]), truncated: false },
    { promptIds: Int32Array.from([5]), completionIds: Int32Array.from([6]), truncated: true },
  ], 0);
  assert.equal(p.S, 4); // longest row has 5 tokens; the last one is only a target
  assert.deepEqual(Array.from(p.ids), [1, 2, 3, 4, 5, 6, 0, 0]);
  assert.deepEqual(Array.from(p.targets), [2, 3, 4, 9, 6, 0, 0, 0]);
  assert.deepEqual(p.offsets, [1, 0]);
  const mask = completionMask(p.lengths, p.truncated, p.S, false, p.offsets);
  // row 0: targets 3,4,9 (positions 1..3); row 1: target 6 (position 0)
  assert.deepEqual(Array.from(mask), [0, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(batchMask(p, true)), [0, 1, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual(batchMask(p, false), mask);
});

test('completionMask: EOS counts, truncated completions masked only when asked (DAPO)', () => {
  const m = completionMask([2, 3], [false, true], 3, false);
  assert.deepEqual(Array.from(m), [1, 1, 0, 1, 1, 1]);
  const md = completionMask([2, 3], [false, true], 3, true);
  assert.deepEqual(Array.from(md), [1, 1, 0, 0, 0, 0]);
  assert.equal(countTokens(md), 2);
});

test('completionMask with offsets marks each row from its own start', () => {
  const m = completionMask([2, 1], [false, false], 4, false, [1, 3]);
  assert.deepEqual(Array.from(m), [0, 1, 1, 0, 0, 0, 0, 1]);
});
