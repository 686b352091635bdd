// The fused training ops against float64 references and finite differences, and against the
// plain ops they replace (rope + attention, three linears, swiglu), on tiny and odd shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { Bf16Matrix, headNormPacked, rmsNorm, attention, attentionPacked, linear, linearBf16, linearFused, loraAddBlocksInPlace, loraAddInPlace, rope, swiglu, swigluPacked, tensor, Tensor } from '../../src/core/index.js';
import { stackedWeights } from '../../src/core/ops/fused.js';
import { assertClose, gradCheck, randn, refAttention, refMatmul, refRmsNorm, refRope, sigmoid } from './reference.js';

const rng = new Rng(4321);

/** Columns [c0, c0 + w) of rows of width `width`. */
function cols(a: Float64Array, width: number, c0: number, w: number): Float64Array {
  const rows = a.length / width;
  const out = new Float64Array(rows * w);
  for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) out[r * w + j] = a[r * width + c0 + j];
  return out;
}

/** Rows of parts side by side (the inverse of cols). */
function sideBySide(parts: Float64Array[], widths: number[]): Float64Array {
  const total = widths.reduce((a, b) => a + b, 0);
  const rows = parts[0].length / widths[0];
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    parts.forEach((p, i) => {
      for (let j = 0; j < widths[i]; j++) out[r * total + c + j] = p[r * widths[i] + j];
      c += widths[i];
    });
  }
  return out;
}

test('linearFused: one product over concatenated weights equals the separate products, gradients into each weight', () => {
  for (const [M, K, outs] of [[1, 3, [2]], [7, 5, [3, 1, 4]], [33, 17, [9, 9, 5]]] as Array<[number, number, number[]]>) {
    gradCheck({
      inputs: [{ data: randn(rng, M * K), shape: [M, K] }, ...outs.map((n) => ({ data: randn(rng, n * K), shape: [n, K] }))],
      run: ([x, ...ws]) => linearFused(x, ws),
      ref: ([x, ...ws]) => sideBySide(ws.map((w, i) => refMatmul(x, w, 1, M, outs[i], K, false, true, true)), outs),
      samples: 30,
    }, rng);
  }
});

test('linearFused: large odd shapes (threaded products) and a weight that needs no gradient', () => {
  const M = 301, K = 67, outs = [70, 33];
  const x = randn(rng, M * K), w0 = randn(rng, outs[0] * K), w1 = randn(rng, outs[1] * K);
  const xt = tensor(Float32Array.from(x), [M, K], { requiresGrad: true });
  const a = tensor(Float32Array.from(w0), [outs[0], K], { requiresGrad: true }), b = tensor(Float32Array.from(w1), [outs[1], K]);
  const y = linearFused(xt, [a, b]);
  assertClose(y.data, sideBySide([refMatmul(x, w0, 1, M, outs[0], K, false, true, true), refMatmul(x, w1, 1, M, outs[1], K, false, true, true)], outs), 1e-4, 'forward');
  // Against the plain path: the same loss through two linears gives the same gradients.
  const g = Float32Array.from(randn(rng, y.size));
  y.backward(g);
  const xt2 = tensor(Float32Array.from(x), [M, K], { requiresGrad: true });
  const a2 = tensor(Float32Array.from(w0), [outs[0], K], { requiresGrad: true });
  const y0 = linear(xt2, a2), y1 = linear(xt2, b);
  y0.backward(Float32Array.from(cols(Float64Array.from(g), 103, 0, 70)));
  y1.backward(Float32Array.from(cols(Float64Array.from(g), 103, 70, 33)));
  assertClose(xt.grad!, xt2.grad!, 1e-5, 'dx');
  assertClose(a.grad!, a2.grad!, 1e-5, 'dW');
  assert.equal(b.grad, null);
});

