// Shared test fixtures: a tiny real transformer with a character tokenizer, saved as a folder.
import { createTransformer } from '../../src/model/transformer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import { noGrad } from '../../src/core/index.js';
import { saveModel } from '../../src/model/load-model.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';

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

/**
 * Greedy decoding of `steps` tokens per prompt through the KV cache (one batched prefill, then
 * decode steps; row 1 sits out the second step, so inactive rows are packed out of a batch):
 * the tokens and every step's logits.
 */
export function greedyDecode(m: CausalLM, prompts: Int32Array[], steps: number): { tokens: number[][]; logits: Float32Array[] } {
  const V = m.config.vocab_size;
  const cache = m.createCache(prompts.length, 16);
  let logits = m.prefillRows!(cache, prompts.map((_, i) => i), prompts).slice();
  const tokens: number[][] = prompts.map(() => []);
  const all = [logits];
  for (let s = 0; s < steps; s++) {
    const next = Int32Array.from(prompts, (_, b) => {
      let best = 0;
      for (let j = 1; j < V; j++) if (logits[b * V + j] > logits[b * V + best]) best = j;
      tokens[b].push(best);
      return best;
    });
    const active = s === 1 ? Uint8Array.from(prompts, (_, b) => (b === 1 ? 0 : 1)) : undefined;
    logits = m.decode(cache, next, active).slice();
    all.push(logits);
  }
  return { tokens, logits: all };
}

/**
 * A chat template that shows a template variable in the prompt, as Qwen3's enable_thinking does:
 * `T` before the conversation when `think` is set and true, nothing otherwise.
 */
export const THINK_TEMPLATE =
  "{% if think is defined and think %}T{% endif %}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}";

/** A model folder (tiny transformer, character tokenizer) whose chat template is THINK_TEMPLATE. */
export function thinkTemplateFolder(dir: string, over: Partial<ModelConfig> = {}, seed = 1): string {
  const tok = new CharTokenizer({ chatTemplate: THINK_TEMPLATE });
  saveModel(createTransformer(tinyConfig({ vocab_size: tok.vocabSize, ...over }), { seed }), tok, dir);
  return dir;
}

/** d loss / d data[k] by a central difference of step h (data[k] is restored). */
export function centralDifference(loss: () => number, data: Float32Array, k: number, h = 1e-2): number {
  const v = data[k];
  data[k] = v + h;
  const up = loss();
  data[k] = v - h;
  const down = loss();
  data[k] = v;
  return (up - down) / (2 * h);
}

/**
 * Runs `config` with LoRA to step 2 in `split`, resumes it to step 4, and asserts its step-4
 * adapters and optimizer state are byte for byte those of the same run made straight to step 4
 * in `straight` (resume loses nothing: RNG, data position, moments).
 */
export async function assertLoraGrpoResumeExact(config: (over: Partial<GrpoConfig>) => GrpoConfig, straight: string, split: string): Promise<void> {
  await runGrpo(prepareGrpo(config({ max_steps: 2, output_dir: split }), { quiet: true }));
  await runGrpo(prepareGrpo(config({ max_steps: 4, output_dir: split }), { resume: true, quiet: true }));
  const bytes = (d: string, f: string) => readFileSync(join(d, 'checkpoints', 'step-4', f));
  assert.ok(bytes(straight, 'adapter_model.safetensors').equals(bytes(split, 'adapter_model.safetensors')), 'adapters differ after resume');
  assert.ok(bytes(straight, 'optimizer.safetensors').equals(bytes(split, 'optimizer.safetensors')), 'optimizer state differs after resume');
}
