// Array-level kernels for inference with a KV cache (no tape): writing new keys/values into a
// cache and attending over it with per-row lengths. Layout per layer: keys [cacheRows, kvHeads,
// headDim, maxLen] (transposed, so scores are contiguous vector work), values [cacheRows,
// kvHeads, maxLen, headDim]. The `batch` rows being computed map to cache rows through `rows`
// (null: row b is cache row b), so finished rows can be left out of a decode step entirely.
// Also the per-step work around the cache: a Linear into a reused buffer (the vocabulary
// projection, or a residual), the fused decode attention of src/core/native/decode.cc (straight
// from a packed q/k/v product, with RoPE and the cache append), SwiGLU of a packed gate/up
// product (the training op's kernel in pointwise.cc, on plain buffers), BF16 panel products, and
// drawing tokens from rows of logits natively.
import { backend } from './backend.js';
import { checkIds } from './ops/shape.js';
import { AhaError } from '../util/errors.js';

export interface CacheAttentionShape {
  /** Rows being computed now. */
  batch: number;
  /** New tokens per row. */
  tokens: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  maxLen: number;
}

/**
 * Writes x [batch, tokens, kvHeads, headDim] to cache row rows[b] at positions pos[b] ..
 * pos[b]+tokens-1 (`kind` 'keys' stores it transposed).
 */
export function writeCache(kind: 'keys' | 'values', x: Float32Array, cache: Float32Array, pos: Int32Array, rows: Int32Array | null,
  s: CacheAttentionShape): void {
  backend().cacheWrite(x, cache, pos, rows, s.batch, s.tokens, s.kvHeads, s.headDim, s.maxLen, kind === 'keys');
}

/**
 * Causal attention of q [batch, tokens, heads, headDim] (tokens at positions pos[b]..) over cache
 * row rows[b], positions 0 .. pos[b]+i; writes out (q's layout).
 */
export function attendCache(q: Float32Array, kc: Float32Array, vc: Float32Array, pos: Int32Array, rows: Int32Array | null,
  out: Float32Array, s: CacheAttentionShape, scale = 1 / Math.sqrt(s.headDim)): void {
  backend().cacheAttention(q, kc, vc, pos, rows, out, s.batch, s.tokens, s.heads, s.kvHeads, s.headDim, s.maxLen, scale);
}

/**
 * out[0 .. rows*N) = x [rows, K] times weight [N, K] transposed (a Linear layer without bias, in
 * one matrix product), written into a caller-owned buffer so a decode step allocates no
 * [rows, vocab] array for its logits. `accumulate` adds the product to what out holds instead
 * (a residual connection, or a bias written there first).
 */
export function linearInto(x: Float32Array, rows: number, weight: Float32Array, N: number, K: number, out: Float32Array, accumulate = false): void {
  if (x.length < rows * K || weight.length !== N * K || out.length < rows * N) {
    throw new Error(`linearInto: x ${x.length}, weight ${weight.length}, out ${out.length} for rows ${rows}, N ${N}, K ${K}`);
  }
  backend().gemm(false, true, 1, rows, N, K, 1, x, 0, weight, 0, accumulate ? 1 : 0, out, 0);
}

/**
 * Whether products of 2-64 rows times a transposed weight (every linearInto of a decode step at
 * batch 2-64, and such products elsewhere) use gemm.cc's short-wide kernel, which reads the weight
 * in place, or the general gemm (sgemm). On by default; off only for in-process comparisons.
 * Returns whether this build has the kernel (it needs AVX-512).
 */
export function setShortWideGemm(on: boolean): boolean {
  return backend().setShortWideGemm(on);
}

/** out [rows, dim] = RMSNorm of x [rows, dim] with `weight` (no tape; the decode path's buffers). */
export function rmsNormInto(x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number, out: Float32Array): void {
  if (x.length < rows * dim || out.length < rows * dim || weight.length !== dim) {
    throw new Error(`rmsNormInto: x ${x.length}, weight ${weight.length}, out ${out.length} for ${rows} rows of ${dim}`);
  }
  backend().rmsNormForward(x, weight, out, new Float32Array(rows), rows, dim, eps);
}

/** out [ids.length, dim] = rows ids of the f32 table [vocab, dim] (one call; ids are checked). */
export function embedInto(table: Float32Array, ids: Int32Array, dim: number, out: Float32Array): void {
  const vocab = table.length / dim;
  checkIds('embedInto', ids, vocab);
  if (out.length < ids.length * dim) throw new Error(`embedInto: out ${out.length} for ${ids.length} rows of ${dim}`);
  backend().embeddingForward(table, ids, out, ids.length, dim);
}

