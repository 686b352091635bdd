// The BF16 sampling product straight from a frozen base's row-major BF16 bits
// (linearBf16BitsDotInto, src/core/native/bf16.cc: AMX tiles on per-thread repacked panels from 4
// rows where the CPU allows them, vdpbf16ps on the rows as stored below that): equal to a
// double-precision product of the BF16-rounded operands within the f32 summation bound on edge
// shapes, with and without accumulation, on 1 and 2 threads; the same bits on 1 and 2 threads;
// nothing written past the outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16Kernels, getNumThreads, linearBf16BitsDotInto, setNumThreads } from '../../src/core/index.js';
import { Rng } from '../../src/util/rng.js';
import { bf16ToF32, f32ToBf16 } from '../../src/model/safetensors.js';

/** BF16 bits of each value (round to nearest even, as a BF16 folder stores them) and the values they stand for. */
function toBf16(a: Float32Array): { bits: Uint16Array; values: Float32Array } {
  const bits = f32ToBf16(a), values = new Float32Array(a.length);
  bf16ToF32(bits, values);
  return { bits, values };
}

const randn = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

// [M, N, K]: rows below the AMX threshold, past one and two row tiles; N of a partial panel, an
// odd panel count, several panel pairs; K below 32, odd, one tile, a tile plus a tail, several.
const SHAPES = [[1, 5, 3], [3, 16, 31], [4, 17, 32], [17, 50, 33], [33, 97, 64], [40, 48, 95], [20, 130, 160]];

test('BF16 products from row-major bits equal a double-precision product of the BF16 operands (edge shapes, accumulate, 1 and 2 threads)', () => {
  const k = bf16Kernels();
  if (!k.amx) console.log(`AMX tile products skipped: ${k.amxUnavailable}`);
  const saved = getNumThreads();
  try {
    for (const [M, N, K] of SHAPES) {
      const rng = new Rng(M * 1000 + N + K);
      const x = randn(rng, M * K), y0 = randn(rng, M * N);
      const w = toBf16(randn(rng, N * K)), xr = toBf16(x).values;
      const dot = new Float64Array(M * N), mag = new Float64Array(M * N);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          for (let j = 0; j < K; j++) {
            const p = xr[m * K + j] * w.values[n * K + j];
            dot[m * N + n] += p;
            mag[m * N + n] += Math.abs(p);
          }
        }
      }
      const byThreads: Float32Array[] = [];
      for (const threads of [1, 2]) {
        setNumThreads(threads);
        for (const accumulate of [false, true]) {
          const y = new Float32Array(M * N + 5).fill(42);
          y.set(y0);
          linearBf16BitsDotInto(x, M, w.bits, N, K, y, accumulate);
          assert.deepEqual(Array.from(y.subarray(M * N)), [42, 42, 42, 42, 42], `[${M},${N},${K}]: wrote past the outputs`);
          for (let i = 0; i < M * N; i++) {
            const want = dot[i] + (accumulate ? y0[i] : 0);
            const bound = (K + 1) * 2 ** -24 * (mag[i] + (accumulate ? Math.abs(y0[i]) : 0)) + 1e-30;
            assert.ok(Math.abs(y[i] - want) <= bound, `[${M},${N},${K}] t${threads} (${Math.floor(i / N)},${i % N}) acc ${accumulate}: ${y[i]} vs ${want}`);
          }
          if (!accumulate) byThreads.push(y);
        }
      }
      assert.deepEqual(byThreads[0], byThreads[1], `[${M},${N},${K}]: 1 and 2 threads differ`);
    }
  } finally {
    setNumThreads(saved);
  }
});

test('linearBf16BitsDotInto refuses buffers that do not fit the shapes', () => {
  assert.throws(() => linearBf16BitsDotInto(new Float32Array(6), 2, new Uint16Array(12), 4, 3, new Float32Array(7)), /linearBf16BitsDotInto: .*out 7 for rows 2, N 4, K 3/);
  assert.throws(() => linearBf16BitsDotInto(new Float32Array(6), 2, new Uint16Array(11), 4, 3, new Float32Array(8)), /weight 11/);
});
