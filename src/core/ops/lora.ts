// The LoRA update of one projection as one op: y + s · (x Aᵀ) Bᵀ, added into y's own buffer.
// Composed from matmul/scale/add it would keep three output-sized tensors per projection on the
// tape (B's product, the scaled copy, the sum) — for a 0.5B model that is more memory than the
// base's own activations. This op keeps only x Aᵀ (rank-sized) and reuses y's buffer.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { fail, fmt } from './shape.js';

/**
 * y [..., out] + s · (x [..., in] · A[r, in]ᵀ) · B[out, r]ᵀ, written INTO y's buffer (y must be a
 * fresh projection output that nothing else reads). Gradients flow to y, x, A and B.
 */
export function loraAddInPlace(y: Tensor, x: Tensor, A: Tensor, B: Tensor, s: number): Tensor {
  if (A.ndim !== 2 || B.ndim !== 2 || B.shape[1] !== A.shape[0]) fail('loraAddInPlace', `A ${fmt(A.shape)} and B ${fmt(B.shape)} are not [r, in] and [out, r]`);
  const [r, K] = A.shape, N = B.shape[0];
  if (x.shape[x.ndim - 1] !== K || y.shape[y.ndim - 1] !== N || x.size / K !== y.size / N) fail('loraAddInPlace', `x ${fmt(x.shape)} and y ${fmt(y.shape)} do not fit A ${fmt(A.shape)} and B ${fmt(B.shape)}`);
  const M = x.size / K;
  const be = backend();
  const xa = empty([M, r]);
  be.gemm(false, true, 1, M, r, K, 1, x.data, 0, A.data, 0, 0, xa.data, 0);
  be.gemm(false, true, 1, M, N, r, s, xa.data, 0, B.data, 0, 1, y.data, 0);
  const out = new Tensor(y.data, y.shape);
  return record(out, [y, x, A, B], (g) => {
    const dy = gradFor(y);
    if (dy) be.axpy(1, g, dy, g.length);
    const dA = gradFor(A), dB = gradFor(B), dx = gradFor(x);
    if (dB) be.gemm(true, false, 1, N, r, M, s, g, 0, xa.data, 0, 1, dB, 0);
    if (!dA && !dx) return;
    const dxa = new Float32Array(M * r);
    be.gemm(false, false, 1, M, r, N, s, g, 0, B.data, 0, 0, dxa, 0);
    if (dA) be.gemm(true, false, 1, r, K, M, 1, dxa, 0, x.data, 0, 1, dA, 0);
    if (dx) be.gemm(false, false, 1, M, K, r, 1, dxa, 0, A.data, 0, 1, dx, 0);
  });
}
