// The backend boundary: every device-specific call goes through the `Backend` interface below.
// Today there is one implementation, the native CPU addon (C++ via node-gyp, OpenBLAS when
// present); a CUDA backend would implement the same interface over device buffers.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AhaError } from '../util/errors.js';

type F32 = Float32Array;
type I32 = Int32Array;
type U16 = Uint16Array;

/** The kernels, exactly as the native addon exports them (argument order documented in C++). */
export interface Backend {
  buildInfo(): { blas: boolean; openmp: number; maxThreads: number; blasCore?: string };
  setNumThreads(n: number): void;
  getNumThreads(): number;
  gemm(ta: boolean, tb: boolean, batch: number, M: number, N: number, K: number, alpha: number,
    A: F32, sA: number, B: F32, sB: number, beta: number, C: F32, sC: number): void;
  /** One product on sub-matrices: an operand starts `off` floats into its buffer, rows `ld` apart (gemm.cc). */
  gemmStrided(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: F32, offA: number, lda: number,
    B: F32, offB: number, ldb: number, beta: number, C: F32, offC: number, ldc: number): void;
  /** Turns the short-wide product kernel (x [2-64 rows] W^T, gemm.cc) on or off; false when the build lacks it. */
  setShortWideGemm(on: boolean): boolean;
  rmsNormForward(x: F32, w: F32, y: F32, rstd: F32, rows: number, dim: number, eps: number): void;
  decodeAttention(qkv: F32, kc: F32, vc: F32, pos: I32, rows: I32 | null, cos: F32, sin: F32, out: F32, B: number, n: number,
    Hq: number, Hkv: number, D: number, maxLen: number, scale: number): void;
  /** W [N, K] f32 as BF16 panels of 16 rows (src/core/native/decode.cc) for linearBf16Dot. */
  bf16Panels(w: F32, out: U16, N: number, K: number): void;
  /** y [M, N] (+)= bf16(x) bf16(W)^T from W's panels, f32 accumulation (vdpbf16ps where the CPU has it). */
  linearBf16Dot(x: F32, panels: U16, y: F32, M: number, N: number, K: number, accumulate: boolean): void;
  /** Forces linearBf16Dot's kernel: 0 auto, 1 AMX tiles, 2 vdpbf16ps, 3 portable (decode.cc). */
  setBf16Kernel(mode: number): void;
  /** What linearBf16Dot can run here: AMX (with the reason when not), vdpbf16ps, the forced mode. */
  bf16Kernels(): { amx: boolean; amxWhy: string; vector: boolean; mode: number };
  rmsNormBackward(dy: F32, x: F32, w: F32, rstd: F32, dx: F32 | null, dw: F32 | null, rows: number, dim: number): void;
  layerNormForward(x: F32, w: F32 | null, b: F32 | null, y: F32, mean: F32, rstd: F32, rows: number, dim: number, eps: number): void;
  layerNormBackward(dy: F32, x: F32, w: F32 | null, mean: F32, rstd: F32, dx: F32 | null, dw: F32 | null,
    db: F32 | null, rows: number, dim: number): void;
  rope(x: F32, out: F32, pos: I32, cos: F32, sin: F32, N: number, H: number, D: number, inverse: boolean, accumulate: boolean): void;
  attentionForward(q: F32, k: F32, v: F32, out: F32, lse: F32, B: number, T: number, Hq: number, Hkv: number, D: number, scale: number): void;
  attentionBackward(q: F32, k: F32, v: F32, out: F32, dout: F32, lse: F32, dq: F32, dk: F32, dv: F32,
    B: number, T: number, Hq: number, Hkv: number, D: number, scale: number): void;
  /** Attention over qkv [B, T, (Hq + 2 Hkv) D] with RoPE inside (cos/sin null: none); see attention.cc. */
  attentionPackedForward(qkv: F32, out: F32, lse: F32, pos: I32, cos: F32 | null, sin: F32 | null, B: number, T: number,
    Hq: number, Hkv: number, D: number, scale: number): void;
  attentionPackedBackward(qkv: F32, out: F32, dout: F32, lse: F32, dqkv: F32, pos: I32, cos: F32 | null, sin: F32 | null,
    B: number, T: number, Hq: number, Hkv: number, D: number, scale: number): void;
  cacheWrite(x: F32, cache: F32, pos: I32, rows: I32 | null, B: number, n: number, H: number, D: number, maxLen: number, transposed: boolean): void;
  cacheAttention(q: F32, kc: F32, vc: F32, pos: I32, rows: I32 | null, out: F32, B: number, n: number,
    Hq: number, Hkv: number, D: number, maxLen: number, scale: number): void;
  unaryForward(op: number, x: F32, y: F32, n: number): void;
  unaryBackward(op: number, x: F32, dy: F32, dx: F32, n: number): void;
  swigluForward(g: F32, u: F32, y: F32, n: number): void;
  swigluBackward(g: F32, u: F32, dy: F32, dg: F32 | null, du: F32 | null, n: number): void;
  /** SwiGLU over gu [rows, 2I] (gate then up per row) into y [rows, I]; backward adds into dgu. */
  swigluPackedForward(gu: F32, y: F32, rows: number, I: number): void;
  swigluPackedBackward(gu: F32, dy: F32, dgu: F32, rows: number, I: number): void;
  binary(op: number, a: F32, b: F32, y: F32, n: number, nb: number): void;
  mulBackward(a: F32, b: F32, dy: F32, da: F32 | null, db: F32 | null, n: number, nb: number): void;
  sumRows(x: F32, out: F32, rows: number, cols: number): void;
  axpy(alpha: number, x: F32, y: F32, n: number): void;
  scale(alpha: number, x: F32, y: F32, n: number): void;
  sum(x: F32, n: number, squares: boolean): number;
  embeddingForward(w: F32, ids: I32, out: F32, N: number, dim: number): void;
  embeddingBackward(dout: F32, ids: I32, dw: F32, N: number, dim: number): void;
  softmaxForward(x: F32, y: F32, rows: number, cols: number, log: boolean): void;
  softmaxBackward(y: F32, dy: F32, dx: F32, rows: number, cols: number, log: boolean): void;
  gatherLogProbsForward(logits: F32, targets: I32, out: F32, lse: F32, rows: number, V: number): void;
  gatherLogProbsBackward(logits: F32, targets: I32, lse: F32, g: F32, dlogits: F32, rows: number, V: number): void;
  entropy(logits: F32, out: F32, rows: number, V: number): void;
  /** y [M, N] = x [M, K] W^T + beta y with W [N, K] stored as BF16 bits (src/core/native/bf16.cc). */
  linearBf16(x: F32, w: U16, y: F32, M: number, N: number, K: number, beta: number): void;
  /** dx [M, K] += dy [M, N] W with W [N, K] stored as BF16 bits. */
  linearBf16Backward(dy: F32, w: U16, dx: F32, M: number, N: number, K: number): void;
  bf16Widen(src: U16, dst: F32, n: number): void;
  /** y [M, N] (+)= bf16(x) W^T with W [N, K] as row-major BF16 bits, f32 sums: AMX tiles, vdpbf16ps or portable (bf16.cc). */
  linearBf16RowsDot(x: F32, w: U16, y: F32, M: number, N: number, K: number, accumulate: boolean): void;
  drawRows(logits: F32, offsets: I32, n: number, V: number, temperature: number, uniforms: Float64Array, tokens: I32,
    logprobs: Float64Array): void;
  logSumExpRows(logits: F32, offsets: I32, n: number, V: number, out: Float64Array): void;
  expDouble(x: Float64Array, y: Float64Array, n: number): void;
  adamw(p: F32, g: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, step: number): void;
}

