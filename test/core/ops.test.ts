// Every op's forward against a float64 reference and its backward against float64 finite
// differences, on random shapes with odd sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import {
  add, attention, Bf16Matrix, crossEntropy, embedding, embedInto, embeddingBf16, entropy, gatherLogProbs, gelu, layerNorm, linear, logSoftmax, matmul,
  mean, mul, reshape, rmsNorm, rope, ropeInverseFrequencies, scale, silu, softmax, sum, swiglu, tensor,
} from '../../src/core/index.js';
import {
  assertClose, gradCheck, randn, refAttention, refGelu, refLayerNorm, refLogSoftmaxRow, refMatmul, refRmsNorm, refRope, sigmoid,
} from './reference.js';

const rng = new Rng(1234);

test('matmul: all transpose combinations, batched and shared right operand, odd sizes, one row', () => {
  // M = 1 takes the matrix-vector (sgemv) path.
  for (const M of [5, 1])
  for (const ta of [false, true])
    for (const tb of [false, true])
      for (const shared of [false, true]) {
        const batch = 3, N = 7, K = 9;
        const aShape = ta ? [batch, K, M] : [batch, M, K];
        const bShape = shared ? (tb ? [N, K] : [K, N]) : tb ? [batch, N, K] : [batch, K, N];
        gradCheck({
          inputs: [{ data: randn(rng, batch * M * K), shape: aShape }, { data: randn(rng, (shared ? 1 : batch) * K * N), shape: bShape }],
          run: ([a, b]) => matmul(a, b, { transA: ta, transB: tb }),
          ref: ([a, b]) => refMatmul(a, b, batch, M, N, K, ta, tb, shared),
          samples: 40,
        }, rng);
      }
});

test('matmul: large odd shapes (threaded split paths) match the reference', () => {
  for (const [M, N, K] of [[131, 67, 300], [17, 515, 129], [300, 33, 5]]) {
    const a = randn(rng, M * K), b = randn(rng, N * K);
    const out = matmul(tensor(Float32Array.from(a), [M, K]), tensor(Float32Array.from(b), [N, K]), { transB: true });
    assertClose(out.data, refMatmul(a, b, 1, M, N, K, false, true, true), 1e-4, `matmul ${M}x${N}x${K}`);
  }
});

test('matmul: mismatched inner dimensions are a clear error', () => {
  assert.throws(() => matmul(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(8), [4, 2])), /inner dimensions differ/);
});

test('linear with bias (nn.Linear layout)', () => {
  const N = 6, inF = 11, outF = 5;
  gradCheck({
    inputs: [{ data: randn(rng, N * inF), shape: [2, 3, inF] }, { data: randn(rng, outF * inF), shape: [outF, inF] }, { data: randn(rng, outF), shape: [outF] }],
    run: ([x, w, b]) => linear(x, w, b),
    ref: ([x, w, b]) => {
      const y = refMatmul(x, w, 1, N, outF, inF, false, true, true);
      for (let i = 0; i < y.length; i++) y[i] += b[i % outF];
      return y;
    },
    samples: 30,
  }, rng);
});

test('linear: an input and a weight shared by several products (first gradient written, later ones added)', () => {
  // The q/k/v pattern: one normalised input feeds three projections, and a weight used twice;
  // the first backward product overwrites a fresh gradient, the others add to it.
  const N = 6, inF = 9, outF = 4;
  gradCheck({
    inputs: [{ data: randn(rng, N * inF), shape: [N, inF] }, { data: randn(rng, outF * inF), shape: [outF, inF] }, { data: randn(rng, outF * inF), shape: [outF, inF] }],
    run: ([x, w1, w2]) => add(add(linear(x, w1), linear(x, w2)), mul(linear(x, w1), linear(x, w1))),
    ref: ([x, w1, w2]) => {
      const a = refMatmul(x, w1, 1, N, outF, inF, false, true, true), b = refMatmul(x, w2, 1, N, outF, inF, false, true, true);
      return a.map((v, i) => v + b[i] + v * v);
    },
    samples: 30,
  }, rng);
});

