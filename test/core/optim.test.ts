// AdamW against torch.optim.AdamW's update written out in float64, optimizer state round trip,
// and global-norm gradient clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, clipGradNorm, tensor } from '../../src/core/index.js';

test('AdamW matches the decoupled-weight-decay update over several steps', () => {
  const p0 = [0.5, -1.5, 2, 0.1];
  const grads = [[0.1, -0.2, 0.3, 0], [-0.5, 0.4, 0.1, 2], [0.05, 0.05, -1, 0.3]];
  const lr = 0.01, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
  const p = tensor(p0, [4], { requiresGrad: true });
  const opt = new AdamW([p], { lr, beta1: b1, beta2: b2, eps, weightDecay: wd });
  const ref = [...p0], m = [0, 0, 0, 0], v = [0, 0, 0, 0];
  grads.forEach((g, s) => {
    p.grad = Float32Array.from(g);
    opt.step();
    const t = s + 1;
    for (let i = 0; i < 4; i++) {
      ref[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      ref[i] -= (lr / (1 - b1 ** t)) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps);
    }
  });
  p.data.forEach((x, i) => assert.ok(Math.abs(x - ref[i]) < 1e-6, `param ${i}: ${x} vs ${ref[i]}`));
  assert.equal(opt.steps, 3);
});

test('AdamW state/loadState resumes exactly; a learning rate passed to step() is used', () => {
  const mk = () => tensor([1, 2, 3], [3], { requiresGrad: true });
  const a = mk(), b = mk();
  const optA = new AdamW([a], { lr: 0.1 });
  const g1 = Float32Array.of(0.3, -0.1, 0.2), g2 = Float32Array.of(-0.2, 0.5, 0.1);
  a.grad = g1.slice();
  optA.step();
  const saved = optA.state();
  const copy = { step: saved.step, m: saved.m.map((x) => x.slice()), v: saved.v.map((x) => x.slice()) };
  b.data.set(a.data);
  const optB = new AdamW([b], { lr: 0.1 });
  optB.loadState(copy);
  a.grad = g2.slice();
  b.grad = g2.slice();
  optA.step(0.05);
  optB.step(0.05);
  assert.deepEqual([...a.data], [...b.data]);
  assert.throws(() => optB.loadState({ step: 1, m: [new Float32Array(2)], v: [new Float32Array(2)] }), /has 2 values/);
  assert.throws(() => new AdamW([a], { lr: 0.1, beta1: 1 }), /beta1/);
});

test('clipGradNorm returns the pre-clip global norm and scales to maxNorm', () => {
  const a = tensor([0, 0], [2], { requiresGrad: true }), b = tensor([0], [1], { requiresGrad: true });
  a.grad = Float32Array.of(3, 0);
  b.grad = Float32Array.of(4);
  const n = clipGradNorm([a, b], 1);
  assert.ok(Math.abs(n - 5) < 1e-9);
  assert.ok(Math.abs(a.grad[0] - 0.6) < 1e-5 && Math.abs(b.grad[0] - 0.8) < 1e-5);
  const n2 = clipGradNorm([a, b], 10);
  assert.ok(Math.abs(n2 - 1) < 1e-5);
  assert.ok(Math.abs(a.grad[0] - 0.6) < 1e-5, 'norms below maxNorm are left alone');
});
