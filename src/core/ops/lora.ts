// The LoRA update of one projection as one op: y + s · (x Aᵀ) Bᵀ, added into y's own buffer.
// Composed from matmul/scale/add it would keep three output-sized tensors per projection on the
// tape (B's product, the scaled copy, the sum) — for a 0.5B model that is more memory than the
// base's own activations. This op keeps only x Aᵀ (rank-sized) and reuses y's buffer. Its block
// form adapts several projections of one input whose outputs sit side by side in y (the fused
// q/k/v or gate/up product): one x [A_0; A_1; ...]ᵀ product for all of them.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { stacked } from './fused.js';
import { fail, fmt } from './shape.js';

/**
 * One adapter of loraAddBlocksInPlace: A [r, in], B [out, r], its output in columns [col, col + out)
 * of y, scaled by its own `s` when given (adapters of one input may differ in rank and alpha).
 */
export interface LoraBlock {
  A: Tensor;
  B: Tensor;
  col: number;
  s?: number;
}

/**
 * y [..., out] + s · (x [..., in] · A[r, in]ᵀ) · B[out, r]ᵀ, written INTO y's buffer (y must be a
 * fresh projection output that nothing else reads). Gradients flow to y, x, A and B.
 */
export function loraAddInPlace(y: Tensor, x: Tensor, A: Tensor, B: Tensor, s: number): Tensor {
  if (A.ndim !== 2 || B.ndim !== 2 || B.shape[1] !== A.shape[0]) fail('loraAddInPlace', `A ${fmt(A.shape)} and B ${fmt(B.shape)} are not [r, in] and [out, r]`);
  if (y.shape[y.ndim - 1] !== B.shape[0]) fail('loraAddInPlace', `y ${fmt(y.shape)} does not fit B ${fmt(B.shape)}`);
  return loraAddBlocksInPlace(y, x, [{ A, B, col: 0 }], s);
}

/**
 * For each block: columns [col, col + out) of y [..., width] gain s · (x A ᵀ) Bᵀ (the block's own s
 * when it has one), written INTO
 * y's buffer (as loraAddInPlace; blocks must not overlap). Gradients flow to y, x and every A, B.
 */
export function loraAddBlocksInPlace(y: Tensor, x: Tensor, blocks: readonly LoraBlock[], s: number): Tensor {
  const op = 'loraAddInPlace';
  if (blocks.length === 0) fail(op, 'needs at least one adapter');
  const K = x.shape[x.ndim - 1], W = y.shape[y.ndim - 1];
  const M = x.size / K;
  if (y.size / W !== M) fail(op, `x ${fmt(x.shape)} and y ${fmt(y.shape)} do not have the same rows`);
  let R = 0;
  const ends: number[] = [];
  for (const { A, B, col } of blocks) {
    if (A.ndim !== 2 || B.ndim !== 2 || B.shape[1] !== A.shape[0]) fail(op, `A ${fmt(A.shape)} and B ${fmt(B.shape)} are not [r, in] and [out, r]`);
    if (A.shape[1] !== K) fail(op, `x ${fmt(x.shape)} does not fit A ${fmt(A.shape)}`);
    if (!Number.isInteger(col) || col < 0 || col + B.shape[0] > W) fail(op, `columns [${col}, ${col + B.shape[0]}) of B ${fmt(B.shape)} lie outside y ${fmt(y.shape)}`);
    ends.push(col + B.shape[0]);
    R += A.shape[0];
  }
  const sorted = blocks.map((b, i) => [b.col, ends[i]]).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) if (sorted[i][0] < sorted[i - 1][1]) fail(op, 'adapter blocks overlap');
  const be = backend();
  // xa = x [A_0; A_1; ...]ᵀ [M, R]: block i's rank columns start at roff[i]. One block's A is
  // used as it is (a view, no copy per forward).
  const Acat = stacked(blocks.map((b) => b.A.data));
  const roff: number[] = [];
  let r0 = 0;
  for (const { A } of blocks) {
    roff.push(r0);
    r0 += A.shape[0];
  }
  const xa = empty([M, R]);
  be.gemm(false, true, 1, M, R, K, 1, x.data, 0, Acat, 0, 0, xa.data, 0);
  const scaleOf = (b: LoraBlock): number => b.s ?? s;
  blocks.forEach((b, i) => {
    const [N, r] = b.B.shape;
    be.gemmStrided(false, true, M, N, r, scaleOf(b), xa.data, roff[i], R, b.B.data, 0, r, 1, y.data, b.col, W);
  });
  const out = new Tensor(y.data, y.shape);
  return record(out, [y, x, ...blocks.flatMap((b) => [b.A, b.B])], (g) => {
    const dy = gradFor(y);
    if (dy) be.axpy(1, g, dy, g.length);
    const dx = gradFor(x);
    const needA = blocks.some((b) => b.A.requiresGrad);
    const dxa = dx || needA ? new Float32Array(M * R) : null;
    blocks.forEach((b, i) => {
      const [N, r] = b.B.shape;
      const dB = gradFor(b.B);
      if (dB) be.gemmStrided(true, false, N, r, M, scaleOf(b), g, b.col, W, xa.data, roff[i], R, 1, dB, 0, r);
      if (dxa) be.gemmStrided(false, false, M, r, N, scaleOf(b), g, b.col, W, b.B.data, 0, r, 0, dxa, roff[i], R);
    });
    if (!dxa) return;
    blocks.forEach(({ A }, i) => {
      const dA = gradFor(A);
      if (dA) be.gemmStrided(true, false, A.shape[0], K, M, 1, dxa, roff[i], R, x.data, 0, K, 1, dA, 0, K);
    });
    if (dx) be.gemm(false, false, 1, M, K, R, 1, dxa, 0, Acat, 0, 1, dx, 0);
  });
}
