// The loss mask of multi-turn rollouts: tool-written tokens stay in the packed context but leave
// the mask, the token counts and the gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchMask, countTokens, lossTokens, packRows } from '../../../src/rl/packing.js';
import { grpoLoss } from '../../../src/rl/loss.js';

// Prompt [1, 2]; completion 3 4 | 7 7 7 | 5 9 (the middle three written by a tool).
const toolRow = { promptIds: Int32Array.from([1, 2]), completionIds: Int32Array.from([3, 4, 7, 7, 7, 5, 9]), truncated: false, modelMask: Uint8Array.from([1, 1, 0, 0, 0, 1, 1]) };
const plainRow = { promptIds: Int32Array.from([6]), completionIds: Int32Array.from([3, 9]), truncated: false };

test('a hand-built row: exactly the model-written positions are in the packed mask', () => {
  const p = packRows([toolRow, plainRow], 0);
  assert.equal(p.S, 8);
  // Tool tokens are still inputs (the context the model reads).
  assert.deepEqual(Array.from(p.ids.subarray(0, 8)), [1, 2, 3, 4, 7, 7, 7, 5]);
  const mask = batchMask(p, false);
  // Row 0 predicts completion token j at position 1 + j: 3 4 at 1-2, tools at 3-5, 5 9 at 6-7.
  assert.deepEqual(Array.from(mask.subarray(0, 8)), [0, 1, 1, 0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(mask.subarray(8)), [1, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(countTokens(mask), 6);
  assert.deepEqual(lossTokens([toolRow, plainRow], false), [4, 2]);
  assert.deepEqual(lossTokens([{ ...toolRow, truncated: true }], true), [0]);
  assert.deepEqual(Array.from(batchMask(packRows([{ ...toolRow, truncated: true }], 0), true)), Array(8).fill(0));
});

test('a modelMask of the wrong length is refused', () => {
  assert.throws(() => packRows([{ ...toolRow, modelMask: Uint8Array.from([1, 0]) }], 0), /modelMask of 2 for 7/);
});

test('tool positions get zero gradient and do not move the loss (policy, KL and entropy terms)', () => {
  const p = packRows([toolRow, plainRow], 0);
  const mask = batchMask(p, false);
  const n = p.B * p.S;
  const wave = (k: number, s: number) => Float32Array.from({ length: n }, (_, i) => -1 - 0.3 * Math.sin(i * k + s));
  const logp = wave(1.3, 0);
  const mb = { B: p.B, T: p.S, logp, oldLogp: wave(0.7, 1), refLogp: wave(0.4, 2), advantages: [1.5, -0.5], mask, entropy: wave(0.9, 3).map((x) => -x) };
  const surrogate = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0.1, entropyCoef: 0.05 };
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    const norm = { lossType, totalSequences: 2, totalTokens: countTokens(mask), microBatches: 1, maxCompletionLength: 8 };
    const a = grpoLoss(mb, surrogate, norm);
    const tools = [3, 4, 5];
    for (const k of tools) {
      assert.equal(a.grad[k], 0, `${lossType}: gradient at tool position ${k}`);
      assert.equal(a.entropyGrad?.[k] ?? 0, 0);
    }
    assert.ok(a.grad[1] !== 0 && a.grad[6] !== 0, 'model positions do get a gradient');
    // Any log-probs at the tool positions: the same loss.
    const moved = logp.slice();
    for (const k of tools) moved[k] -= 3;
    const b = grpoLoss({ ...mb, logp: moved, oldLogp: mb.oldLogp.map((x, i) => (tools.includes(i) ? x + 2 : x)) }, surrogate, norm);
    assert.equal(b.loss, a.loss, lossType);
    assert.equal(a.tokens, 6);
  }
});
