// The training forward's fused layer (q/k/v and gate/up as one product each with their biases,
// RoPE inside the attention kernel, LoRA adapters added into the packed products) against the
// plain layer it replaces (`fuseTrainingLayers` off): same logits, loss and parameter gradients,
// for the families and options real models bring: Llama, Qwen2's q/k/v biases, Llama's
// attention_bias and mlp_bias, Qwen3's q/k norms, LoRA on an f32 or a frozen BF16 base.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy } from '../../src/core/index.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import { LoraModel, parseLoraSpec } from '../../src/model/lora.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { Transformer } from '../../src/model/transformer.js';
import { Rng } from '../../src/util/rng.js';

function config(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'llama', vocab_size: 23, hidden_size: 24, intermediate_size: 36, num_hidden_layers: 2,
    num_attention_heads: 3, num_key_value_heads: 1, max_position_embeddings: 256, rms_norm_eps: 1e-5,
    rope_theta: 10000, tie_word_embeddings: true, ...over,
  };
}

interface Case {
  over: Partial<ModelConfig>;
  checkpointing?: boolean;
  /** A LoRA spec: the adapters are what trains (the base frozen, its biases too). */
  lora?: string;
  frozenBf16?: boolean;
}

/** The model of a case with every bias and LoRA B set to random values (they start at zero), so each part counts. */
function build(c: Case): { net: Transformer; model: CausalLM } {
  const net = new Transformer(config(c.over), { seed: 5, initStd: 0.2, frozenBf16: c.frozenBf16 });
  const rng = new Rng(3);
  for (const [name, p] of net.parameters()) if (name.endsWith('.bias')) p.data.forEach((_, i) => (p.data[i] = rng.normal() * 0.3));
  if (!c.lora) return { net, model: net };
  const model = new LoraModel(net, parseLoraSpec(c.lora), { seed: 2 });
  for (const [name, p] of model.parameters()) if (name.endsWith('lora_B.weight')) p.data.forEach((_, i) => (p.data[i] = rng.normal() * 0.2));
  return { net, model };
}

function run(c: Case, fused: boolean): { loss: number; logits: Float32Array; grads: Map<string, Float32Array> } {
  const { net, model } = build(c);
  net.fuseTrainingLayers = fused;
  assert.equal(net.trainsFused(), fused, 'the path under test is the one taken');
  if (c.checkpointing) net.gradientCheckpointing = true;
  const rng = new Rng(9);
  const B = 2, T = 70; // longer than one 64-row attention block
  const V = c.over.vocab_size ?? 23;
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  const logits = model.forward(ids, B, T);
  const loss = crossEntropy(logits, targets);
  loss.backward();
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.parameters()) grads.set(name, Float32Array.from(p.grad ?? []));
  // A frozen base (LoRA) gets no gradient, biases included.
  if (c.lora) for (const [name, p] of net.parameters()) assert.equal(p.grad, null, `${name} is frozen`);
  return { loss: loss.item(), logits: Float32Array.from(logits.data), grads };
}

/** max |a - b| over the scale of b (at least 1): float rounding of logits near zero counts at the logits' scale. */
function scaledDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0, scale = 1;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(b[i])));
  return worst;
}

const qwen2: Partial<ModelConfig> = { model_type: 'qwen2', num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 32, tie_word_embeddings: true };
const qwen3: Partial<ModelConfig> = { model_type: 'qwen3', num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 24, head_dim: 10 };

for (const [label, c] of [
  ['llama, GQA, tied embeddings', { over: {} }],
  ['llama with RoPE scaling, untied, no GQA, gradient checkpointing', {
    over: { tie_word_embeddings: false, num_key_value_heads: 3, rope_scaling: { rope_type: 'linear', factor: 2 } }, checkpointing: true,
  }],
  ['qwen2 (q/k/v biases), full fine-tuning', { over: qwen2 }],
  ['llama with attention_bias (q/k/v and o_proj) and mlp_bias', { over: { attention_bias: true, mlp_bias: true, tie_word_embeddings: false } }],
  ['qwen2 with LoRA on every projection (f32 base)', { over: qwen2, lora: 'r=4,alpha=8,targets=all-linear' }],
  ['qwen2 with LoRA on q_proj, v_proj and up_proj only, gradient checkpointing', { over: qwen2, lora: 'r=3,alpha=6,targets=q_proj,v_proj,up_proj', checkpointing: true }],
  ['qwen2 with LoRA on a frozen BF16 base', { over: qwen2, lora: 'r=4,alpha=8,targets=all-linear', frozenBf16: true }],
  ['qwen3 (q_norm / k_norm, head_dim apart from hidden_size / heads)', { over: qwen3 }],
  ['qwen3 with LoRA on a frozen BF16 base', { over: qwen3, lora: 'r=4,alpha=8,targets=all-linear', frozenBf16: true }],
] as Array<[string, Case]>) {
  test(`fused training layer equals the plain one: ${label}`, () => {
    const fused = run(c, true), plain = run(c, false);
    assert.ok(Math.abs(fused.loss - plain.loss) < 1e-5, `loss ${fused.loss} vs ${plain.loss}`);
    assert.ok(scaledDiff(fused.logits, plain.logits) < 1e-5, `logits differ by ${scaledDiff(fused.logits, plain.logits)}`);
    assert.equal(fused.grads.size, plain.grads.size);
    for (const [name, g] of plain.grads) {
      assert.ok(g.some((v) => v !== 0), `${name} got a gradient`);
      assert.ok(maxRelDiff(fused.grads.get(name)!, g) < 2e-3, `gradient of ${name}`);
    }
  });
}

test('the training forward takes the fused layer unless switched off or a hook without applyPacked rules it out', () => {
  const m = new Transformer(config(qwen2));
  assert.equal(m.trainsFused(), true);
  m.setLinearHook({ apply: (_module, _x, y) => y });
  assert.equal(m.trainsFused(), false);
  m.setLinearHook(null);
  m.fuseTrainingLayers = false;
  assert.equal(m.trainsFused(), false);
});