test('linearFused: weights that are consecutive views of one buffer are read in place, with the same outputs and gradients', () => {
  const M = 9, K = 6, outs = [4, 2, 2];
  const x = randn(rng, M * K), g = Float32Array.from(randn(rng, M * 8));
  const packed = Float32Array.from(randn(rng, 8 * K));
  const starts = [0, 4 * K, 6 * K];
  const views = outs.map((n, i) => tensor(packed.subarray(starts[i], starts[i] + n * K), [n, K], { requiresGrad: true }));
  const copies = outs.map((n, i) => tensor(packed.slice(starts[i], starts[i] + n * K), [n, K], { requiresGrad: true }));
  // The view path: the stacked matrix is the packed buffer itself, not a copy.
  const stacked = stackedWeights(views);
  assert.equal(stacked.buffer, packed.buffer);
  assert.equal(stacked.length, packed.length);
  // Out of order, or from separate buffers: a concatenated copy of the same values.
  assert.notEqual(stackedWeights([views[1], views[0]]).buffer, packed.buffer);
  assert.deepEqual(stackedWeights([views[1], views[0]]), Float32Array.from([...views[1].data, ...views[0].data]));
  assert.notEqual(stackedWeights(copies).buffer, packed.buffer);
  assert.deepEqual(stackedWeights(copies), packed);
  const run = (ws: Tensor[]) => {
    const xt = tensor(Float32Array.from(x), [M, K], { requiresGrad: true });
    const y = linearFused(xt, ws);
    y.backward(g);
    return { y: y.data, dx: xt.grad!, dws: ws.map((w) => w.grad!) };
  };
  const a = run(views), b = run(copies);
  assert.deepEqual(a.y, b.y);
  assert.deepEqual(a.dx, b.dx);
  a.dws.forEach((dw, i) => assert.deepEqual(dw, b.dws[i]));
});

/** Each row of y [rows, sum(widths)] plus the biases side by side. */
function plusBias(y: Float64Array, biases: Float64Array[]): Float64Array {
  const total = biases.reduce((n, b) => n + b.length, 0);
  const out = Float64Array.from(y);
  for (let r = 0; r < y.length / total; r++) {
    let c = 0;
    for (const b of biases) for (let j = 0; j < b.length; j++) out[r * total + c++] += b[j];
  }
  return out;
}

test('linearFused with biases (q/k/v of Qwen2): bias added per block, its gradient the column sums of the block', () => {
  for (const [M, K, outs] of [[1, 3, [2]], [7, 5, [3, 1, 4]], [40, 17, [9, 5, 5]]] as Array<[number, number, number[]]>) {
    const n = outs.length;
    gradCheck({
      inputs: [
        { data: randn(rng, M * K), shape: [M, K] },
        ...outs.map((o) => ({ data: randn(rng, o * K), shape: [o, K] })),
        ...outs.map((o) => ({ data: randn(rng, o), shape: [o] })),
      ],
      run: ([x, ...rest]) => linearFused(x, rest.slice(0, n), rest.slice(n)),
      ref: ([x, ...rest]) => plusBias(sideBySide(rest.slice(0, n).map((w, i) => refMatmul(x, w, 1, M, outs[i], K, false, true, true)), outs), rest.slice(n)),
      samples: 30,
    }, rng);
  }
  // Frozen biases (a LoRA base) get no gradient; the others still do.
  const x = tensor(Float32Array.from(randn(rng, 12)), [4, 3], { requiresGrad: true });
  const w = [tensor(Float32Array.from(randn(rng, 6)), [2, 3]), tensor(Float32Array.from(randn(rng, 3)), [1, 3])];
  const b = [tensor(Float32Array.from(randn(rng, 2)), [2]), tensor(Float32Array.from(randn(rng, 1)), [1], { requiresGrad: true })];
  linearFused(x, w, b).backward(new Float32Array(12).fill(1));
  assert.equal(b[0].grad, null);
  assert.deepEqual(b[1].grad, Float32Array.of(4));
  assert.throws(() => linearFused(x, w, [b[0]]), /1 biases for 2 weights/);
  assert.throws(() => linearFused(x, w, [b[1], b[0]]), /bias \[1\] does not fit weight \[2, 3\]/);
});

