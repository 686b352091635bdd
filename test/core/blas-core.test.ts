// OpenBLAS's kernel choice: aha asks for the kernels the CPU's instruction sets support, so a
// hypervisor that hides the CPU model does not leave matrix products on the generic SSE3 path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInfo } from '../../src/core/index.js';
import { cpuFlags, openblasCoreFor } from '../../src/core/blas-core.js';

test('openblasCoreFor: AVX-512 (F, BW, VL, DQ) -> SkylakeX, AVX2 + FMA -> Haswell, otherwise OpenBLAS decides', () => {
  assert.equal(openblasCoreFor(new Set(['sse3', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq'])), 'SkylakeX');
  // AVX-512 F without BW (Knights Landing) cannot run SkylakeX's kernels.
  assert.equal(openblasCoreFor(new Set(['avx2', 'fma', 'avx512f'])), 'Haswell');
  assert.equal(openblasCoreFor(new Set(['avx2', 'fma'])), 'Haswell');
  assert.equal(openblasCoreFor(new Set(['avx', 'sse4_2'])), null);
  assert.equal(openblasCoreFor(new Set()), null);
});

test('the loaded OpenBLAS uses the kernels chosen from this CPU\'s flags', () => {
  const info = buildInfo();
  if (info.gemm !== 'openblas') {
    assert.equal(info.blasCore, '');
    return;
  }
  const wanted = process.env.OPENBLAS_CORETYPE ?? openblasCoreFor(cpuFlags());
  if (wanted) assert.equal(info.blasCore.toLowerCase(), wanted.toLowerCase());
  else assert.ok(info.blasCore.length > 0);
});
