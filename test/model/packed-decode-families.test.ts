// The packed decode path for every model aha loads: Qwen2 (q/k/v biases), Qwen3 (per-head q/k
// norms, head_dim apart from hidden / heads, o_proj bias) and Llama with attention and MLP biases,
// each with f32 weights and as a frozen BF16 base, with and without LoRA adapters (and with the
// adapters switched off, GRPO's reference): its greedy tokens and logits against the plain path
// (the reference layer over the cache), in f32 and when sampling in BF16; and GRPO's sampler
// takes it for a LoRA model on a BF16 folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { Transformer } from '../../src/model/transformer.js';
import { LoraModel, adaptersOff, isLoraModel } from '../../src/model/lora.js';
import { DEFAULT_CONFIG } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { Rng } from '../../src/util/rng.js';
import { writeTinyHfFolder } from './hf-folder.js';
import { tempDir } from './tmp.js';
import { greedyDecode as greedy } from './helpers.js';

const V = 53;

const FAMILIES: Record<string, Partial<ModelConfig>> = {
  qwen2: { model_type: 'qwen2' },
  qwen3: { model_type: 'qwen3', head_dim: 10, attention_bias: true, tie_word_embeddings: false },
  'llama+biases': { model_type: 'llama', attention_bias: true, mlp_bias: true, num_key_value_heads: 3, rope_scaling: { rope_type: 'linear', factor: 2 } },
};

function config(over: Partial<ModelConfig>): ModelConfig {
  return {
    model_type: 'qwen2', vocab_size: V, hidden_size: 36, intermediate_size: 50, num_hidden_layers: 2,
    num_attention_heads: 6, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: true, ...over,
  };
}

/** A model whose biases and norm weights are random too (they start at 0 and 1). */
function build(over: Partial<ModelConfig>, frozenBf16: boolean, seed: number): Transformer {
  const m = new Transformer(config(over), { seed, initStd: 0.3, frozenBf16 });
  const rng = new Rng(seed + 100);
  for (const [name, t] of m.parameters()) {
    if (name.endsWith('.bias')) t.data.forEach((_, i) => (t.data[i] = rng.normal() * 0.3));
    if (name.endsWith('norm.weight')) t.data.forEach((_, i) => (t.data[i] = 1 + rng.normal() * 0.3));
  }
  return m;
}

/** LoRA on every projection with B random too (it starts at zero, which would hide the adapters). */
function adapt(m: Transformer, seed: number): LoraModel {
  const lora = new LoraModel(m, { r: 3, alpha: 6, dropout: 0, targets: 'all-linear', rslora: false }, { seed });
  const rng = new Rng(seed + 7);
  for (const [name, t] of lora.parameters()) if (name.endsWith('lora_B.weight')) t.data.forEach((_, i) => (t.data[i] = rng.normal() * 0.3));
  return lora;
}


function worst(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, s) => x.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[s][i])))));
  return m;
}

/** Runs `fn` on the packed path and on the plain path of `base`; the counts say which path ran. */
function bothPaths<T>(base: Transformer, fn: () => T): { packed: T; plain: T } {
  const before = { ...base.decodeCounts };
  base.decodePacked = true;
  const packed = fn();
  assert.ok(base.decodeCounts.packed > before.packed && base.decodeCounts.plain === before.plain, 'the packed path ran');
  base.decodePacked = false;
  const plain = fn();
  base.decodePacked = true;
  assert.ok(base.decodeCounts.plain > before.plain, 'the plain path ran');
  return { packed, plain };
}

const rng = new Rng(5);
// Five rows, so batched prefills and decode steps of 4+ rows take the BF16 products' AMX kernel where the CPU has it.
const prompts = [5, 1, 3, 2, 4].map((n) => Int32Array.from({ length: n }, () => rng.int(V)));

