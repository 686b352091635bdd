// Products of 2-64 rows times a transposed weight (a decode step's projections at batch 2-64) take
// gemm.cc's short-wide kernel where the build has AVX-512: against the float64 reference on edge
// shapes (rows 2-64 across the 16-row vector boundaries, tails of the weight-row tiles, odd K),
// with alpha and beta (beta 0 overwriting NaN), on sub-matrices (gemmStrided), bit-identical for 1
// and 2 threads, and close to the general gemm it replaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend } from '../../src/core/backend.js';
import { getNumThreads, setNumThreads, setShortWideGemm } from '../../src/core/index.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose, randn, refMatmul } from './reference.js';

const rng = new Rng(1717);

/** C = alpha x W^T + beta C0 through the backend's gemm (one product, batch 1). */
function product(x: Float32Array, w: Float32Array, M: number, N: number, K: number, alpha: number, beta: number, c0: Float32Array): Float32Array {
  const c = Float32Array.from(c0);
  backend().gemm(false, true, 1, M, N, K, alpha, x, 0, w, 0, beta, c, 0);
  return c;
}

test('short-wide products match the float64 reference on edge shapes, with alpha and beta', () => {
  const threads = getNumThreads();
  try {
    for (const t of [1, 2]) {
      setNumThreads(t);
      for (const [M, N, K] of [[2, 1, 1], [3, 7, 5], [16, 13, 17], [17, 25, 31], [33, 6, 64], [48, 41, 3], [63, 100, 40], [64, 307, 96]]) {
        const x = randn(rng, M * K), w = randn(rng, N * K), c0 = randn(rng, M * N);
        const ref = refMatmul(x, w, 1, M, N, K, false, true, true);
        const got = product(Float32Array.from(x), Float32Array.from(w), M, N, K, 1, 0, new Float32Array(M * N).fill(NaN));
        assertClose(got, ref, 1e-4 * Math.sqrt(K), `${M}x${N}x${K}, ${t} threads, beta 0 over NaN`);
        const scaled = product(Float32Array.from(x), Float32Array.from(w), M, N, K, 0.5, 1, Float32Array.from(c0));
        assertClose(scaled, ref.map((v, i) => 0.5 * v + c0[i]), 1e-4 * Math.sqrt(K), `${M}x${N}x${K}, alpha 0.5, beta 1`);
        const beta2 = product(Float32Array.from(x), Float32Array.from(w), M, N, K, -1, 2, Float32Array.from(c0));
        assertClose(beta2, ref.map((v, i) => -v + 2 * c0[i]), 1e-4 * Math.sqrt(K), `${M}x${N}x${K}, alpha -1, beta 2`);
      }
    }
  } finally {
    setNumThreads(threads);
  }
});

test('short-wide products on sub-matrices (a block of columns of a wider output) leave the rest alone', () => {
  const M = 20, N = 37, K = 29, ldc = 50, offC = 7, lda = 33, ldb = 31;
  const x = Float32Array.from(randn(rng, M * lda)), w = Float32Array.from(randn(rng, N * ldb));
  const c = Float32Array.from(randn(rng, M * ldc));
  const before = Float32Array.from(c);
  backend().gemmStrided(false, true, M, N, K, 1, x, 2, lda, w, 1, ldb, 1, c, offC, ldc);
  const xs = new Float64Array(M * K), ws = new Float64Array(N * K);
  for (let r = 0; r < M; r++) for (let k = 0; k < K; k++) xs[r * K + k] = x[2 + r * lda + k];
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) ws[n * K + k] = w[1 + n * ldb + k];
  const ref = refMatmul(xs, ws, 1, M, N, K, false, true, true);
  for (let i = 0; i < c.length; i++) {
    const row = Math.floor((i - offC) / ldc), col = i - offC - row * ldc;
    const inside = i >= offC && col < N && row < M;
    if (inside) assert.ok(Math.abs(c[i] - (before[i] + ref[row * N + col])) < 1e-3, `element ${row},${col}: ${c[i]} vs ${before[i] + ref[row * N + col]}`);
    else assert.equal(c[i], before[i], `element ${i} outside the block was written`);
  }
});

test('short-wide products are the same for 1 and 2 threads, and close to the general gemm', () => {
  const threads = getNumThreads();
  const M = 64, N = 1000, K = 72; // work above the threshold where the product is split over threads
  const x = Float32Array.from(randn(rng, M * K)), w = Float32Array.from(randn(rng, N * K));
  try {
    setNumThreads(1);
    const one = product(x, w, M, N, K, 1, 0, new Float32Array(M * N));
    setNumThreads(2);
    const two = product(x, w, M, N, K, 1, 0, new Float32Array(M * N));
    assert.deepEqual(two, one, '1 and 2 threads give identical products');
    if (setShortWideGemm(false)) {
      const general = product(x, w, M, N, K, 1, 0, new Float32Array(M * N));
      assertClose(one, general, 1e-4, 'short-wide against the general gemm');
    }
  } finally {
    setShortWideGemm(true);
    setNumThreads(threads);
  }
});