test('embedding: lookup and scatter-add backward with repeated ids', () => {
  const V = 7, dim = 5;
  const ids = Int32Array.of(3, 0, 3, 6, 1, 3);
  gradCheck({
    inputs: [{ data: randn(rng, V * dim), shape: [V, dim] }],
    run: ([w]) => embedding(w, ids, [2, 3]),
    ref: ([w]) => {
      const y = new Float64Array(ids.length * dim);
      ids.forEach((t, n) => { for (let j = 0; j < dim; j++) y[n * dim + j] = w[t * dim + j]; });
      return y;
    },
    samples: 100,
  }, rng);
  assert.throws(() => embedding(tensor(new Float32Array(V * dim), [V, dim]), Int32Array.of(7)), /outside the vocabulary/);
});

test('every embedding lookup refuses a token id outside the vocabulary, naming the op, the id and its position', () => {
  const V = 5, dim = 3, ids = Int32Array.of(0, 4, 5);
  const msg = (op: string) => new RegExp(` ${op}: token id 5 at position 2 is outside the vocabulary \\[0, 5\\)$`);
  assert.throws(() => embedding(tensor(new Float32Array(V * dim), [V, dim]), ids), msg('embedding'));
  assert.throws(() => embeddingBf16(new Bf16Matrix([V, dim]), ids), msg('embeddingBf16'));
  assert.throws(() => embedInto(new Float32Array(V * dim), ids, dim, new Float32Array(ids.length * dim)), msg('embedInto'));
  assert.throws(() => embedInto(new Float32Array(V * dim), Int32Array.of(-1), dim, new Float32Array(dim)), /embedInto: token id -1 at position 0/);
});

test('rmsNorm and layerNorm', () => {
  const rows = 7, dim = 13;
  gradCheck({
    inputs: [{ data: randn(rng, rows * dim), shape: [rows, dim] }, { data: randn(rng, dim), shape: [dim] }],
    run: ([x, w]) => rmsNorm(x, w, 1e-5),
    ref: ([x, w]) => refRmsNorm(x, w, dim, 1e-5),
    samples: 40,
  }, rng);
  gradCheck({
    inputs: [{ data: randn(rng, rows * dim), shape: [rows, dim] }, { data: randn(rng, dim), shape: [dim] }, { data: randn(rng, dim), shape: [dim] }],
    run: ([x, w, b]) => layerNorm(x, w, b, 1e-5),
    ref: ([x, w, b]) => refLayerNorm(x, w, b, dim, 1e-5),
    samples: 40,
  }, rng);
});

test('rope: Hugging Face rotate_half convention at arbitrary positions', () => {
  const N = 5, heads = 3, D = 8, theta = 500000;
  const pos = Int32Array.of(0, 1, 7, 300, 2);
  gradCheck({
    inputs: [{ data: randn(rng, N * heads * D), shape: [N, heads * D] }],
    run: ([x]) => rope(x, pos, heads, theta),
    ref: ([x]) => refRope(x, pos, heads, D, theta),
    samples: 60,
  }, rng);
});

test('attention: causal grouped-query, sequence longer than one kernel block', () => {
  for (const [B, T, Hq, Hkv, D] of [[2, 5, 4, 2, 6], [1, 67, 2, 1, 4], [2, 3, 3, 3, 10], [1, 66, 2, 2, 32]]) {
    gradCheck({
      inputs: [
        { data: randn(rng, B * T * Hq * D), shape: [B, T, Hq * D] },
        { data: randn(rng, B * T * Hkv * D), shape: [B, T, Hkv * D] },
        { data: randn(rng, B * T * Hkv * D), shape: [B, T, Hkv * D] },
      ],
      run: ([q, k, v]) => attention(q, k, v, { heads: Hq, kvHeads: Hkv }),
      ref: ([q, k, v]) => refAttention(q, k, v, B, T, Hq, Hkv, D),
      samples: 20,
      gradTol: 3e-4,
    }, rng);
  }
});