/** A weight [N, K] rounded to BF16 in the panel layout linearBf16DotInto reads (see decode.cc). */
export interface Bf16Panels {
  readonly N: number;
  readonly K: number;
  readonly data: Uint16Array;
}

/** Snapshots f32 weight [N, K] as BF16 panels (round to nearest even): the opt-in BF16 sampling path's copy. */
export function bf16Panels(weight: Float32Array, N: number, K: number): Bf16Panels {
  if (weight.length !== N * K) throw new Error(`bf16Panels: weight of ${weight.length} values is not [${N}, ${K}]`);
  const data = new Uint16Array(Math.ceil(N / 16) * Math.ceil(K / 2) * 32);
  backend().bf16Panels(weight, data, N, K);
  return { N, K, data };
}

/**
 * out[0 .. rows*N) (+)= x [rows, K] times the panels' weight transposed, with x rounded to BF16
 * and products accumulated in f32: AMX tile products from 4 rows on where the CPU and the OS allow
 * them (src/core/native/amx.cc), else vdpbf16ps on CPUs with AVX512_BF16, else a portable loop of
 * the same BF16 operands (see bf16Kernels). Less exact than linearInto: both operands keep 8
 * mantissa bits; the kernels differ only in the order of the f32 sums.
 */
export function linearBf16DotInto(x: Float32Array, rows: number, w: Bf16Panels, out: Float32Array, accumulate = false): void {
  if (x.length < rows * w.K || out.length < rows * w.N) throw new Error(`linearBf16DotInto: x ${x.length}, out ${out.length} for rows ${rows}, N ${w.N}, K ${w.K}`);
  if (rows > 0) backend().linearBf16Dot(x, w.data, out, rows, w.N, w.K, accumulate);
}

/** A kernel of linearBf16DotInto; 'auto' picks per call (see bf16Kernels). */
export type Bf16Kernel = 'auto' | 'amx' | 'avx512_bf16' | 'portable';
const KERNEL_CODES: Record<Bf16Kernel, number> = { auto: 0, amx: 1, avx512_bf16: 2, portable: 3 };

export interface Bf16KernelInfo {
  /** AMX tile products can run in this process. */
  amx: boolean;
  /** Why not (CPU, OS or build), null when they can. */
  amxUnavailable: string | null;
  /** This build has the vdpbf16ps kernel (compiled for a CPU with AVX512_BF16). */
  avx512Bf16: boolean;
  /** The kernel set by setBf16Kernel ('auto' unless forced). */
  forced: Bf16Kernel;
}

export function bf16Kernels(): Bf16KernelInfo {
  const k = backend().bf16Kernels();
  const forced = (Object.keys(KERNEL_CODES) as Bf16Kernel[]).find((name) => KERNEL_CODES[name] === k.mode) ?? 'auto';
  return { amx: k.amx, amxUnavailable: k.amx ? null : k.amxWhy, avx512Bf16: k.vector, forced };
}

/**
 * Forces the kernel of every later linearBf16DotInto in this process ('auto' restores the
 * per-call choice): for tests and in-process comparisons. A kernel this CPU or build lacks is an
 * error that says why.
 */
export function setBf16Kernel(kernel: Bf16Kernel): void {
  if (!(kernel in KERNEL_CODES)) throw new AhaError(`unknown BF16 kernel '${kernel}' (auto, amx, avx512_bf16 or portable)`);
  const k = bf16Kernels();
  if (kernel === 'amx' && !k.amx) throw new AhaError(`AMX tile products are not available: ${k.amxUnavailable}`);
  if (kernel === 'avx512_bf16' && !k.avx512Bf16) throw new AhaError('the vdpbf16ps kernel is not in this build (it was not compiled for a CPU with AVX512_BF16)');
  backend().setBf16Kernel(KERNEL_CODES[kernel]);
}

/** cos and sin of position x frequency, [positions, headDim / 2] each (a core RopeTable). */
export interface RopeCosSin {
  cos: Float32Array;
  sin: Float32Array;
}

/**
 * The decode step's attention in one call: qkv [batch, tokens, (heads + 2 kvHeads) * headDim]
 * holds each new token's queries, keys and values (one packed projection). Rotates the keys
 * (RoPE from `table`) and appends them and the values to cache row rows[b] at positions
 * pos[b]..; then each rotated query attends causally over its row's cache, into out
 * [batch, tokens, heads, headDim]. Equal to rope + writeCache + attendCache on q, k and v apart.
 */
