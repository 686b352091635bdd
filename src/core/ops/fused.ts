// Fused training ops for a decoder layer: several projections of one input as one product over
// their concatenated weights, attention reading q, k and v from that product's output with RoPE
// applied inside the kernel, and SwiGLU over a fused gate/up output. The parameters stay separate
// tensors (names, checkpoints and LoRA layouts unchanged), each gradient written into the
// parameter's own `.grad`. When the weights already lie back to back in one buffer (the
// transformer's packed q/k/v and gate/up storage) the product reads them through one view;
// otherwise their concatenation is copied at each call.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { maxOf, ropeTable, type RopeSpec } from './nn.js';
import { fail, fmt, lastDim } from './shape.js';

/**
 * x [..., in] times [W_0; W_1; ...] transposed, each W_i [out_i, in] (nn.Linear, no bias):
 * output [..., Σ out_i], W_i's part in columns [Σ_{j<i} out_j, Σ_{j≤i} out_j).
 */
export function linearFused(x: Tensor, weights: readonly Tensor[]): Tensor {
  const K = lastDim('linearFused', x);
  if (weights.length === 0) fail('linearFused', 'needs at least one weight');
  let N = 0;
  for (const w of weights) {
    if (w.ndim !== 2 || w.shape[1] !== K) fail('linearFused', `weight ${fmt(w.shape)} does not take inputs of width ${K} (x ${fmt(x.shape)})`);
    N += w.shape[0];
  }
  const M = x.size / K;
  const wcat = stackedWeights(weights);
  const be = backend();
  const out = empty([...x.shape.slice(0, -1), N]);
  be.gemm(false, true, 1, M, N, K, 1, x.data, 0, wcat, 0, 0, out.data, 0);
  return record(out, [x, ...weights], (g) => {
    const dx = gradFor(x);
    // dX = dY Wcat (one product); dW_i = dY[:, block i]^T X
    if (dx) be.gemm(false, false, 1, M, K, N, 1, g, 0, wcat, 0, 1, dx, 0);
    let col = 0;
    for (const w of weights) {
      const n = w.shape[0];
      const dw = gradFor(w);
      if (dw) be.gemmStrided(true, false, n, K, M, 1, g, col, N, x.data, 0, K, 1, dw, 0, K);
      col += n;
    }
  });
}

/**
 * The values of weights [W_0; W_1; ...] as one matrix: a view over their buffer when their data
 * lie back to back in that order (no copy; the backward pass then reads the parameters
 * themselves, as `linear` does), else a new concatenation.
 */
export function stackedWeights(weights: readonly Tensor[]): Float32Array {
  const size = weights.reduce((n, w) => n + w.size, 0);
  const first = weights[0].data;
  let at = first.byteOffset;
  const contiguous = weights.every((w) => {
    const ok = w.data.buffer === first.buffer && w.data.byteOffset === at;
    at += w.data.byteLength;
    return ok;
  });
  if (contiguous) return new Float32Array(first.buffer, first.byteOffset, size);
  const cat = new Float32Array(size);
  let off = 0;
  for (const w of weights) {
    cat.set(w.data, off);
    off += w.size;
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
 * [B, T, heads * D]: equal to rope + attention on the three parts.
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
