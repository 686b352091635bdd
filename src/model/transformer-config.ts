// The transformer's configuration, read from and written to a Hugging Face style config.json
// (Llama and Qwen2 families). Field names are Hugging Face's so folders move both ways.

import type { RopeLlama3Scaling } from '../core/index.js';

/** Llama 3's RoPE frequency scaling, with Hugging Face's field names. */
export type RopeScaling = RopeLlama3Scaling;

export interface ModelConfig {
  /** "llama" or "qwen2". Qwen2 adds biases on the q/k/v projections. */
  model_type: 'llama' | 'qwen2';
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
  /** Llama 3.x long-context frequency scaling (rope_type "llama3"); absent or null for none. */
  rope_scaling?: RopeScaling | null;
  tie_word_embeddings: boolean;
  /** Qwen2: true; Llama: false unless set. */
  attention_bias?: boolean;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  torch_dtype?: string;
}

