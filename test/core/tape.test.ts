// The autograd tape: noGrad, seeded backward on a [B,T] tensor (how GRPO drives it), gradient
// accumulation on leaves, release of the tape, memory over 10,000 steps, and determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rng } from '../../src/util/rng.js';
import {
  AdamW, add, crossEntropy, gatherLogProbs, getNumThreads, linear, matmul, mul, noGrad, setNumThreads, sum, tensor, zeros,
} from '../../src/core/index.js';
import { refLogSoftmaxRow } from './reference.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('noGrad records nothing and restores the previous mode even on throw', () => {
  const w = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const y = noGrad(() => matmul(w, w));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, null);
  assert.throws(() => y.backward(), /does not require grad/);
  assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
  assert.equal(matmul(w, w).requiresGrad, true);
});

test('backward(seed) on [B,T] log-probs gives seed-weighted gradients (the GRPO pattern)', () => {
  const B = 2, T = 3, V = 5, dim = 4;
  const rng = new Rng(7);
  const h = tensor(Float32Array.from({ length: B * T * dim }, () => rng.normal()), [B, T, dim]);
  const W = tensor(Float32Array.from({ length: V * dim }, () => rng.normal()), [V, dim], { requiresGrad: true });
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  const logp = gatherLogProbs(linear(h, W), targets);
  assert.deepEqual(logp.shape, [B, T]);
  const seed = Float32Array.from({ length: B * T }, () => rng.normal());
  logp.backward(seed);
  // dL/dW[v, d] = sum_r seed[r] * (onehot - p)[v] * h[r, d]
  const expected = new Float64Array(V * dim);
  for (let r = 0; r < B * T; r++) {
    const logits = new Float64Array(V);
    for (let v = 0; v < V; v++) for (let d = 0; d < dim; d++) logits[v] += W.data[v * dim + d] * h.data[r * dim + d];
    const lp = refLogSoftmaxRow(logits, 0, V);
    for (let v = 0; v < V; v++) {
      const g = seed[r] * ((v === targets[r] ? 1 : 0) - Math.exp(lp[v]));
      for (let d = 0; d < dim; d++) expected[v * dim + d] += g * h.data[r * dim + d];
    }
  }
  W.grad!.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-4, `dW[${i}] ${g} vs ${expected[i]}`));
  assert.throws(() => logp.backward(new Float32Array(3)), /seed has 3 values/);
});

test('leaf gradients accumulate; intermediates and the tape are released after backward', () => {
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  const y = mul(x, x);
  const s = sum(y);
  s.backward();
  assert.deepEqual([...x.grad!], [2, 4, 6]);
  assert.equal(y.grad, null);
  assert.equal(y.node, null);
  assert.equal(s.node, null);
  sum(add(x, x)).backward();
  assert.deepEqual([...x.grad!], [4, 6, 8]);
  x.zeroGrad();
  assert.deepEqual([...x.grad!], [0, 0, 0]);
  // A tensor used twice gets both contributions.
  sum(mul(y.detach(), x)).backward();
  assert.deepEqual([...x.grad!], [1, 4, 9]);
});

function tinyStep(W1: ReturnType<typeof zeros>, W2: ReturnType<typeof zeros>, opt: AdamW, ids: Int32Array, x: ReturnType<typeof zeros>): number {
  opt.zeroGrad();
  const loss = crossEntropy(linear(linear(x, W1), W2), ids);
  loss.backward();
  opt.step();
  return loss.item();
}

test('memory stays flat over 10,000 training steps', () => {
  const rng = new Rng(3);
  const W1 = tensor(Float32Array.from({ length: 32 * 16 }, () => rng.normal() * 0.1), [32, 16], { requiresGrad: true });
  const W2 = tensor(Float32Array.from({ length: 8 * 32 }, () => rng.normal() * 0.1), [8, 32], { requiresGrad: true });
  const x = tensor(Float32Array.from({ length: 4 * 16 }, () => rng.normal()), [4, 16]);
  const ids = Int32Array.of(1, 2, 3, 4);
  const opt = new AdamW([W1, W2], { lr: 1e-3 });
  const measure = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  for (let i = 0; i < 1000; i++) tinyStep(W1, W2, opt, ids, x);
  const before = measure();
  let last = 0;
  for (let i = 0; i < 10000; i++) last = tinyStep(W1, W2, opt, ids, x);
  const after = measure();
  assert.ok(Number.isFinite(last) && last < 0.1, `the tiny model should fit its 4 targets (loss ${last})`);
  assert.ok(after - before < 2_000_000, `memory grew by ${after - before} bytes over 10,000 steps`);
});

test('training is deterministic for a seed and thread count', () => {
  const prev = getNumThreads();
  const run = (threads: number): Float32Array => {
    setNumThreads(threads);
    const rng = new Rng(11);
    // Large enough that kernels take their multi-threaded paths.
    const W = tensor(Float32Array.from({ length: 256 * 128 }, () => rng.normal() * 0.05), [256, 128], { requiresGrad: true });
    const x = tensor(Float32Array.from({ length: 300 * 128 }, () => rng.normal()), [300, 128]);
    const ids = Int32Array.from({ length: 300 }, () => rng.int(256));
    const opt = new AdamW([W], { lr: 1e-2, weightDecay: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      crossEntropy(linear(x, W), ids).backward();
      opt.step();
    }
    return Float32Array.from(W.data);
  };
  try {
    assert.deepEqual(run(2), run(2));
    assert.deepEqual(run(1), run(1));
  } finally {
    setNumThreads(prev);
  }
});
