// Array-level kernels for inference with a KV cache (no tape): writing new keys/values into a
// cache and attending over it with per-row lengths. Layout per layer: keys [cacheRows, kvHeads,
// headDim, maxLen] (transposed, so scores are contiguous vector work), values [cacheRows,
// kvHeads, maxLen, headDim]. The `batch` rows being computed map to cache rows through `rows`
// (null: row b is cache row b), so finished rows can be left out of a decode step entirely.
import { backend } from './backend.js';

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
