// The transformer's configuration, read from and written to a Hugging Face style config.json
// (Llama, Qwen2, Qwen3 and Mistral families). Field names are Hugging Face's so folders move both
// ways; config-json.ts fills every optional field from the family's defaults and refuses fields
// that would change the computation in ways this network does not implement.

import type { RopeLinearScaling, RopeLlama3Scaling } from '../core/index.js';

/** RoPE frequency scaling (Llama 3's, or linear), with Hugging Face's field names. */
export type RopeScaling = RopeLlama3Scaling | RopeLinearScaling;

/** The decoder families aha runs. */
export const MODEL_TYPES = ['llama', 'qwen2', 'qwen3', 'mistral'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface ModelConfig {
  /**
   * "llama", "qwen2", "qwen3" or "mistral". Qwen2 always has q/k/v biases; Qwen3 normalises each
   * query and key head (q_norm, k_norm) before RoPE; Mistral is Llama-shaped without biases.
   */
  model_type: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Grouped-query attention: heads of K and V (divides num_attention_heads). */
  num_key_value_heads: number;
  /** Per-head size; defaults to hidden_size / num_attention_heads. */
  head_dim?: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** Frequency scaling: rope_type "llama3" (Llama 3.x) or "linear"; absent or null for none. */
  rope_scaling?: RopeScaling | null;
  tie_word_embeddings: boolean;
  /**
   * Llama and Qwen3: biases on q/k/v and o_proj. Qwen2 has q/k/v biases (never o_proj) whatever
   * this says; Mistral has none.
   */
  attention_bias?: boolean;
  /** Llama: biases on gate_proj, up_proj and down_proj. */
  mlp_bias?: boolean;
  /**
   * Mistral: each token attends to the last sliding_window tokens only. aha does not implement
   * the window mask, so it refuses sequences longer than this (where the mask is a no-op).
   */
  sliding_window?: number | null;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  torch_dtype?: string;
  /**
   * The folder's generation_config.json as read (every EOS id, sampling defaults such as
   * temperature and top_p): not part of the network, carried so a saved, trained or merged folder
   * keeps it (written back as generation_config.json, never into config.json).
   */
  generation_config?: Record<string, unknown>;
}