function packageRoot(): string {
  // src/core/backend.ts (tsx) or dist/src/core/backend.js (built): walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  throw new AhaError('cannot locate the aha package root (binding.gyp) to load the native addon');
}

/**
 * Said once per process when the addon was compiled without OpenBLAS: every matrix product then
 * runs the portable kernels, several times slower, and nothing else would tell the user why.
 */
export const PORTABLE_GEMM_WARNING = "aha's matrix products use the portable C++ kernels (the native addon was " +
  'built without OpenBLAS), about 5-10x slower. Install OpenBLAS (Debian: apt-get install libopenblas-dev) and ' +
  'rebuild (`npm rebuild aha`, or `npm install` in the aha folder) for the fast ones.';

/**
 * The addon is missing: inside another project's node_modules `npm rebuild aha` builds it (once npm
 * may run aha's install scripts), in a checkout `npm install`.
 */
export function addonMissingMessage(root: string, path: string): string {
  const how = /[\\/]node_modules[\\/]/.test(root)
    ? '`npm rebuild aha` in your project builds it (its install step was skipped or failed; npm 12 skips the install ' +
      'scripts of a dependency you have not allowed: `npm install-scripts approve aha` first)'
    : `\`npm install\` (or \`npx node-gyp rebuild\`) in ${root} builds it`;
  return `the native compute addon is not built (${path} is missing): ${how}; it needs a C++ compiler, make and python3`;
}

