// Shared fixtures of the SFT tests: a tiny random transformer with the character tokenizer,
// saved as a model folder, and a tiny arithmetic data set.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { saveModel } from '../../src/model/load-model.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { createTransformer } from '../../src/model/transformer.js';
import { scratchDir } from '../scratch-dir.js';

export const tok = new CharTokenizer();

export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'llama',
    vocab_size: tok.vocabSize,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    ...overrides,
  };
}

export function tempDir(prefix = 'aha-sft-'): string {
  return scratchDir(prefix);
}

/** A model folder holding a tiny random transformer. */
export function tinyModelDir(seed = 1): string {
  const dir = join(tempDir(), 'model');
  saveModel(createTransformer(tinyConfig(), { seed }), tok, dir);
  return dir;
}

/** `n` prompt/completion lines of two-number additions. */
export function additionData(n: number, seed = 0): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i * 7 + seed) % 10;
    const b = (i * 3 + 1) % 10;
    lines.push(JSON.stringify({ prompt: `User: ${a}+${b}=? Assistant:`, completion: ` <answer>${a + b}</answer>` }));
  }
  const file = join(tempDir('aha-sft-data-'), 'data.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
