import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packRows } from '../../src/rl/packing.js';
import { completionMask } from '../../src/rl/loss.js';

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
  assert.deepEqual(Array.from(completionMask(p.lengths, p.truncated, p.S, true, p.offsets)), [0, 1, 1, 1, 0, 0, 0, 0]);
});