function loadCpu(): Backend {
  // AHA_NATIVE_ADDON points at another build of the addon (e.g. the AHA_NO_BLAS=1 fallback).
  const override = process.env.AHA_NATIVE_ADDON;
  const root = override ? '' : packageRoot();
  const path = override ?? join(root, 'build', 'Release', 'aha_native.node');
  if (!existsSync(path)) {
    throw new AhaError(override ? `AHA_NATIVE_ADDON points at ${path}, which does not exist` : addonMissingMessage(root, path));
  }
  // OpenMP threads that spin between kernels steal the CPU from the thread doing the work when
  // the machine is busy (measured: 2 threads took 14x longer wall time to generate on a loaded
  // 2-core machine); sleeping waits cost microseconds per kernel instead. libgomp reads this
  // when the addon loads, so it must be set first. An explicit setting by the user wins.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  // OpenBLAS built for every CPU (Debian's DYNAMIC_ARCH) picks its kernels from the CPU model
  // number and falls back to its oldest x86-64 kernels (SSE3 "Prescott") for a model it does not
  // know, such as a virtual machine's or a CPU newer than the library: measured here (a
  // Sapphire Rapids VM that OpenBLAS 0.3.21 names Prescott), sgemm ran at 27 GFLOP per
  // CPU-second instead of 90. The CPU's feature flags say which kernels it can run, so name them
  // before the library loads; an explicit OPENBLAS_CORETYPE wins.
  const coreType = openblasCoreType();
  if (coreType !== null) process.env.OPENBLAS_CORETYPE ??= coreType;
  const require = createRequire(import.meta.url);
  const native = require(path) as Backend;
  if (!native.buildInfo().blas) process.emitWarning(PORTABLE_GEMM_WARNING, { code: 'AHA_PORTABLE_GEMM' });
  const envThreads = Number(process.env.AHA_THREADS);
  if (Number.isInteger(envThreads) && envThreads > 0) native.setNumThreads(envThreads);
  return native;
}

/**
 * The OpenBLAS kernel family the CPU's flags (Linux x86-64 /proc/cpuinfo) allow: SkylakeX with
 * AVX-512, Haswell with AVX2 and FMA; null elsewhere (OpenBLAS's own choice stands).
 */
export function openblasCoreType(cpuinfo = readCpuinfo()): string | null {
  const line = cpuinfo.split('\n').find((l) => l.startsWith('flags'));
  if (line === undefined) return null;
  const flags = new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return null;
}

function readCpuinfo(): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return '';
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

let active: Backend | null = null;

/** The backend all ops use (loaded on first use). */
export function backend(): Backend {
  if (active === null) active = loadCpu();
  return active;
}

/** Threads for every kernel (OpenMP; OpenBLAS is kept single-threaded inside aha's own split). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new AhaError(`thread count must be a positive integer, got ${n}`);
  backend().setNumThreads(n);
}

export function getNumThreads(): number {
  return backend().getNumThreads();
}

export interface BuildInfo {
  /** 'openblas' when matrix products use OpenBLAS, 'fallback' for the portable C++ gemm. */
  gemm: 'openblas' | 'fallback';
  /** OpenBLAS's kernel family (e.g. "SkylakeX", "Haswell"); null without OpenBLAS. */
  blasCore: string | null;
  openmp: number;
  cores: number;
  threads: number;
  /**
   * The kernel of the opt-in BF16 sampling products (linearBf16DotInto) at batch sizes of 4 and
   * more: 'amx' (AMX tiles: the CPU has them and Linux granted this process tile data),
   * 'avx512_bf16' (vdpbf16ps) or 'portable'; batch 1-3 never uses AMX. See bf16Kernels().
   */
  bf16Products: 'amx' | 'avx512_bf16' | 'portable';
}

export function buildInfo(): BuildInfo {
  const b = backend();
  const info = b.buildInfo();
  const k = b.bf16Kernels();
  const bf16Products = k.amx ? 'amx' : k.vector ? 'avx512_bf16' : 'portable';
  return { gemm: info.blas ? 'openblas' : 'fallback', blasCore: info.blasCore ?? null, openmp: info.openmp, cores: info.maxThreads, threads: b.getNumThreads(), bf16Products };
}
