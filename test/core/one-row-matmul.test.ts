// Products with a single row (decoding one sequence) take OpenBLAS's matrix-vector path; they
// must agree with the float64 reference for every transpose combination, forward and backward,
// and overwrite the uninitialised output (beta 0).
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { linear, matmul, noGrad, tensor } from '../../src/core/index.js';
import { assertClose, gradCheck, randn, refMatmul } from './reference.js';

const rng = new Rng(99);

test('matmul with one row: all transpose combinations, forward and backward', () => {
  for (const ta of [false, true])
    for (const tb of [false, true])
      for (const shared of [false, true]) {
        const batch = 2, M = 1, N = 11, K = 7;
        const aShape = ta ? [batch, K, M] : [batch, M, K];
        const bShape = shared ? (tb ? [N, K] : [K, N]) : tb ? [batch, N, K] : [batch, K, N];
        gradCheck({
          inputs: [{ data: randn(rng, batch * M * K), shape: aShape }, { data: randn(rng, (shared ? 1 : batch) * K * N), shape: bShape }],
          run: ([a, b]) => matmul(a, b, { transA: ta, transB: tb }),
          ref: ([a, b]) => refMatmul(a, b, batch, M, N, K, ta, tb, shared),
          samples: 30,
        }, rng);
      }
});

test('a one-row Linear over a wide weight (threads split its outputs) matches the reference', () => {
  for (const [N, K] of [[4099, 300], [37, 1031]]) {
    const x = randn(rng, K), w = randn(rng, N * K);
    for (let rep = 0; rep < 2; rep++) {
      const out = noGrad(() => linear(tensor(Float32Array.from(x), [1, K]), tensor(Float32Array.from(w), [N, K])));
      assertClose(out.data, refMatmul(x, w, 1, 1, N, K, false, true, true), 1e-4, `linear 1x${N}x${K}`);
    }
  }
});
