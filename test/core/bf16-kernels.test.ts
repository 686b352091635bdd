// Every kernel of the opt-in BF16 products (src/core/native/decode.cc, amx.cc) that this machine
// can run, forced in turn: AMX tiles, vdpbf16ps and the portable loop each equal a
// double-precision product of the BF16-rounded operands within the f32 summation bound, on edge
// shapes (rows not a multiple of 16, columns not a multiple of 16 or of a panel pair, K shorter
// than a tile, K with a tail past whole tiles), with and without accumulation, on 1 and 2 threads.
// AMX also gives the same bits on 1 and 2 threads. Where the CPU (or OS, or build) lacks AMX its
// assertions are skipped with the reason printed; the fallback kernels are tested everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16Kernels, bf16Panels, buildInfo, getNumThreads, linearBf16DotInto, setBf16Kernel, setNumThreads, type Bf16Kernel } from '../../src/core/index.js';
import { Rng } from '../../src/util/rng.js';

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Each value rounded to BF16 (round to nearest even). */
function bf16(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length), outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < a.length; i++) outBits[i] = (((bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return out;
}

/** The kernels this machine runs; AMX's absence is printed, not hidden. */
function kernels(): Bf16Kernel[] {
  const k = bf16Kernels();
  const list: Bf16Kernel[] = ['portable'];
  if (k.avx512Bf16) list.push('avx512_bf16');
  else console.log(`vdpbf16ps kernel not in this build: skipped`);
  if (k.amx) list.push('amx');
  else console.log(`AMX tile products skipped: ${k.amxUnavailable}`);
  return list;
}

// [M, N, K]: M past one and two row tiles and below the AMX threshold; N of 1 panel, a partial
// panel, an odd panel count, several pairs; K below 32 (tail only), odd, exactly one tile, a tile
// plus a tail, several tiles.
const SHAPES = [[1, 5, 3], [3, 16, 31], [16, 17, 32], [17, 50, 33], [33, 97, 64], [40, 48, 95], [20, 130, 160]];

function withKernel<T>(k: Bf16Kernel, fn: () => T): T {
  setBf16Kernel(k);
  try {
    return fn();
  } finally {
    setBf16Kernel('auto');
  }
}

test('every BF16 kernel equals a double-precision product of the BF16-rounded operands (edge shapes, accumulate, 1 and 2 threads)', () => {
  const saved = getNumThreads();
  const list = kernels();
  try {
    for (const [M, N, K] of SHAPES) {
      const rng = new Rng(M * 1000 + N + K);
      const x = randn(rng, M * K), w = randn(rng, N * K), y0 = randn(rng, M * N);
      const panels = bf16Panels(w, N, K);
      const xr = bf16(x), wr = bf16(w);
      // The products in double (exact: BF16 x BF16 fits in f32 and double) and their magnitudes.
      const dot = new Float64Array(M * N), mag = new Float64Array(M * N);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < K; k++) {
            const p = xr[m * K + k] * wr[n * K + k];
            dot[m * N + n] += p;
            mag[m * N + n] += Math.abs(p);
          }
        }
      }
      for (const kernel of list) {
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          for (const accumulate of [false, true]) {
            const y = y0.slice();
            withKernel(kernel, () => linearBf16DotInto(x, M, panels, y, accumulate));
            for (let i = 0; i < M * N; i++) {
              const want = dot[i] + (accumulate ? y0[i] : 0);
              // K + 1 f32 additions of exact products, in any order: at most (K + 1) units of 2^-24 of the magnitude.
              const bound = (K + 1) * 2 ** -24 * (mag[i] + (accumulate ? Math.abs(y0[i]) : 0)) + 1e-30;
              assert.ok(Math.abs(y[i] - want) <= bound, `${kernel} [${M},${N},${K}] t${threads} (${Math.floor(i / N)},${i % N}) acc ${accumulate}: ${y[i]} vs ${want}`);
            }
          }
        }
      }
    }
  } finally {
    setNumThreads(saved);
  }
});

test('the BF16 products leave memory past the outputs alone and are bit-identical on 1 and 2 threads', () => {
  const saved = getNumThreads();
  try {
    for (const kernel of kernels()) {
      const [M, N, K] = [18, 70, 96];
      const rng = new Rng(5);
      const x = randn(rng, M * K), panels = bf16Panels(randn(rng, N * K), N, K);
      const runs = [1, 2].map((t) => {
        setNumThreads(t);
        const y = new Float32Array(M * N + 7).fill(42);
        withKernel(kernel, () => linearBf16DotInto(x, M, panels, y));
        assert.deepEqual(Array.from(y.subarray(M * N)), new Array(7).fill(42), `${kernel}: wrote past the outputs`);
        return y;
      });
      assert.deepEqual(runs[0], runs[1], `${kernel}: 1 and 2 threads differ`);
    }
  } finally {
    setNumThreads(saved);
  }
});

test('setBf16Kernel refuses an unknown kernel and a kernel this machine lacks, saying why; buildInfo names the batched kernel', () => {
  assert.throws(() => setBf16Kernel('tpu' as Bf16Kernel), /unknown BF16 kernel 'tpu'/);
  const k = bf16Kernels();
  assert.equal(k.forced, 'auto');
  if (k.amx) {
    assert.equal(k.amxUnavailable, null);
    assert.equal(buildInfo().bf16Products, 'amx');
    withKernel('amx', () => assert.equal(bf16Kernels().forced, 'amx'));
  } else {
    assert.match(k.amxUnavailable ?? '', /\w/);
    assert.throws(() => setBf16Kernel('amx'), /AMX tile products are not available: /);
    assert.equal(buildInfo().bf16Products, k.avx512Bf16 ? 'avx512_bf16' : 'portable');
  }
  if (!k.avx512Bf16) assert.throws(() => setBf16Kernel('avx512_bf16'), /not in this build/);
  assert.equal(bf16Kernels().forced, 'auto');
});
