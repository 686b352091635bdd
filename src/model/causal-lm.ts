// The contract every decoder-only language model in aha fulfils: the policy, the frozen
// reference and the students. Training and scoring go through `forward` (on the autograd tape);
// sampling goes through a KV cache with `prefill` and `decode` (no tape).
import type { Tensor } from '../core/index.js';
import type { ModelConfig } from './transformer-config.js';

/** Keys and values of past tokens for a fixed number of rows, each row with its own length. */
export interface KVCache {
  readonly batch: number;
  readonly maxLen: number;
  /** Tokens already stored for `row`. */
  length(row: number): number;
  /** Forget row `row` (length back to 0) so the slot can be reused. */
  reset(row: number): void;
}

export interface CausalLM {
  readonly config: ModelConfig;
  /**
   * Every parameter by its Hugging Face name, e.g. "model.embed_tokens.weight",
   * "model.layers.0.self_attn.q_proj.weight" (shape [out, in], as nn.Linear stores it),
   * "model.norm.weight", "lm_head.weight" (absent when embeddings are tied).
   */
  parameters(): Map<string, Tensor>;
  /**
   * Logits for every position of `batch` rows of `seqLen` token ids (row-major, length
   * batch*seqLen), shape [batch, seqLen, vocab], recorded on the autograd tape when grad is on.
   * Rows shorter than seqLen are right-padded; causal attention keeps padding from affecting
   * earlier positions. `positions` (batch*seqLen, optional; default 0.. per row) packs several
   * sequences into a row: each restarts at position 0, and a token at position p attends only to
   * the p tokens before it, so no sequence sees another (the same logits as one row each).
   */
  forward(ids: Int32Array, batch: number, seqLen: number, positions?: Int32Array): Tensor;
  /** A cache for `batch` rows of up to `maxLen` tokens each. */
  createCache(batch: number, maxLen: number): KVCache;
  /** Appends `ids` to row `row` of the cache; returns the logits of the last one, length vocab. */
  prefill(cache: KVCache, row: number, ids: Int32Array): Float32Array;
  /**
   * Batched prefill: appends ids[i] to cache row rows[i] for every i in as few forward passes as
   * memory allows, and returns the logits of each row's last token, [rows.length, vocab]
   * row-major. The same as calling `prefill` row by row. Optional: samplers fall back to
   * `prefill` for models without it. The array may be the cache's own buffer, overwritten by the
   * next prefillRows or decode on that cache (so a step holds one [rows, vocab] buffer).
   */
  prefillRows?(cache: KVCache, rows: readonly number[], ids: readonly Int32Array[]): Float32Array;
  /**
   * Appends one token per row (ids has length cache.batch) at each row's own position and returns
   * logits [batch, vocab] row-major. Rows with active[row] === 0 are skipped (their logits are
   * left undefined) and their cache does not grow. Like prefillRows' result, the array may be
   * reused by the next call on the same cache: copy what must outlive it.
   */
  decode(cache: KVCache, ids: Int32Array, active?: Uint8Array): Float32Array;
}