for (const [family, over] of Object.entries(FAMILIES)) {
  for (const frozen of [false, true]) {
    const kind = `${family}, ${frozen ? 'frozen BF16 base' : 'f32'}`;

    test(`packed decode = plain decode (${kind}): without LoRA, with it, and with its adapters off`, () => {
      const base = build(over, frozen, 3);
      assert.equal(base.bf16SamplingBlocker(), null);
      const bare = bothPaths(base, () => greedy(base, prompts, 4));
      assert.deepEqual(bare.packed.tokens, bare.plain.tokens, `${kind}: greedy tokens`);
      assert.ok(worst(bare.packed.logits, bare.plain.logits) < 2e-5, `${kind}: logits differ by ${worst(bare.packed.logits, bare.plain.logits)}`);

      const lora = adapt(base, 4);
      assert.equal(base.bf16SamplingBlocker(), null, 'LoRA no longer blocks BF16 sampling');
      const on = bothPaths(base, () => greedy(lora, prompts, 4));
      assert.deepEqual(on.packed.tokens, on.plain.tokens, `${kind} + LoRA: greedy tokens`);
      assert.ok(worst(on.packed.logits, on.plain.logits) < 2e-5, `${kind} + LoRA: logits differ by ${worst(on.packed.logits, on.plain.logits)}`);
      // The adapters matter (else the comparison above would not test them) ...
      assert.ok(worst(on.packed.logits.slice(0, 1), bare.packed.logits.slice(0, 1)) > 1e-2, `${kind}: the adapters change the logits`);
      // ... and switched off they give the bare base, through the packed path too.
      const off = bothPaths(base, () => greedy(adaptersOff(lora), prompts, 4));
      assert.deepEqual(off.packed.tokens, bare.plain.tokens, `${kind}, adapters off: greedy tokens`);
      assert.ok(worst(off.packed.logits, bare.plain.logits) < 2e-5, `${kind}, adapters off: logits differ by ${worst(off.packed.logits, bare.plain.logits)}`);
    });

    test(`sampling in BF16 (${kind}, with LoRA): close to the f32 plain path, deterministic`, () => {
      const base = build(over, frozen, 6);
      const lora = adapt(base, 2);
      base.decodePacked = false;
      const f32 = greedy(lora, prompts, 4);
      base.decodePacked = true;
      base.sampleInBf16 = true;
      const counts = base.decodeCounts.packed;
      const b16 = greedy(lora, prompts, 4);
      assert.ok(base.decodeCounts.packed > counts);
      // BF16 keeps ~3 significant digits: logits move by about 1% of their spread, not more.
      const w = worst(b16.logits, f32.logits);
      let spread = 0;
      for (const l of f32.logits) spread = Math.max(spread, Math.max(...l) - Math.min(...l));
      assert.ok(w > 0 && w < 0.02 * spread, `${kind}: bf16 vs f32 logits differ by ${w} (spread ${spread})`);
      assert.deepEqual(greedy(lora, prompts, 4).logits, b16.logits, 'the same logits again');
    });
  }
}

test('GRPO\'s sampler decodes a LoRA model on a BF16 Qwen3 folder through the packed path', async () => {
  const dir = tempDir('packed-decode-grpo');
  const model = join(dir, 'qwen3');
  writeTinyHfFolder(model, { arch: 'qwen3', dtype: 'BF16', attentionBias: true });
  const data = join(dir, 'p.jsonl');
  writeFileSync(data, ['1+1=', '2+3='].map((prompt, i) => JSON.stringify({ id: `p${i}`, prompt, answer: '2' })).join('\n') + '\n');
  const run = prepareGrpo({
    ...DEFAULT_CONFIG, task: null, data, model, output_dir: join(dir, 'run'), rewards: [{ name: 'accuracy', weight: 1 }], lora: 'r=2,alpha=4',
    prompts_per_step: 2, num_generations: 2, max_completion_length: 5, save_steps: 0, log_completions_steps: 0,
  }, { quiet: true });
  assert.ok(isLoraModel(run.model));
  const base = run.model.base as Transformer;
  assert.ok(base.frozenWeights().size > 0, 'the base is kept in BF16');
  const before = { ...base.decodeCounts };
  const out = await run.sampler(['1+1=', '2+3='].map((p) => run.tokenizer.encode(p)), new Rng(1));
  assert.equal(out.length, 2);
  assert.ok(base.decodeCounts.packed > before.packed, 'decoded on the packed path');
  assert.equal(base.decodeCounts.plain, before.plain, 'never on the plain path');
});
