// Frozen BF16 weights: a matrix kept as its 16-bit BF16 patterns (half the memory of f32) and
// ops that widen it per product (native kernels in src/core/native/bf16.cc). Used for the frozen
// base of a LoRA run, whose weights never change and so never need f32 storage or gradients:
// only the input gradient flows back through them.
import { backend } from '../backend.js';
import { Tensor, empty, gradFor, record } from '../tensor.js';
import { checkIds, fail, fmt } from './shape.js';

/** A frozen [rows, cols] matrix stored as BF16 bit patterns, row-major (nn.Linear: [out, in]). */
export class Bf16Matrix {
  readonly shape: readonly [number, number];
  readonly bits: Uint16Array;
  constructor(shape: readonly [number, number], bits?: Uint16Array) {
    const n = shape[0] * shape[1];
    if (!Number.isInteger(n) || shape[0] < 0 || shape[1] < 0) fail('Bf16Matrix', `invalid shape ${fmt(shape)}`);
    if (bits && bits.length !== n) fail('Bf16Matrix', `${bits.length} values for shape ${fmt(shape)}`);
    this.shape = Object.freeze([shape[0], shape[1]] as [number, number]);
    this.bits = bits ?? new Uint16Array(n);
  }

  get size(): number {
    return this.bits.length;
  }

  /** The values as f32 (exact). */
  toFloat32(): Float32Array {
    const out = new Float32Array(this.size);
    backend().bf16Widen(this.bits, out, this.size);
    return out;
  }
}

/** x [..., in] times w [out, in] transposed (nn.Linear without bias); the gradient flows to x only. */
export function linearBf16(x: Tensor, w: Bf16Matrix): Tensor {
  const [N, K] = w.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== K) fail('linearBf16', `input ${fmt(x.shape)} does not end in ${K} (weight ${fmt(w.shape)})`);
  const M = x.size / K;
  const out = empty([...x.shape.slice(0, -1), N]);
  const be = backend();
  be.linearBf16(x.data, w.bits, out.data, M, N, K, 0);
  return record(out, [x], (g) => {
    const dx = gradFor(x);
    if (dx) be.linearBf16Backward(g, w.bits, dx, M, N, K);
  });
}

/** out[0 .. rows*N) = x [rows, K] times w [N, K] transposed, into a caller-owned buffer (no tape): the logits of a decode step. */
export function linearBf16Into(x: Float32Array, rows: number, w: Bf16Matrix, out: Float32Array): void {
  const [N, K] = w.shape;
  if (x.length < rows * K || out.length < rows * N) fail('linearBf16Into', `x ${x.length}, out ${out.length} for rows ${rows}, weight ${fmt(w.shape)}`);
  backend().linearBf16(x.subarray(0, rows * K), w.bits, out.subarray(0, rows * N), rows, N, K, 0);
}

/** Rows of a frozen BF16 embedding [V, dim] picked by ids (shape `shape`); no gradient. */
export function embeddingBf16(w: Bf16Matrix, ids: Int32Array, shape: readonly number[] = [ids.length]): Tensor {
  const [V, dim] = w.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== ids.length) fail('embeddingBf16', `${ids.length} ids do not fill shape ${fmt(shape)}`);
  checkIds('embeddingBf16', ids, V);
  const out = empty([...shape, dim]);
  const be = backend();
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    be.bf16Widen(w.bits.subarray(id * dim, (id + 1) * dim), out.data.subarray(i * dim, (i + 1) * dim), dim);
  }
  return out;
}
