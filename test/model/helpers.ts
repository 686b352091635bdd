// Shared test fixtures: a tiny real transformer with a character tokenizer, saved as a folder.
import { createTransformer } from '../../src/model/transformer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import { noGrad } from '../../src/core/index.js';

export function tinyConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'qwen2',
    vocab_size: new CharTokenizer().vocabSize,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: true,
    bos_token_id: 1,
    eos_token_id: 2,
    ...over,
  };
}

export function tinyModel(over: Partial<ModelConfig> = {}, seed = 1, initStd = 0.2): CausalLM {
  return createTransformer(tinyConfig(over), { seed, initStd });
}

export { tempDir } from './tmp.js';

/** Full-forward logits for one row of ids. */
export function logitsOf(model: CausalLM, ids: ArrayLike<number>): Float32Array {
  const x = Int32Array.from(ids);
  return noGrad(() => model.forward(x, 1, x.length)).data;
}
