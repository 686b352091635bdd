// Fused training ops for a decoder layer: several projections of one input as one product over
// their concatenated weights, attention reading q, k and v from that product's output with RoPE
// applied inside the kernel, and SwiGLU over a fused gate/up output. The parameters stay separate
// tensors (names, checkpoints and LoRA layouts unchanged), each gradient written into the
// parameter's own `.grad`. When the weights (or biases) already lie back to back in one buffer
// (the transformer's packed q/k/v and gate/up storage, f32 or BF16) the product reads them
// through one view; otherwise their concatenation is copied at each call.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { Bf16Matrix } from './bf16.js';
import { maxOf, ropeTable, type RopeSpec } from './nn.js';
import { fail, fmt, lastDim } from './shape.js';

/**
 * x [..., in] times [W_0; W_1; ...] transposed, each W_i [out_i, in] (nn.Linear), plus the biases
 * [b_0, b_1, ...] when given (one per weight, b_i [out_i]): output [..., Σ out_i], W_i's part in
 * columns [Σ_{j<i} out_j, Σ_{j≤i} out_j). The weights are all f32 parameters, or all frozen BF16
 * matrices (widened per product, gradient to x and the biases only). A bias's gradient is the
 * column sum of its block of the output gradient.
 */
export function linearFused(x: Tensor, weights: readonly Tensor[] | readonly Bf16Matrix[], biases: readonly Tensor[] | null = null): Tensor {
  const K = lastDim('linearFused', x);
  if (weights.length === 0) fail('linearFused', 'needs at least one weight');
  const bf16 = weights[0] instanceof Bf16Matrix;
  let N = 0;
  for (const w of weights) {
    if (w instanceof Bf16Matrix !== bf16) fail('linearFused', 'weights must be all f32 tensors or all BF16 matrices');
    if (w.shape.length !== 2 || w.shape[1] !== K) fail('linearFused', `weight ${fmt(w.shape)} does not take inputs of width ${K} (x ${fmt(x.shape)})`);
    N += w.shape[0];
  }
  if (biases !== null) {
    if (biases.length !== weights.length) fail('linearFused', `${biases.length} biases for ${weights.length} weights`);
    biases.forEach((b, i) => {
      if (b.ndim !== 1 || b.shape[0] !== weights[i].shape[0]) fail('linearFused', `bias ${fmt(b.shape)} does not fit weight ${fmt(weights[i].shape)}`);
    });
  }
  const M = x.size / K;
  const be = backend();
  const out = empty([...x.shape.slice(0, -1), N]);
  // With biases, every output row starts as the stacked bias and the product accumulates onto it.
  const bias = biases === null ? null : stacked(biases.map((b) => b.data));
  if (bias !== null) for (let r = 0; r < M; r++) out.data.set(bias, r * N);
  const beta = bias === null ? 0 : 1;
  const f32 = bf16 ? null : (weights as readonly Tensor[]);
  const wcat = f32 === null ? null : stackedWeights(f32);
  const bits = f32 === null ? stacked((weights as readonly Bf16Matrix[]).map((w) => w.bits)) : null;
  if (wcat !== null) be.gemm(false, true, 1, M, N, K, 1, x.data, 0, wcat, 0, beta, out.data, 0);
  else be.linearBf16(x.data, bits!, out.data, M, N, K, beta);
  return record(out, [x, ...(f32 ?? []), ...(biases ?? [])], (g) => {
    const dx = gradFor(x);
    // dX = dY Wcat (one product); dW_i = dY[:, block i]^T X; db_i = column sums of dY[:, block i]
    if (dx && wcat !== null) be.gemm(false, false, 1, M, K, N, 1, g, 0, wcat, 0, 1, dx, 0);
    else if (dx) be.linearBf16Backward(g, bits!, dx, M, N, K);
    let col = 0;
    for (const w of f32 ?? []) {
      const n = w.shape[0];
      const dw = gradFor(w);
      if (dw) be.gemmStrided(true, false, n, K, M, 1, g, col, N, x.data, 0, K, 1, dw, 0, K);
      col += n;
    }
    if (biases === null || !biases.some((b) => b.requiresGrad)) return;
    const sums = new Float32Array(N);
    be.sumRows(g, sums, M, N);
    col = 0;
    for (const b of biases) {
      const db = gradFor(b);
      if (db) be.axpy(1, sums.subarray(col, col + b.size), db, b.size);
      col += b.size;
    }
  });
}

