// The fused decode kernels (src/core/native/decode.cc) against the unfused path they replace:
// attendCachePacked equals rope + writeCache (keys and values) + attendCache on q, k and v taken
// apart, caches included; swigluPackedInto equals swiglu on the two halves; the opt-in BF16 product
// equals a double-precision product of the BF16-rounded operands. Odd sizes (head size 6,
// 3 query heads per key head, rows mapped to other cache rows, several new tokens per row) and
// one or two threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attendCache,
  attendCachePacked,
  bf16Panels,
  linearBf16DotInto,
  linearInto,
  getNumThreads,
  rope,
  ropeTable,
  setNumThreads,
  swiglu,
  swigluPackedInto,
  tensor,
  writeCache,
  type CacheAttentionShape,
} from '../../src/core/index.js';
import { Rng } from '../../src/util/rng.js';

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The unfused path on q, k, v split out of qkv: returns the output; writes the caches. */
function unfused(qkv: Float32Array, kc: Float32Array, vc: Float32Array, pos: Int32Array, rows: Int32Array | null, s: CacheAttentionShape,
  theta: number): Float32Array {
  const { batch, tokens, heads, kvHeads, headDim: D } = s;
  const width = (heads + 2 * kvHeads) * D, N = batch * tokens;
  const q = new Float32Array(N * heads * D), k = new Float32Array(N * kvHeads * D), v = new Float32Array(N * kvHeads * D);
  for (let t = 0; t < N; t++) {
    const row = qkv.subarray(t * width, (t + 1) * width);
    q.set(row.subarray(0, heads * D), t * heads * D);
    k.set(row.subarray(heads * D, (heads + kvHeads) * D), t * kvHeads * D);
    v.set(row.subarray((heads + kvHeads) * D), t * kvHeads * D);
  }
  const tokPos = Int32Array.from({ length: N }, (_, t) => pos[Math.floor(t / tokens)] + (t % tokens));
  const qr = rope(tensor(q, [N, heads * D]), tokPos, heads, theta).data;
  const kr = rope(tensor(k, [N, kvHeads * D]), tokPos, kvHeads, theta).data;
  writeCache('keys', kr, kc, pos, rows, s);
  writeCache('values', v, vc, pos, rows, s);
  const out = new Float32Array(N * heads * D);
  attendCache(qr, kc, vc, pos, rows, out, s);
  return out;
}

test('attendCachePacked equals RoPE, the cache writes and attendCache done apart', () => {
  const saved = getNumThreads();
  try {
    const cases: Array<{ s: CacheAttentionShape; cacheRows: number; rows: Int32Array | null; pos: Int32Array }> = [
      // decode: one token per row, GQA 6/2, head size 6, rows mapped to other cache rows
      { s: { batch: 3, tokens: 1, heads: 6, kvHeads: 2, headDim: 6, maxLen: 9 }, cacheRows: 5, rows: Int32Array.of(4, 0, 2), pos: Int32Array.of(0, 5, 8) },
      // prefill-like: 3 new tokens per row, no GQA, rows in order
      { s: { batch: 2, tokens: 3, heads: 3, kvHeads: 3, headDim: 10, maxLen: 7 }, cacheRows: 2, rows: null, pos: Int32Array.of(0, 4) },
      // one row, one kv head, odd-length history
      { s: { batch: 1, tokens: 1, heads: 4, kvHeads: 1, headDim: 2, maxLen: 13 }, cacheRows: 1, rows: null, pos: Int32Array.of(12) },
      // head sizes the grouped AVX-512 kernel takes: Qwen2.5-0.5B's 7 query heads per kv head at
      // head size 64 over histories that end inside a 16-position vector; 9 query heads (more than
      // one group of 8) at 16 with 3 new tokens; head size 128 (3 heads per pass over the values)
      { s: { batch: 2, tokens: 1, heads: 14, kvHeads: 2, headDim: 64, maxLen: 40 }, cacheRows: 3, rows: Int32Array.of(2, 0), pos: Int32Array.of(37, 16) },
      { s: { batch: 1, tokens: 3, heads: 9, kvHeads: 1, headDim: 16, maxLen: 21 }, cacheRows: 1, rows: null, pos: Int32Array.of(18) },
      { s: { batch: 2, tokens: 1, heads: 8, kvHeads: 2, headDim: 128, maxLen: 19 }, cacheRows: 2, rows: null, pos: Int32Array.of(0, 17) },
    ];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      for (const [ci, { s, cacheRows, rows, pos }] of cases.entries()) {
        const rng = new Rng(ci + 10 * threads);
        const size = cacheRows * s.kvHeads * s.headDim * s.maxLen;
        // Both caches start with the same history (random values in every slot).
        const kc0 = randn(rng, size), vc0 = randn(rng, size);
        const qkv = randn(rng, s.batch * s.tokens * (s.heads + 2 * s.kvHeads) * s.headDim);
        const theta = 500;
        const kcA = kc0.slice(), vcA = vc0.slice();
        const want = unfused(qkv, kcA, vcA, pos, rows, s, theta);
        const kcB = kc0.slice(), vcB = vc0.slice();
        const table = ropeTable(s.headDim, theta);
        table.ensure(s.maxLen);
        const got = new Float32Array(want.length);
        attendCachePacked(qkv, kcB, vcB, pos, rows, table, got, s);
        assert.ok(maxDiff(kcA, kcB) === 0, `case ${ci}: the same keys in the cache`);
        assert.ok(maxDiff(vcA, vcB) === 0, `case ${ci}: the same values in the cache`);
        assert.ok(maxDiff(want, got) < 1e-6, `case ${ci}, ${threads} threads: attention output differs by ${maxDiff(want, got)}`);
      }
    }
  } finally {
    setNumThreads(saved);
  }
});

