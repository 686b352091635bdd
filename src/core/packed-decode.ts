// Plain-buffer helpers of the transformer's packed decode path for the parts some families add
// (no tape): Qwen3's per-head q/k RMSNorm on a packed q/k/v product, bias rows added into a
// product or the residual stream, products with frozen BF16 weights accumulated into a buffer
// (widened exactly, as training's linearBf16), and the opt-in BF16 products straight from a
// frozen base's row-major BF16 bits (src/core/native/bf16rows.cc), so sampling in BF16 needs no
// second copy of a base that is already BF16.
import { backend } from './backend.js';

/**
 * Qwen3's q_norm / k_norm on rows [rows, (heads + 2 kvHeads) * headDim] of a packed q/k/v
 * product, in place: RMSNorm over every query head with qNorm and every key head with kNorm
 * (values untouched). The same kernel and arithmetic as the training op (headNormPacked).
 */
export function headNormPackedInto(qkv: Float32Array, rows: number, qNorm: Float32Array, kNorm: Float32Array, heads: number, kvHeads: number,
  eps: number): void {
  const D = qNorm.length, W = (heads + 2 * kvHeads) * D;
  if (kNorm.length !== D || qkv.length < rows * W) throw new Error(`headNormPackedInto: qkv ${qkv.length}, norms ${D}/${kNorm.length} for ${rows} rows of ${heads}+2x${kvHeads} heads`);
  const be = backend();
  for (const [c0, width, w, n] of [[0, heads * D, qNorm, heads], [heads * D, kvHeads * D, kNorm, kvHeads]] as const) {
    // The heads of every row gathered into one [rows * n, D] block, normalised, and written back.
    const block = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) block.set(qkv.subarray(r * W + c0, r * W + c0 + width), r * width);
    be.rmsNormForward(block, w, block, new Float32Array(rows * n), rows * n, D, eps);
    for (let r = 0; r < rows; r++) qkv.set(block.subarray(r * width, (r + 1) * width), r * W + c0);
  }
}

/** out [rows, bias.length] += bias on every row. */
export function addBiasRows(out: Float32Array, rows: number, bias: Float32Array): void {
  const n = bias.length;
  if (out.length < rows * n) throw new Error(`addBiasRows: out ${out.length} for ${rows} rows of ${n}`);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) out[o + j] += bias[j];
  }
}

/** y[0 .. n) += x[0 .. n). */
export function addInto(y: Float32Array, x: Float32Array, n: number): void {
  if (x.length < n || y.length < n) throw new Error(`addInto: ${x.length} and ${y.length} values for ${n}`);
  backend().axpy(1, x, y, n);
}

/**
 * out[0 .. rows*N) (+)= x [rows, K] times a frozen BF16 weight [N, K] (row-major bits)
 * transposed, the weight widened exactly (as linearBf16): an f32 product with the BF16 values.
 */
export function linearBf16BitsInto(x: Float32Array, rows: number, bits: Uint16Array, N: number, K: number, out: Float32Array, accumulate = false): void {
  if (x.length < rows * K || bits.length !== N * K || out.length < rows * N) {
    throw new Error(`linearBf16BitsInto: x ${x.length}, weight ${bits.length}, out ${out.length} for rows ${rows}, N ${N}, K ${K}`);
  }
  if (rows > 0) backend().linearBf16(x.subarray(0, rows * K), bits, out.subarray(0, rows * N), rows, N, K, accumulate ? 1 : 0);
}

/**
 * out[0 .. rows*N) (+)= x [rows, K] times a frozen BF16 weight [N, K] (row-major bits)
 * transposed with x rounded to BF16 and f32 sums: the BF16 sampling product of a base that is
 * already BF16 (linearBf16DotInto's arithmetic without a panel copy of the weights). AMX tiles
 * from 4 rows where usable (each thread repacks 32 rows at a time into its own scratch), else
 * vdpbf16ps on the rows as stored, else a portable loop (src/core/native/bf16.cc).
 */
export function linearBf16BitsDotInto(x: Float32Array, rows: number, bits: Uint16Array, N: number, K: number, out: Float32Array, accumulate = false): void {
  if (x.length < rows * K || bits.length !== N * K || out.length < rows * N) {
    throw new Error(`linearBf16BitsDotInto: x ${x.length}, weight ${bits.length}, out ${out.length} for rows ${rows}, N ${N}, K ${K}`);
  }
  if (rows > 0) backend().linearBf16RowsDot(x, bits, out, rows, N, K, accumulate);
}