test('linearFused over frozen BF16 matrices: equal to the f32 product with the widened weights, gradient to x and the biases only', () => {
  const M = 37, K = 19, outs = [11, 4, 4];
  const mats = outs.map((o) => {
    const m = new Bf16Matrix([o, K]);
    // Random bit patterns of moderate values: sign, exponent 120-127, any mantissa.
    for (let i = 0; i < m.bits.length; i++) m.bits[i] = (rng.int(2) << 15) | ((120 + rng.int(8)) << 7) | rng.int(128);
    return m;
  });
  const widened = mats.map((m) => Float64Array.from(m.toFloat32()));
  gradCheck({
    inputs: [{ data: randn(rng, M * K), shape: [M, K] }, ...outs.map((o) => ({ data: randn(rng, o), shape: [o] }))],
    run: ([x, ...bs]) => linearFused(x, mats, bs),
    ref: ([x, ...bs]) => plusBias(sideBySide(widened.map((w, i) => refMatmul(x, w, 1, M, outs[i], K, false, true, true)), outs), bs),
    samples: 30,
  }, rng);
  // Against linearBf16 per matrix, and with the bits back to back in one buffer (read in place).
  const packed = new Uint16Array(19 * K);
  let at = 0;
  const views = mats.map((m) => {
    packed.set(m.bits, at);
    const v = new Bf16Matrix(m.shape, packed.subarray(at, at + m.size));
    at += m.size;
    return v;
  });
  const x = Float32Array.from(randn(rng, M * K)), g = Float32Array.from(randn(rng, M * 19));
  const xf = tensor(Float32Array.from(x), [M, K], { requiresGrad: true });
  const yf = linearFused(xf, views);
  yf.backward(g);
  const xs = tensor(Float32Array.from(x), [M, K], { requiresGrad: true });
  let c0 = 0;
  mats.forEach((m, i) => {
    const y = linearBf16(xs, m);
    assertClose(cols(Float64Array.from(yf.data), 19, c0, outs[i]), y.data, 1e-6, `block ${i}`);
    y.backward(Float32Array.from(cols(Float64Array.from(g), 19, c0, outs[i])));
    c0 += outs[i];
  });
  assertClose(xf.grad!, xs.grad!, 1e-5, 'dx');
  assert.throws(() => linearFused(xf, [mats[0], tensor(new Float32Array(4 * K), [4, K])] as Tensor[]), /all f32 tensors or all BF16 matrices/);
});

test('loraAddBlocksInPlace: adapters of column blocks equal one loraAddInPlace per block (forward and gradients), and the float64 reference', () => {
  const M = 13, K = 7, s = 1.5;
  // Columns 5-7 have no adapter; the second block has its own scale (a rank or alpha pattern).
  const blocks: { r: number; N: number; col: number; s?: number }[] = [{ r: 2, N: 5, col: 0 }, { r: 3, N: 3, col: 8, s: 0.25 }];
  const W = 11;
  // float64 reference with finite differences: y, x, A_0, B_0, A_1, B_1.
  gradCheck({
    inputs: [
      { data: randn(rng, M * W), shape: [M, W] },
      { data: randn(rng, M * K), shape: [M, K] },
      ...blocks.flatMap((b) => [{ data: randn(rng, b.r * K), shape: [b.r, K] }, { data: randn(rng, b.N * b.r), shape: [b.N, b.r] }]),
    ],
    run: ([y, x, ...ab]) => loraAddBlocksInPlace(y, x, blocks.map((b, i) => ({ A: ab[2 * i], B: ab[2 * i + 1], col: b.col, s: b.s })), s),
    ref: ([y, x, ...ab]) => {
      const out = Float64Array.from(y);
      blocks.forEach((b, i) => {
        const xa = refMatmul(x, ab[2 * i], 1, M, b.r, K, false, true, true);
        const d = refMatmul(xa, ab[2 * i + 1], 1, M, b.N, b.r, false, true, true);
        for (let m = 0; m < M; m++) for (let j = 0; j < b.N; j++) out[m * W + b.col + j] += (b.s ?? s) * d[m * b.N + j];
      });
      return out;
    },
    samples: 30,
  }, rng);
  // The same as separate projections, each adapted by loraAddInPlace.
  const x = Float32Array.from(randn(rng, M * K)), y = Float32Array.from(randn(rng, M * W)), g = Float32Array.from(randn(rng, M * W));
  const ab = blocks.map((b) => [Float32Array.from(randn(rng, b.r * K)), Float32Array.from(randn(rng, b.N * b.r))]);
  const params = () => blocks.map((b, i) => ({ A: tensor(ab[i][0].slice(), [b.r, K], { requiresGrad: true }), B: tensor(ab[i][1].slice(), [b.N, b.r], { requiresGrad: true }), col: b.col, s: b.s }));
  const xt = tensor(x.slice(), [M, K], { requiresGrad: true });
  const pb = params();
  const out = loraAddBlocksInPlace(tensor(y.slice(), [M, W]), xt, pb, s);
  out.backward(g);
  const xt2 = tensor(x.slice(), [M, K], { requiresGrad: true });
  const ps = params();
  blocks.forEach((b, i) => {
    const yi = loraAddInPlace(tensor(Float32Array.from(cols(Float64Array.from(y), W, b.col, b.N)), [M, b.N]), xt2, ps[i].A, ps[i].B, b.s ?? s);
    assertClose(cols(Float64Array.from(out.data), W, b.col, b.N), yi.data, 1e-6, `block ${i}`);
    yi.backward(Float32Array.from(cols(Float64Array.from(g), W, b.col, b.N)));
    assertClose(pb[i].A.grad!, ps[i].A.grad!, 1e-5, `dA ${i}`);
    assertClose(pb[i].B.grad!, ps[i].B.grad!, 1e-5, `dB ${i}`);
  });
  assertClose(xt.grad!, xt2.grad!, 1e-5, 'dx');
  assertClose(cols(Float64Array.from(out.data), W, 5, 3), cols(Float64Array.from(y), W, 5, 3), 0, 'columns without an adapter');
  const A = tensor(new Float32Array(2 * K), [2, K]), B = tensor(new Float32Array(8), [4, 2]);
  assert.throws(() => loraAddBlocksInPlace(tensor(new Float32Array(M * W), [M, W]), xt, [{ A, B, col: 0 }, { A, B, col: 3 }], s), /overlap/);
  assert.throws(() => loraAddBlocksInPlace(tensor(new Float32Array(M * W), [M, W]), xt, [{ A, B, col: 8 }], s), /outside y/);
});

