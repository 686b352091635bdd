// Transformer building blocks on the tape: embedding lookup, RMSNorm, LayerNorm, rotary position
// embedding and fused causal grouped-query attention.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { checkIds, fail, fmt, lastDim } from './shape.js';

/** Rows of weight [V, dim] picked by ids (shape `shape`, e.g. [B, T]); output [...shape, dim]. */
export function embedding(weight: Tensor, ids: Int32Array, shape: readonly number[] = [ids.length]): Tensor {
  if (weight.ndim !== 2) fail('embedding', `weight must be [vocab, dim], got ${fmt(weight.shape)}`);
  const [V, dim] = weight.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== ids.length) fail('embedding', `${ids.length} ids do not fill shape ${fmt(shape)}`);
  checkIds('embedding', ids, V);
  const be = backend();
  const out = empty([...shape, dim]);
  be.embeddingForward(weight.data, ids, out.data, n, dim);
  return record(out, [weight], (g) => {
    const dw = gradFor(weight);
    if (dw) be.embeddingBackward(g, ids, dw, n, dim);
  });
}

/** x / sqrt(mean(x^2) + eps) * weight over the last dimension. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  const dim = lastDim('rmsNorm', x);
  if (weight.size !== dim) fail('rmsNorm', `weight has ${weight.size} values, last dimension is ${dim}`);
  const rows = x.size / dim;
  const be = backend();
  const out = empty(x.shape);
  const rstd = new Float32Array(rows);
  be.rmsNormForward(x.data, weight.data, out.data, rstd, rows, dim, eps);
  return record(out, [x, weight], (g) => {
    be.rmsNormBackward(g, x.data, weight.data, rstd, gradFor(x), gradFor(weight), rows, dim);
  });
}

/** (x - mean) / sqrt(var + eps) * weight + bias over the last dimension (weight, bias optional). */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const dim = lastDim('layerNorm', x);
  if (weight && weight.size !== dim) fail('layerNorm', `weight has ${weight.size} values, last dimension is ${dim}`);
  if (bias && bias.size !== dim) fail('layerNorm', `bias has ${bias.size} values, last dimension is ${dim}`);
  const rows = x.size / dim;
  const be = backend();
  const out = empty(x.shape);
  const mu = new Float32Array(rows), rstd = new Float32Array(rows);
  be.layerNormForward(x.data, weight?.data ?? null, bias?.data ?? null, out.data, mu, rstd, rows, dim, eps);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, inputs, (g) => {
    be.layerNormBackward(g, x.data, weight?.data ?? null, mu, rstd, gradFor(x), weight ? gradFor(weight) : null,
      bias ? gradFor(bias) : null, rows, dim);
  });
}

/**
 * Llama 3's long-context RoPE scaling (Hugging Face field names): low frequencies are divided by
 * `factor`, high ones kept, and the band between blended smoothly.
 */
export interface RopeLlama3Scaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

/** Linear RoPE scaling (position interpolation): every frequency divided by `factor`. */
export interface RopeLinearScaling {
  rope_type: 'linear';
  factor: number;
}

/** Rotary frequencies: the base theta and an optional scaling. */
export interface RopeSpec {
  theta: number;
  scaling?: RopeLlama3Scaling | RopeLinearScaling | null;
}

/** inv_freq[i] = theta^(-2i/headDim), then the scaling if given (float32, as transformers). */
export function ropeInverseFrequencies(headDim: number, spec: RopeSpec): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(spec.theta, Math.fround((2 * i) / headDim));
  const sc = spec.scaling;
  if (!sc) return inv;
  if (sc.rope_type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = inv[i] / sc.factor;
    return inv;
  }
  const oldLen = sc.original_max_position_embeddings;
  const lowFreqWavelen = oldLen / sc.low_freq_factor;
  const highFreqWavelen = oldLen / sc.high_freq_factor;
  for (let i = 0; i < half; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    if (wavelen > lowFreqWavelen) inv[i] = inv[i] / sc.factor;
    else if (wavelen >= highFreqWavelen) {
      const smooth = (oldLen / wavelen - sc.low_freq_factor) / (sc.high_freq_factor - sc.low_freq_factor);
      inv[i] = (1 - smooth) * (inv[i] / sc.factor) + smooth * inv[i];
    }
  }
  return inv;
}

/** cos and sin of position * inv_freq, [maxPos, headDim/2], computed in float32 as transformers does. */
export class RopeTable {
  cos: Float32Array = new Float32Array(0);
  sin: Float32Array = new Float32Array(0);
  private positions = 0;
  readonly invFreq: Float32Array;
  constructor(readonly headDim: number, readonly spec: RopeSpec) {
    if (headDim % 2 !== 0) fail('rope', `head dimension must be even, got ${headDim}`);
    this.invFreq = ropeInverseFrequencies(headDim, spec);
  }

