// The OpenBLAS kernel family the backend names from the CPU flags before the library loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openblasCoreType } from '../../src/core/backend.js';

test('OpenBLAS kernels follow the CPU flags: AVX-512 -> SkylakeX, AVX2+FMA -> Haswell, otherwise OpenBLAS decides', () => {
  const info = (flags: string) => `processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 ${flags}\nbugs\t\t:\n`;
  assert.equal(openblasCoreType(info('avx2 fma avx512f avx512bw avx512dq avx512vl avx512_bf16')), 'SkylakeX');
  assert.equal(openblasCoreType(info('avx2 fma avx512f')), 'Haswell'); // AVX-512 without BW/DQ/VL (Knights Landing)
  assert.equal(openblasCoreType(info('avx avx2 fma')), 'Haswell');
  assert.equal(openblasCoreType(info('avx')), null);
  assert.equal(openblasCoreType(''), null); // not Linux x86-64
});