/**
 * The values of weights [W_0; W_1; ...] as one matrix: a view over their buffer when their data
 * lie back to back in that order (no copy; the backward pass then reads the parameters
 * themselves, as `linear` does), else a new concatenation.
 */
export function stackedWeights(weights: readonly Tensor[]): Float32Array {
  return stacked(weights.map((w) => w.data));
}

/** Arrays [a_0, a_1, ...] as one: a view when they lie back to back in one buffer, else a copy. */
export function stacked<A extends Float32Array | Uint16Array>(parts: readonly A[]): A {
  const first = parts[0];
  const size = parts.reduce((n, a) => n + a.length, 0);
  let at = first.byteOffset;
  const contiguous = parts.every((a) => {
    const ok = a.buffer === first.buffer && a.byteOffset === at;
    at += a.byteLength;
    return ok;
  });
  const Ctor = first.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => A;
  if (contiguous) return new Ctor(first.buffer, first.byteOffset, size);
  const cat = new Ctor(new ArrayBuffer(size * first.BYTES_PER_ELEMENT), 0, size);
  let off = 0;
  for (const a of parts) {
    cat.set(a, off);
    off += a.length;
  }
  return cat;
}

export interface PackedAttentionOptions {
  heads: number;
  kvHeads: number;
  /** Position of each token, [B * T]; with `rope`, the angle of its rotation. */
  positions: Int32Array;
  /** RoPE frequencies (rope_theta, or theta with a scaling); null: q and k are used as they are. */
  rope: number | RopeSpec | null;
  /** Defaults to 1 / sqrt(headDim). */
  scale?: number;
}

/**
 * Causal grouped-query attention over qkv [B, T, (heads + 2 kvHeads) * D], each token's q, k and
 * v side by side (linearFused's output), with q and k rotated (RoPE) inside the kernel. Output
 * [B, T, heads * D]: equal to rope + attention on the three parts. A token at position p attends
 * to the p tokens before it and itself, so rows of 0..T-1 are plain causal attention and a row
 * packed with sequences whose positions restart at 0 keeps each sequence to itself.
 */
