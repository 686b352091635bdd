// Straightforward float64 reference implementations of the core kernels, written from the
// formulas (loops, no tricks), plus a gradient checker: forward results of the native float32
// kernels are compared with these, and their backward passes with central finite differences
// of these in float64 (so the finite differences themselves are accurate to ~1e-9).
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { Tensor, tensor } from '../../src/core/index.js';

export type F64 = Float64Array;

export function randn(rng: Rng, n: number, std = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.fround(rng.normal() * std);
  return a;
}

/** [batch, M, N] = op(A) op(B) per batch; A, B flat with given transposes (B shared if bBatch=false). */
export function refMatmul(A: F64, B: F64, batch: number, M: number, N: number, K: number, ta: boolean, tb: boolean, bShared: boolean): F64 {
  const C = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const a0 = p * M * K, b0 = bShared ? 0 : p * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const a = ta ? A[a0 + k * M + i] : A[a0 + i * K + k];
          const b = tb ? B[b0 + j * K + k] : B[b0 + k * N + j];
          s += a * b;
        }
        C[p * M * N + i * N + j] = s;
      }
  }
  return C;
}

export function refRmsNorm(x: F64, w: F64, dim: number, eps: number): F64 {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += x[r * dim + j] ** 2;
    const s = 1 / Math.sqrt(ss / dim + eps);
    for (let j = 0; j < dim; j++) y[r * dim + j] = x[r * dim + j] * s * w[j];
  }
  return y;
}

export function refLayerNorm(x: F64, w: F64, b: F64, dim: number, eps: number): F64 {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let mu = 0;
    for (let j = 0; j < dim; j++) mu += x[r * dim + j];
    mu /= dim;
    let v = 0;
    for (let j = 0; j < dim; j++) v += (x[r * dim + j] - mu) ** 2;
    const s = 1 / Math.sqrt(v / dim + eps);
    for (let j = 0; j < dim; j++) y[r * dim + j] = (x[r * dim + j] - mu) * s * w[j] + b[j];
  }
  return y;
}

/** Hugging Face apply_rotary_pos_emb: x*cos + rotate_half(x)*sin, per head, inv_freq = theta^(-2i/D). */
export function refRope(x: F64, pos: Int32Array, heads: number, D: number, theta: number): F64 {
  const y = new Float64Array(x.length);
  const half = D / 2;
  for (let n = 0; n < pos.length; n++)
    for (let h = 0; h < heads; h++) {
      const o = (n * heads + h) * D;
      for (let d = 0; d < D; d++) {
        const i = d % half;
        const ang = pos[n] * Math.pow(theta, -(2 * i) / D);
        const rot = d < half ? -x[o + d + half] : x[o + d - half];
        y[o + d] = x[o + d] * Math.cos(ang) + rot * Math.sin(ang);
      }
    }
  return y;
}

/** Causal GQA attention, q [B,T,Hq*D], k/v [B,T,Hkv*D]. */
export function refAttention(q: F64, k: F64, v: F64, B: number, T: number, Hq: number, Hkv: number, D: number): F64 {
  const out = new Float64Array(q.length);
  const scale = 1 / Math.sqrt(D);
  const g = Hq / Hkv;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / g);
      for (let i = 0; i < T; i++) {
        const s = new Float64Array(i + 1);
        let m = -Infinity;
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[((b * T + i) * Hq + h) * D + d] * k[((b * T + j) * Hkv + hk) * D + d];
          s[j] = dot * scale;
          m = Math.max(m, s[j]);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += Math.exp(s[j] - m);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (Math.exp(s[j] - m) / z) * v[((b * T + j) * Hkv + hk) * D + d];
          out[((b * T + i) * Hq + h) * D + d] = acc;
        }
      }
    }
  return out;
}

export function refLogSoftmaxRow(x: F64, off: number, V: number): F64 {
  let m = -Infinity;
  for (let j = 0; j < V; j++) m = Math.max(m, x[off + j]);
  let z = 0;
  for (let j = 0; j < V; j++) z += Math.exp(x[off + j] - m);
  const lse = m + Math.log(z);
  const out = new Float64Array(V);
  for (let j = 0; j < V; j++) out[j] = x[off + j] - lse;
  return out;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const refGelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

export function toTensor(a: F64, shape: readonly number[], requiresGrad = true): Tensor {
  return tensor(Float32Array.from(a), shape, { requiresGrad });
}

export interface GradCase {
  /** Input values (float32-representable) and shapes; inputs with grad=false are constants. */
  inputs: Array<{ data: F64; shape: number[]; grad?: boolean }>;
  /** The op under test on tensors. */
  run: (ts: Tensor[]) => Tensor;
  /** The float64 reference on the same values. */
  ref: (xs: F64[]) => F64;
  /** Elements per input whose gradient is checked (randomly chosen); all if larger than the input. */
  samples?: number;
  forwardTol?: number;
  gradTol?: number;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (error ${worst.toExponential(2)} > ${tol})`);
}

/**
 * Checks forward against the reference and backward against float64 central differences of the
 * reference for L = sum(out * R), R random. Tolerances: the kernels run in float32 (relative
 * rounding ~6e-8 per op, accumulating over sums of up to a few hundred terms), so 1e-4 relative
 * (to 1 + |value|) leaves a wide margin while any wrong formula gives errors of order 1.
 */
export function gradCheck(c: GradCase, rng: Rng): void {
  const ts = c.inputs.map((i) => toTensor(i.data, i.shape, i.grad ?? true));
  const out = c.run(ts);
  const xs = c.inputs.map((i) => Float64Array.from(i.data));
  const expected = c.ref(xs);
  assertClose(out.data, expected, c.forwardTol ?? 1e-4, 'forward');
  const R = randn(rng, out.size);
  out.backward(Float32Array.from(R));
  const h = 1e-6;
  const loss = (): number => {
    const y = c.ref(xs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * R[i];
    return s;
  };
  c.inputs.forEach((inp, k) => {
    if (inp.grad === false) return;
    const grad = ts[k].grad;
    assert.ok(grad, `input ${k} got no gradient`);
    const n = inp.data.length;
    const picks = (c.samples ?? 24) >= n ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: c.samples ?? 24 }, () => rng.int(n));
    const num: number[] = [], ana: number[] = [];
    for (const i of picks) {
      const x0 = xs[k][i];
      xs[k][i] = x0 + h;
      const lp = loss();
      xs[k][i] = x0 - h;
      const lm = loss();
      xs[k][i] = x0;
      num.push((lp - lm) / (2 * h));
      ana.push(grad[i]);
    }
    assertClose(ana, num, c.gradTol ?? 1e-4, `gradient of input ${k}`);
  });
}