  /** Makes sure positions [0, n) are in the table. */
  ensure(n: number): void {
    if (n <= this.positions) return;
    const cap = Math.max(n, this.positions * 2, 256);
    const half = this.headDim / 2;
    const cos = new Float32Array(cap * half), sin = new Float32Array(cap * half);
    const invFreq = this.invFreq;
    for (let p = 0; p < cap; p++) {
      for (let i = 0; i < half; i++) {
        const f = Math.fround(p * invFreq[i]);
        cos[p * half + i] = Math.cos(f);
        sin[p * half + i] = Math.sin(f);
      }
    }
    this.cos = cos;
    this.sin = sin;
    this.positions = cap;
  }
}

const tables = new Map<string, RopeTable>();

/** The shared table for (headDim, frequencies). */
export function ropeTable(headDim: number, freq: number | RopeSpec): RopeTable {
  const spec = typeof freq === 'number' ? { theta: freq } : freq;
  const key = `${headDim}/${spec.theta}/${JSON.stringify(spec.scaling ?? null)}`;
  let t = tables.get(key);
  if (!t) {
    t = new RopeTable(headDim, spec);
    tables.set(key, t);
  }
  return t;
}

/** The largest position in `a` (0 when empty); a negative one is an error of `op`. */
export function maxOf(op: string, a: Int32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0) fail(op, `negative position ${a[i]}`);
    if (a[i] > m) m = a[i];
  }
  return m;
}

/** Positions 0..T-1 for each of B rows. */
export function rowPositions(B: number, T: number): Int32Array {
  const p = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) p[b * T + t] = t;
  return p;
}

/**
 * Rotary position embedding (Hugging Face rotate_half convention) of x [..., heads * headDim];
 * `positions` gives the position of each token (x.size / (heads * headDim) of them); `freq` is
 * rope_theta, or theta with a scaling.
 */
export function rope(x: Tensor, positions: Int32Array, heads: number, freq: number | RopeSpec): Tensor {
  const width = lastDim('rope', x);
  if (width % heads !== 0) fail('rope', `last dimension ${width} is not a multiple of ${heads} heads`);
  const D = width / heads;
  const N = x.size / width;
  if (positions.length !== N) fail('rope', `${positions.length} positions for ${N} tokens`);
  const table = ropeTable(D, freq);
  table.ensure(maxOf('rope', positions) + 1);
  const { cos, sin } = table;
  const be = backend();
  const out = empty(x.shape);
  be.rope(x.data, out.data, positions, cos, sin, N, heads, D, false, false);
  return record(out, [x], (g) => {
    const dx = gradFor(x);
    if (dx) be.rope(g, dx, positions, cos, sin, N, heads, D, true, true);
  });
}

export interface AttentionOptions {
  heads: number;
  kvHeads: number;
  /** Defaults to 1 / sqrt(headDim). */
  scale?: number;
}

/**
 * Causal self-attention, q [B, T, heads*D], k and v [B, T, kvHeads*D] (grouped-query: query head h
 * reads key/value head floor(h / (heads / kvHeads))); output [B, T, heads*D]. Fused: the
 * probabilities are recomputed in the backward pass from the saved log-sum-exp.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  const { heads, kvHeads } = opts;
  if (q.ndim !== 3 || k.ndim !== 3 || v.ndim !== 3) fail('attention', `q, k, v must be [B, T, H*D], got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  const [B, T, wq] = q.shape;
  if (heads < 1 || kvHeads < 1 || heads % kvHeads !== 0) fail('attention', `heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (wq % heads !== 0) fail('attention', `q width ${wq} is not a multiple of ${heads} heads`);
  const D = wq / heads;
  for (const [name, t] of [['k', k], ['v', v]] as const) {
    if (t.shape[0] !== B || t.shape[1] !== T || t.shape[2] !== kvHeads * D) fail('attention', `${name} must be [${B}, ${T}, ${kvHeads * D}], got ${fmt(t.shape)}`);
  }
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const be = backend();
  const out = empty(q.shape);
  const lse = new Float32Array(B * heads * T);
  be.attentionForward(q.data, k.data, v.data, out.data, lse, B, T, heads, kvHeads, D, scale);
  return record(out, [q, k, v], (g) => {
    // The kernel adds into all three; inputs that need no grad get scratch buffers.
    const dq = gradFor(q) ?? new Float32Array(q.size);
    const dk = gradFor(k) ?? new Float32Array(k.size);
    const dv = gradFor(v) ?? new Float32Array(v.size);
    be.attentionBackward(q.data, k.data, v.data, out.data, g, lse, dq, dk, dv, B, T, heads, kvHeads, D, scale);
  });
}