test('linearFused: a weight of the wrong width is a clear error', () => {
  const x = tensor(new Float32Array(6), [2, 3]);
  assert.throws(() => linearFused(x, [tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(8), [2, 4])]), /weight \[2, 4\] does not take inputs of width 3/);
});

/** rope + attention in float64 on a packed qkv [B, T, (Hq + 2 Hkv) D]. */
function refPacked(qkv: Float64Array, pos: Int32Array, B: number, T: number, Hq: number, Hkv: number, D: number, theta: number | null): Float64Array {
  const W = (Hq + 2 * Hkv) * D;
  let q = cols(qkv, W, 0, Hq * D), k = cols(qkv, W, Hq * D, Hkv * D);
  const v = cols(qkv, W, (Hq + Hkv) * D, Hkv * D);
  if (theta !== null) {
    q = refRope(q, pos, Hq, D, theta);
    k = refRope(k, pos, Hkv, D, theta);
  }
  return refAttention(q, k, v, B, T, Hq, Hkv, D);
}

test('attentionPacked: RoPE inside the kernel, GQA, odd sizes, longer than one block, head sizes of whole vectors (the AVX-512 tile kernel) and not, with and without rotation', () => {
  for (const [B, T, Hq, Hkv, D, theta] of [[1, 1, 1, 1, 2, 10000], [2, 5, 4, 2, 6, 10000], [1, 67, 2, 1, 4, 500], [2, 3, 3, 3, 10, null], [1, 70, 2, 1, 16, 10000], [1, 13, 1, 1, 64, null]] as Array<[number, number, number, number, number, number | null]>) {
    const pos = new Int32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pos[b * T + t] = t + 3 * b; // rows need not start at 0
    gradCheck({
      inputs: [{ data: randn(rng, B * T * (Hq + 2 * Hkv) * D), shape: [B, T, (Hq + 2 * Hkv) * D] }],
      run: ([qkv]) => attentionPacked(qkv, { heads: Hq, kvHeads: Hkv, positions: pos, rope: theta }),
      ref: ([qkv]) => refPacked(qkv, pos, B, T, Hq, Hkv, D, theta),
      samples: 40,
      gradTol: 3e-4,
    }, rng);
  }
});

test('attentionPacked equals rope + attention on the separate tensors (forward and gradients)', () => {
  const B = 2, T = 70, Hq = 2, Hkv = 2, D = 8, theta = 10000, W = (Hq + 2 * Hkv) * D;
  const pos = new Int32Array(B * T).map((_, i) => i % T);
  const qkv = randn(rng, B * T * W);
  const packed = tensor(Float32Array.from(qkv), [B, T, W], { requiresGrad: true });
  const parts = [cols(qkv, W, 0, Hq * D), cols(qkv, W, Hq * D, Hkv * D), cols(qkv, W, (Hq + Hkv) * D, Hkv * D)]
    .map((p, i) => tensor(Float32Array.from(p), [B, T, (i === 0 ? Hq : Hkv) * D], { requiresGrad: true }));
  const fused = attentionPacked(packed, { heads: Hq, kvHeads: Hkv, positions: pos, rope: theta });
  const plain = attention(rope(parts[0], pos, Hq, theta), rope(parts[1], pos, Hkv, theta), parts[2], { heads: Hq, kvHeads: Hkv });
  assertClose(fused.data, plain.data, 1e-6, 'forward');
  const g = Float32Array.from(randn(rng, fused.size));
  fused.backward(g);
  plain.backward(g);
  const grads = parts.map((p) => Float64Array.from(p.grad!));
  assertClose(packed.grad!, sideBySide(grads, [Hq * D, Hkv * D, Hkv * D]), 1e-5, 'gradient');
});