export function attentionPacked(qkv: Tensor, opts: PackedAttentionOptions): Tensor {
  const { heads, kvHeads, positions } = opts;
  if (qkv.ndim !== 3) fail('attentionPacked', `qkv must be [B, T, (heads + 2 kvHeads) * D], got ${fmt(qkv.shape)}`);
  if (heads < 1 || kvHeads < 1 || heads % kvHeads !== 0) fail('attentionPacked', `heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  const [B, T, width] = qkv.shape;
  const D = width / (heads + 2 * kvHeads);
  if (!Number.isInteger(D)) fail('attentionPacked', `width ${width} is not (${heads} + 2 x ${kvHeads}) heads of one size`);
  if (positions.length !== B * T) fail('attentionPacked', `${positions.length} positions for ${B * T} tokens`);
  let cos: Float32Array | null = null, sin: Float32Array | null = null;
  if (opts.rope !== null) {
    const last = maxOf('attentionPacked', positions);
    const table = ropeTable(D, opts.rope);
    table.ensure(last + 1);
    ({ cos, sin } = table);
  }
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const be = backend();
  const out = empty([B, T, heads * D]);
  const lse = new Float32Array(B * heads * T);
  be.attentionPackedForward(qkv.data, out.data, lse, positions, cos, sin, B, T, heads, kvHeads, D, scale);
  return record(out, [qkv], (g) => {
    const d = gradFor(qkv);
    if (d) be.attentionPackedBackward(qkv.data, out.data, g, lse, d, positions, cos, sin, B, T, heads, kvHeads, D, scale);
  });
}

/** gu [..., 2I], each row's gate then up (linearFused's output): silu(gate) * up, [..., I]. */
export function swigluPacked(gu: Tensor): Tensor {
  const width = lastDim('swigluPacked', gu);
  if (width % 2 !== 0) fail('swigluPacked', `last dimension ${width} is not gate and up of one width`);
  const I = width / 2, rows = gu.size / width;
  const be = backend();
  const out = empty([...gu.shape.slice(0, -1), I]);
  be.swigluPackedForward(gu.data, out.data, rows, I);
  return record(out, [gu], (g) => {
    const d = gradFor(gu);
    if (d) be.swigluPackedBackward(gu.data, g, d, rows, I);
  });
}

/**
 * Qwen3's q_norm / k_norm on a packed qkv [..., (heads + 2 kvHeads) * D] (linearFused's output):
 * RMSNorm over each query head with weight qNorm [D] and over each key head with kNorm [D]; the
 * values pass through. Equal to rmsNorm on the separate q and k tensors viewed as [heads, D] rows.
 */
export function headNormPacked(qkv: Tensor, qNorm: Tensor, kNorm: Tensor, heads: number, kvHeads: number, eps: number): Tensor {
  const W = lastDim('headNormPacked', qkv), D = qNorm.size;
  if (qNorm.ndim !== 1 || kNorm.ndim !== 1 || kNorm.size !== D) fail('headNormPacked', `q_norm ${fmt(qNorm.shape)} and k_norm ${fmt(kNorm.shape)} must both be [head size]`);
  if (W !== (heads + 2 * kvHeads) * D) fail('headNormPacked', `width ${W} is not (${heads} + 2 x ${kvHeads}) heads of ${D}`);
  const M = qkv.size / W, qw = heads * D, kw = kvHeads * D;
  const be = backend();
  // The q and k parts gathered into rows of one head each, normalised, and written back; the
  // values copied as they are. The gathered q and k are not kept: backward gathers them again
  // from qkv, which the tape keeps alive as an input anyway.
  const qo = new Float32Array(M * qw), ko = new Float32Array(M * kw);
  const rq = new Float32Array(M * heads), rk = new Float32Array(M * kvHeads);
  be.rmsNormForward(columns(qkv.data, M, W, 0, qw), qNorm.data, qo, rq, M * heads, D, eps);
  be.rmsNormForward(columns(qkv.data, M, W, qw, kw), kNorm.data, ko, rk, M * kvHeads, D, eps);
  const out = empty(qkv.shape);
  const vw = W - qw - kw;
  for (let r = 0; r < M; r++) {
    out.data.set(qo.subarray(r * qw, (r + 1) * qw), r * W);
    out.data.set(ko.subarray(r * kw, (r + 1) * kw), r * W + qw);
    out.data.set(qkv.data.subarray(r * W + qw + kw, (r + 1) * W), r * W + qw + kw);
  }
  return record(out, [qkv, qNorm, kNorm], (g) => {
    const dx = gradFor(qkv);
    const dq = dx ? new Float32Array(M * qw) : null, dk = dx ? new Float32Array(M * kw) : null;
    be.rmsNormBackward(columns(g, M, W, 0, qw), columns(qkv.data, M, W, 0, qw), qNorm.data, rq, dq, gradFor(qNorm), M * heads, D);
    be.rmsNormBackward(columns(g, M, W, qw, kw), columns(qkv.data, M, W, qw, kw), kNorm.data, rk, dk, gradFor(kNorm), M * kvHeads, D);
    if (!dx) return;
    for (let r = 0; r < M; r++) {
      be.axpy(1, dq!.subarray(r * qw, (r + 1) * qw), dx.subarray(r * W, r * W + qw), qw);
      be.axpy(1, dk!.subarray(r * kw, (r + 1) * kw), dx.subarray(r * W + qw, r * W + qw + kw), kw);
      be.axpy(1, g.subarray(r * W + qw + kw, (r + 1) * W), dx.subarray(r * W + qw + kw, (r + 1) * W), vw);
    }
  });
}

/** Columns [c0, c0 + w) of rows [M, W] as a new [M, w] array. */
function columns(a: Float32Array, M: number, W: number, c0: number, w: number): Float32Array {
  const out = new Float32Array(M * w);
  for (let r = 0; r < M; r++) out.set(a.subarray(r * W + c0, r * W + c0 + w), r * w);
  return out;
}