test('attention: a later (padding) token does not change earlier outputs', () => {
  const B = 1, T = 6, H = 2, D = 4;
  const q = randn(rng, B * T * H * D), k = randn(rng, B * T * H * D), v = randn(rng, B * T * H * D);
  const run = () => attention(tensor(Float32Array.from(q), [B, T, H * D]), tensor(Float32Array.from(k), [B, T, H * D]), tensor(Float32Array.from(v), [B, T, H * D]), { heads: H, kvHeads: H }).data;
  const before = run();
  for (let i = (T - 1) * H * D; i < T * H * D; i++) { k[i] += 5; v[i] -= 3; q[i] *= 2; }
  const after = run();
  assert.deepEqual(after.subarray(0, (T - 1) * H * D), before.subarray(0, (T - 1) * H * D));
});

test('silu, gelu, swiglu', () => {
  const n = 37;
  gradCheck({ inputs: [{ data: randn(rng, n, 3), shape: [n] }], run: ([x]) => silu(x), ref: ([x]) => x.map((v) => v * sigmoid(v)), samples: 37 }, rng);
  gradCheck({ inputs: [{ data: randn(rng, n, 3), shape: [n] }], run: ([x]) => gelu(x), ref: ([x]) => x.map(refGelu), samples: 37 }, rng);
  gradCheck({
    inputs: [{ data: randn(rng, n, 3), shape: [n] }, { data: randn(rng, n), shape: [n] }],
    run: ([g, u]) => swiglu(g, u),
    ref: ([g, u]) => g.map((v, i) => v * sigmoid(v) * u[i]),
    samples: 37,
  }, rng);
});

test('softmax and logSoftmax over the last dimension', () => {
  const rows = 4, V = 19;
  const refRows = (x: Float64Array, log: boolean) => {
    const y = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) refLogSoftmaxRow(x, r * V, V).forEach((v, j) => { y[r * V + j] = log ? v : Math.exp(v); });
    return y;
  };
  gradCheck({ inputs: [{ data: randn(rng, rows * V, 4), shape: [rows, V] }], run: ([x]) => softmax(x), ref: ([x]) => refRows(x, false), samples: 40 }, rng);
  gradCheck({ inputs: [{ data: randn(rng, rows * V, 4), shape: [rows, V] }], run: ([x]) => logSoftmax(x), ref: ([x]) => refRows(x, true), samples: 40 }, rng);
});

test('gatherLogProbs: [B,T,V] -> [B,T], fused log-softmax and gather', () => {
  const B = 2, T = 3, V = 23;
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  gradCheck({
    inputs: [{ data: randn(rng, B * T * V, 3), shape: [B, T, V] }],
    run: ([x]) => {
      const y = gatherLogProbs(x, targets);
      assert.deepEqual(y.shape, [B, T]);
      return y;
    },
    ref: ([x]) => Float64Array.from(targets, (t, r) => refLogSoftmaxRow(x, r * V, V)[t]),
    samples: 60,
  }, rng);
});

test('crossEntropy: mean over rows, ignoreIndex rows skipped', () => {
  const N = 6, V = 11;
  const targets = Int32Array.of(1, -100, 10, 0, -100, 5);
  gradCheck({
    inputs: [{ data: randn(rng, N * V, 2), shape: [N, V] }],
    run: ([x]) => crossEntropy(x, targets),
    ref: ([x]) => {
      let s = 0, c = 0;
      targets.forEach((t, r) => { if (t !== -100) { s -= refLogSoftmaxRow(x, r * V, V)[t]; c++; } });
      return Float64Array.of(s / c);
    },
    samples: 66,
  }, rng);
});

test('entropy per row matches -sum p log p', () => {
  const rows = 5, V = 17;
  const x = randn(rng, rows * V, 3);
  const h = entropy(tensor(Float32Array.from(x), [rows, V]));
  const expected = Float64Array.from({ length: rows }, (_, r) => {
    const lp = refLogSoftmaxRow(x, r * V, V);
    return -lp.reduce((s, v) => s + Math.exp(v) * v, 0);
  });
  assertClose(h.data, expected, 1e-5, 'entropy');
  const uniform = entropy(tensor(new Float32Array(V), [1, V]));
  assert.ok(Math.abs(uniform.data[0] - Math.log(V)) < 1e-5);
});

