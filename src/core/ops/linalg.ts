// Matrix product with optional transposes, batched over leading dimensions (a 2-D right operand
// is shared by every batch), and `linear` (x W^T + b, nn.Linear's convention).
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { add } from './pointwise.js';
import { fail, fmt } from './shape.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** a [..., M, K] (or [..., K, M] with transA) times b [K, N] or [..., K, N] (or N, K with transB). */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const ta = opts.transA ?? false, tb = opts.transB ?? false;
  if (a.ndim < 2 || b.ndim < 2) fail('matmul', `needs at least 2-D operands, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = ta ? ac : ar, K = ta ? ar : ac;
  const Kb = tb ? bc : br, N = tb ? br : bc;
  if (K !== Kb) fail('matmul', `inner dimensions differ: ${fmt(a.shape)}${ta ? '^T' : ''} x ${fmt(b.shape)}${tb ? '^T' : ''}`);
  const batchShape = a.shape.slice(0, -2);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const bShared = b.ndim === 2;
  if (!bShared) {
    const bBatch = b.shape.slice(0, -2);
    if (bBatch.length !== batchShape.length || bBatch.some((d, i) => d !== batchShape[i])) {
      fail('matmul', `batch dimensions differ: ${fmt(a.shape)} vs ${fmt(b.shape)}`);
    }
  }
  // gemm with beta = 0 writes every element (K = 0 included).
  const out = empty([...batchShape, M, N]);
  const be = backend();
  const sA = M * K, sB = bShared ? 0 : K * N, sC = M * N;
  // A shared right operand with untransposed batches is one big product of batch*M rows.
  const flat = bShared && !ta;
  if (flat) be.gemm(false, tb, 1, batch * M, N, K, 1, a.data, 0, b.data, 0, 0, out.data, 0);
  else be.gemm(ta, tb, batch, M, N, K, 1, a.data, sA, b.data, sB, 0, out.data, sC);
  return record(out, [a, b], (g) => {
    const da = gradFor(a), db = gradFor(b);
    if (flat) {
      const R = batch * M;
      // dA = dC op(B)^T ; dB = A^T dC (or dC^T A when B is stored transposed)
      if (da) be.gemm(false, !tb, 1, R, K, N, 1, g, 0, b.data, 0, 1, da, 0);
      if (db) {
        if (tb) be.gemm(true, false, 1, N, K, R, 1, g, 0, a.data, 0, 1, db, 0);
        else be.gemm(true, false, 1, K, N, R, 1, a.data, 0, g, 0, 1, db, 0);
      }
      return;
    }
    if (da) {
      if (!ta) be.gemm(false, !tb, batch, M, K, N, 1, g, sC, b.data, sB, 1, da, sA);
      // A stored [K, M]: dA = op(B) dC^T
      else be.gemm(tb, true, batch, K, M, N, 1, b.data, sB, g, sC, 1, da, sA);
    }
    if (db) {
      const sDb = bShared ? 0 : K * N;
      // B stored [K, N]: dB = op(A)^T dC ; B stored [N, K]: dB = dC^T op(A)
      if (!tb) be.gemm(!ta, false, batch, K, N, M, 1, a.data, sA, g, sC, 1, db, sDb);
      else be.gemm(true, ta, batch, N, K, M, 1, g, sC, a.data, sA, 1, db, sDb);
    }
  });
}

/** x [..., in] times weight [out, in] transposed, plus bias [out] if given (nn.Linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = matmul(x, weight, { transB: true });
  return bias ? add(y, bias) : y;
}
