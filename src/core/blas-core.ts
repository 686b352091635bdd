// Which OpenBLAS kernel family to ask for. Debian's OpenBLAS is built with DYNAMIC_ARCH and picks
// its kernels from the CPU's family/model id; under a hypervisor that reports an unknown model
// ("Intel(R) Xeon(R) Processor") it falls back to the generic SSE3 "Prescott" kernels, 5x slower
// than its AVX-512 ones on the same core (measured: 27 vs 136 GFLOP/s of CPU time for a
// 2304x128x128 product). OPENBLAS_CORETYPE, read when the library loads, overrides the choice;
// aha sets it from the instruction sets the CPU reports (the flags, not the model id).
import { readFileSync } from 'node:fs';

/** The OpenBLAS core type whose kernels the flags support (null: leave OpenBLAS's own choice). */
export function openblasCoreFor(flags: ReadonlySet<string>): string | null {
  // SkylakeX's sgemm kernels use AVX-512 F/BW/VL/DQ; Haswell's use AVX2 and FMA.
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return null;
}

/** The CPU's instruction-set flags from /proc/cpuinfo (empty where that file does not exist). */
export function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set(line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}