test('add and mul with a broadcast trailing operand, scale, sum, mean, reshape', () => {
  const rows = 5, cols = 7;
  for (const bShape of [[rows, cols], [cols]]) {
    const nb = bShape.reduce((a, b) => a * b, 1);
    gradCheck({
      inputs: [{ data: randn(rng, rows * cols), shape: [rows, cols] }, { data: randn(rng, nb), shape: bShape }],
      run: ([a, b]) => add(a, b),
      ref: ([a, b]) => a.map((v, i) => v + b[i % nb]),
      samples: 35,
    }, rng);
    gradCheck({
      inputs: [{ data: randn(rng, rows * cols), shape: [rows, cols] }, { data: randn(rng, nb), shape: bShape }],
      run: ([a, b]) => mul(a, b),
      ref: ([a, b]) => a.map((v, i) => v * b[i % nb]),
      samples: 35,
    }, rng);
  }
  gradCheck({ inputs: [{ data: randn(rng, 12), shape: [3, 4] }], run: ([a]) => scale(reshape(a, [4, 3]), -2.5), ref: ([a]) => a.map((v) => -2.5 * v) }, rng);
  gradCheck({ inputs: [{ data: randn(rng, 12), shape: [3, 4] }], run: ([a]) => sum(a), ref: ([a]) => Float64Array.of(a.reduce((s, v) => s + v, 0)) }, rng);
  gradCheck({ inputs: [{ data: randn(rng, 12), shape: [3, 4] }], run: ([a]) => mean(a), ref: ([a]) => Float64Array.of(a.reduce((s, v) => s + v, 0) / 12) }, rng);
  assert.throws(() => add(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(2), [2])), /cannot broadcast/);
});

test('Llama 3 RoPE scaling: inverse frequencies against hand-computed values', () => {
  // headDim 8, theta 10000: inv_freq = 1, 0.1, 0.01, 0.001 (wavelengths 2π/inv_freq).
  // original context 1000, low_freq_factor 1, high_freq_factor 4: wavelengths under 250 stay,
  // over 1000 are divided by factor 8, and 628.3 (inv 0.01) is blended with
  // smooth = (1000/628.32 − 1)/3 = 0.197183: 0.01·(1 − smooth)/8 + 0.01·smooth = 0.00297535.
  const inv = ropeInverseFrequencies(8, {
    theta: 10000,
    scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1000 },
  });
  const expected = [1, 0.1, 0.00297535, 0.000125];
  expected.forEach((e, i) => assert.ok(Math.abs(inv[i] - e) / e < 1e-5, `inv_freq[${i}] = ${inv[i]}, expected ${e}`));
  assert.deepEqual([...ropeInverseFrequencies(8, { theta: 10000 })].map((v) => Number(v.toPrecision(6))), [1, 0.1, 0.01, 0.001]);
});

test('random add/mul/reshape graphs: gradients match finite differences (no buffer aliasing between paths)', () => {
  // add and reshape hand their output gradient over to an input instead of copying it; a random
  // program where values are reused by several later ops checks that no two live tensors end up
  // sharing a gradient buffer.
  const n = 6;
  for (let trial = 0; trial < 30; trial++) {
    const prog: Array<[number, number, number]> = [];
    for (let k = 0; k < 10; k++) prog.push([rng.int(3), rng.int(k + 3), rng.int(k + 3)]);
    const out = prog.length + 2;
    gradCheck({
      inputs: [0, 1, 2].map(() => ({ data: randn(rng, n, 0.5), shape: [2, 3] })),
      run: (ts) => {
        const vals = [...ts];
        for (const [op, i, j] of prog) vals.push(op === 0 ? add(vals[i], vals[j]) : op === 1 ? mul(vals[i], vals[j]) : reshape(add(reshape(vals[i], [3, 2]), reshape(vals[j], [3, 2])), [2, 3]));
        return add(add(vals[out], vals[out - 1]), add(ts[0], add(ts[1], ts[2])));
      },
      ref: (xs) => {
        const vals = [...xs];
        for (const [op, i, j] of prog) vals.push(vals[i].map((v, e) => (op === 1 ? v * vals[j][e] : v + vals[j][e])));
        return vals[out].map((v, e) => v + vals[out - 1][e] + xs[0][e] + xs[1][e] + xs[2][e]);
      },
      samples: n,
      gradTol: 1e-3,
    }, rng);
  }
});