test('attendCachePacked refuses what does not fit, before touching memory', () => {
  const s: CacheAttentionShape = { batch: 1, tokens: 2, heads: 2, kvHeads: 1, headDim: 4, maxLen: 4 };
  const kc = new Float32Array(4 * 4), vc = new Float32Array(4 * 4), qkv = new Float32Array(2 * 16), out = new Float32Array(2 * 8);
  const table = ropeTable(4, 100);
  table.ensure(4);
  assert.throws(() => attendCachePacked(qkv, kc, vc, Int32Array.of(3), null, table, out, s), /positions 3..4 outside the cache/);
  assert.throws(() => attendCachePacked(qkv, kc, vc, Int32Array.of(0), Int32Array.of(1), table, out, s), /cache row 1 outside/);
  assert.throws(() => attendCachePacked(qkv.subarray(1), kc, vc, Int32Array.of(0), null, table, out, s), /too short/);
});

test('swigluPackedInto equals swiglu of the gate and up halves (odd width, 1 and 2 threads)', () => {
  const saved = getNumThreads();
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const rng = new Rng(threads);
      for (const [rows, inter] of [[1, 7], [5, 33], [3, 4099]]) {
        const gu = randn(rng, rows * 2 * inter);
        const g = new Float32Array(rows * inter), u = new Float32Array(rows * inter);
        for (let r = 0; r < rows; r++) {
          g.set(gu.subarray(r * 2 * inter, r * 2 * inter + inter), r * inter);
          u.set(gu.subarray(r * 2 * inter + inter, (r + 1) * 2 * inter), r * inter);
        }
        const want = swiglu(tensor(g, [rows, inter]), tensor(u, [rows, inter])).data;
        const got = new Float32Array(rows * inter);
        swigluPackedInto(gu, rows, inter, got);
        assert.ok(maxDiff(want, got) < 1e-6, `[${rows}, ${inter}]: ${maxDiff(want, got)}`);
      }
    }
  } finally {
    setNumThreads(saved);
  }
});

/** Each value rounded to BF16 (round to nearest even). */
function bf16(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length), outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < a.length; i++) outBits[i] = (((bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return out;
}

test('linearBf16DotInto equals a double-precision product of the BF16-rounded operands (odd sizes, accumulate, 1 and 2 threads)', () => {
  const saved = getNumThreads();
  try {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      // N past a panel of 16 and past a block of 48; K odd; more rows than a block of 8.
      for (const [M, N, K] of [[1, 5, 3], [3, 17, 33], [11, 50, 64], [9, 97, 129]]) {
        const rng = new Rng(M * 1000 + N + threads);
        const x = randn(rng, M * K), w = randn(rng, N * K), y0 = randn(rng, M * N);
        const panels = bf16Panels(w, N, K);
        const xr = bf16(x), wr = bf16(w);
        for (const accumulate of [false, true]) {
          const y = y0.slice();
          linearBf16DotInto(x, M, panels, y, accumulate);
          for (let m = 0; m < M; m++) {
            for (let n = 0; n < N; n++) {
              let want = accumulate ? y0[m * N + n] : 0;
              let mag = Math.abs(want);
              for (let k = 0; k < K; k++) {
                const p = xr[m * K + k] * wr[n * K + k];
                want += p;
                mag += Math.abs(p);
              }
              // f32 accumulation of K exact products: a few ulps of the magnitude.
              assert.ok(Math.abs(y[m * N + n] - want) <= 1e-6 * mag + 1e-7, `[${M},${N},${K}] (${m},${n}) acc ${accumulate}: ${y[m * N + n]} vs ${want}`);
            }
          }
        }
        // And close to the f32 product: BF16 keeps about 3 significant digits.
        const f32 = new Float32Array(M * N);
        linearInto(x, M, w, N, K, f32);
        const y = new Float32Array(M * N);
        linearBf16DotInto(x, M, panels, y);
        for (let i = 0; i < M * N; i++) assert.ok(Math.abs(y[i] - f32[i]) < 0.03 * Math.sqrt(K), `bf16 vs f32 at ${i}: ${y[i]} vs ${f32[i]}`);
      }
    }
  } finally {
    setNumThreads(saved);
  }
});

test('bf16Panels and linearBf16DotInto refuse mismatched sizes', () => {
  assert.throws(() => bf16Panels(new Float32Array(10), 3, 3), /not \[3, 3\]/);
  const p = bf16Panels(new Float32Array(6), 2, 3);
  assert.throws(() => linearBf16DotInto(new Float32Array(5), 2, p, new Float32Array(4)), /linearBf16DotInto/);
});
