// The training forward's fused layer (q/k/v and gate/up as one product each, RoPE inside the
// attention kernel) against the plain layer it replaces: same logits, loss and parameter
// gradients. A LinearHook that returns each projection unchanged forces the plain path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy } from '../../src/core/index.js';
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

function run(c: ModelConfig, plain: boolean, checkpointing: boolean): { loss: number; logits: Float32Array; grads: Map<string, Float32Array> } {
  const m = new Transformer(c, { seed: 5, initStd: 0.2 });
  if (plain) m.setLinearHook({ apply: (_module, _x, y) => y });
  if (checkpointing) m.gradientCheckpointing = true;
  const rng = new Rng(9);
  const B = 2, T = 70; // longer than one 64-row attention block
  const ids = Int32Array.from({ length: B * T }, () => rng.int(c.vocab_size));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(c.vocab_size));
  const logits = m.forward(ids, B, T);
  const loss = crossEntropy(logits, targets);
  loss.backward();
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of m.parameters()) grads.set(name, Float32Array.from(p.grad ?? []));
  return { loss: loss.item(), logits: Float32Array.from(logits.data), grads };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-3 + Math.abs(b[i])));
  return worst;
}

for (const [label, over, ckpt] of [
  ['llama, GQA, tied embeddings', {}, false],
  ['llama with o_proj bias and RoPE scaling, untied, gradient checkpointing', {
    attention_bias: false, tie_word_embeddings: false, num_key_value_heads: 3,
    rope_scaling: { rope_type: 'linear', factor: 2 },
  }, true],
] as Array<[string, Partial<ModelConfig>, boolean]>) {
  test(`fused training layer equals the plain one: ${label}`, () => {
    const c = config(over);
    const fused = run(c, false, ckpt), plain = run(c, true, ckpt);
    assert.ok(Math.abs(fused.loss - plain.loss) < 1e-5, `loss ${fused.loss} vs ${plain.loss}`);
    assert.ok(maxRelDiff(fused.logits, plain.logits) < 1e-4, 'logits');
    assert.equal(fused.grads.size, plain.grads.size);
    for (const [name, g] of plain.grads) {
      assert.ok(g.some((v) => v !== 0), `${name} got a gradient`);
      assert.ok(maxRelDiff(fused.grads.get(name)!, g) < 2e-3, `gradient of ${name}`);
    }
  });
}