export function attendCachePacked(qkv: Float32Array, kc: Float32Array, vc: Float32Array, pos: Int32Array, rows: Int32Array | null,
  table: RopeCosSin, out: Float32Array, s: CacheAttentionShape, scale = 1 / Math.sqrt(s.headDim)): void {
  const n = s.batch * s.tokens, half = s.headDim / 2;
  const width = (s.heads + 2 * s.kvHeads) * s.headDim;
  const cacheRows = kc.length / (s.kvHeads * s.headDim * s.maxLen);
  const where = `attendCachePacked (batch ${s.batch}, tokens ${s.tokens}, heads ${s.heads}/${s.kvHeads}, headDim ${s.headDim}, maxLen ${s.maxLen})`;
  if (s.heads % s.kvHeads !== 0 || s.headDim % 2 !== 0) throw new Error(`${where}: heads must be a multiple of kvHeads and headDim even`);
  if (qkv.length < n * width || out.length < n * s.heads * s.headDim) throw new Error(`${where}: qkv ${qkv.length} or out ${out.length} too short`);
  if (!Number.isInteger(cacheRows) || vc.length !== kc.length) throw new Error(`${where}: caches of ${kc.length} and ${vc.length} values`);
  if (pos.length !== s.batch || (rows !== null && rows.length !== s.batch)) throw new Error(`${where}: pos / rows need ${s.batch} entries`);
  for (let b = 0; b < s.batch; b++) {
    const c = rows ? rows[b] : b;
    if (c < 0 || c >= cacheRows) throw new Error(`${where}: cache row ${c} outside [0, ${cacheRows})`);
    if (pos[b] < 0 || pos[b] + s.tokens > s.maxLen) throw new Error(`${where}: positions ${pos[b]}..${pos[b] + s.tokens - 1} outside the cache`);
    if ((pos[b] + s.tokens) * half > table.cos.length || table.sin.length !== table.cos.length) throw new Error(`${where}: the RoPE table is too short`);
  }
  backend().decodeAttention(qkv, kc, vc, pos, rows, table.cos, table.sin, out, s.batch, s.tokens, s.heads, s.kvHeads, s.headDim, s.maxLen, scale);
}

/** out [rows, inter] = silu(gate) * up of one packed gate/up projection gu [rows, 2 * inter] (gate first in each row). */
export function swigluPackedInto(gu: Float32Array, rows: number, inter: number, out: Float32Array): void {
  if (gu.length < rows * 2 * inter || out.length < rows * inter) throw new Error(`swigluPackedInto: gu ${gu.length}, out ${out.length} for ${rows} rows of ${inter}`);
  // The training op's kernel (ops/fused.ts) on caller-owned buffers: no tensor, no tape.
  backend().swigluPackedForward(gu, out, rows, inter);
}

/** Tokens drawn by `drawRows` and their log-probabilities under the raw (temperature 1) softmax. */
export interface DrawnRows {
  tokens: Int32Array;
  logprobs: Float64Array;
}

/**
 * For each row r, logits[offsets[r] .. offsets[r]+vocab): the argmax (lowest index among ties)
 * at temperature 0, otherwise the token an inverse-CDF draw with uniforms[r] picks from
 * softmax(logits / temperature) in id order; and its log-probability logit - logsumexp(row), all
 * in double precision. Rows run in parallel; the result does not depend on the thread count.
 */
export function drawRows(logits: Float32Array, offsets: Int32Array, vocab: number, temperature: number, uniforms: Float64Array): DrawnRows {
  const n = offsets.length;
  if (uniforms.length !== n) throw new Error(`drawRows: ${uniforms.length} uniforms for ${n} rows`);
  for (const o of offsets) if (o < 0 || o + vocab > logits.length) throw new Error(`drawRows: row at ${o} + ${vocab} is outside logits of ${logits.length}`);
  if (!(temperature >= 0)) throw new Error(`drawRows: temperature ${temperature}`);
  const tokens = new Int32Array(n);
  const logprobs = new Float64Array(n);
  if (n > 0) backend().drawRows(logits, offsets, n, vocab, temperature, uniforms, tokens, logprobs);
  return { tokens, logprobs };
}

/**
 * log(sum(exp(row))) of each row logits[offsets[r] .. offsets[r]+vocab), in double precision as
 * drawRows computes it (the normaliser of the log-probabilities sampling reports); rows in
 * parallel, the same for any thread count.
 */
export function logSumExpRows(logits: Float32Array, offsets: Int32Array, vocab: number): Float64Array {
  for (const o of offsets) if (o < 0 || o + vocab > logits.length) throw new Error(`logSumExpRows: row at ${o} + ${vocab} is outside logits of ${logits.length}`);
  const out = new Float64Array(offsets.length);
  if (offsets.length > 0) backend().logSumExpRows(logits, offsets, offsets.length, vocab, out);
  return out;
}

/** exp in double precision as the sampling kernel computes it (exposed for its accuracy test). */
export function nativeExp(x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  backend().expDouble(x, y, x.length);
  return y;
}