test('attentionPacked: a width that is not whole heads and a wrong position count are clear errors', () => {
  assert.throws(() => attentionPacked(tensor(new Float32Array(2 * 3 * 13), [2, 3, 13]), { heads: 1, kvHeads: 1, positions: new Int32Array(6), rope: 10000 }), /width 13/);
  assert.throws(() => attentionPacked(tensor(new Float32Array(2 * 3 * 12), [2, 3, 12]), { heads: 1, kvHeads: 1, positions: new Int32Array(5), rope: 10000 }), /5 positions for 6 tokens/);
});

test('swigluPacked: gate and up side by side in each row, equal to swiglu on the halves', () => {
  for (const [rows, I] of [[1, 1], [5, 7], [33, 130]]) {
    gradCheck({
      inputs: [{ data: randn(rng, rows * 2 * I, 3), shape: [rows, 2 * I] }],
      run: ([gu]) => swigluPacked(gu),
      ref: ([gu]) => {
        const y = new Float64Array(rows * I);
        for (let r = 0; r < rows; r++) for (let j = 0; j < I; j++) {
          const g = gu[r * 2 * I + j], u = gu[r * 2 * I + I + j];
          y[r * I + j] = g * sigmoid(g) * u;
        }
        return y;
      },
      samples: 40,
    }, rng);
  }
  const rows = 9, I = 11, gu = randn(rng, rows * 2 * I, 2);
  const a = swigluPacked(new Tensor(Float32Array.from(gu), [rows, 2 * I]));
  const b = swiglu(new Tensor(Float32Array.from(cols(gu, 2 * I, 0, I)), [rows, I]), new Tensor(Float32Array.from(cols(gu, 2 * I, I, I)), [rows, I]));
  assert.deepEqual(a.data, b.data);
  assert.throws(() => swigluPacked(tensor(new Float32Array(6), [2, 3])), /last dimension 3/);
});

test('headNormPacked (Qwen3 q_norm / k_norm): RMSNorm over each q and k head of the packed product with its own weight, v unchanged', () => {
  for (const [M, Hq, Hkv, D] of [[1, 1, 1, 2], [5, 4, 2, 6], [9, 3, 3, 8]]) {
    const W = (Hq + 2 * Hkv) * D, eps = 1e-6;
    gradCheck({
      inputs: [{ data: randn(rng, M * W), shape: [M, W] }, { data: randn(rng, D), shape: [D] }, { data: randn(rng, D), shape: [D] }],
      run: ([qkv, qn, kn]) => headNormPacked(qkv, qn, kn, Hq, Hkv, eps),
      ref: ([qkv, qn, kn]) => sideBySide([
        refRmsNorm(cols(qkv, W, 0, Hq * D), qn, D, eps),
        refRmsNorm(cols(qkv, W, Hq * D, Hkv * D), kn, D, eps),
        cols(qkv, W, (Hq + Hkv) * D, Hkv * D),
      ], [Hq * D, Hkv * D, Hkv * D]),
      samples: 40,
    }, rng);
  }
  // Against rmsNorm on the parts.
  const M = 6, Hq = 2, Hkv = 1, D = 4, W = 16;
  const qkv = randn(rng, M * W), qn = Float32Array.from(randn(rng, D)), kn = Float32Array.from(randn(rng, D));
  const y = headNormPacked(tensor(Float32Array.from(qkv), [M, W]), tensor(qn, [D]), tensor(kn, [D]), Hq, Hkv, 1e-5);
  const q = rmsNorm(tensor(Float32Array.from(cols(qkv, W, 0, Hq * D)), [M * Hq, D]), tensor(qn, [D]), 1e-5);
  assertClose(cols(Float64Array.from(y.data), W, 0, Hq * D), q.data, 0, 'q part');
  assert.throws(() => headNormPacked(tensor(new Float32Array(M * 15), [M, 15]), tensor(qn, [D]), tensor(kn, [D]), Hq, Hkv, 1e-5), /width 15 is not/);
});
