// Model shapes and small statistics the benchmarks share: several time Qwen2.5-0.5B's shape with
// random weights (bench/lib/random-weights.ts) and report medians of repeated timings.
import type { ModelConfig } from '../../src/model/transformer-config.js';

/** Qwen2.5-0.5B's shape (config.json of the released model); spread it to change the layer count or vocabulary. */
export const QWEN_05B: Readonly<ModelConfig> = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6,
  rope_theta: 1000000, tie_word_embeddings: true, bos_token_id: null, eos_token_id: 151643,
};

/** The median of `xs` (the mean of the two middle values when the count is even). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
