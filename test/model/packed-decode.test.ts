// The transformer's packed decode path (one q/k/v product, one gate/up product, the fused
// attention kernel) against its plain path (the training layer over the cache, taken when a
// linear hook without applyPacked is set): the same greedy tokens and logits, after the weights change in place too
// (the packed matrices are the parameters' own storage, so there is nothing to invalidate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, type Tensor } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { Transformer } from '../../src/model/transformer.js';
import { Rng } from '../../src/util/rng.js';
import { greedyDecode as greedy } from './helpers.js';

const identity = { apply: (_m: string, _x: Tensor, y: Tensor): Tensor => y };

function config(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'qwen2', vocab_size: 41, hidden_size: 36, intermediate_size: 50, num_hidden_layers: 2,
    num_attention_heads: 6, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: true, ...over,
  };
}


function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the packed decode path gives the plain path\'s tokens and logits, also after an in-place weight change', () => {
  for (const over of [{}, { model_type: 'llama', num_key_value_heads: 3, tie_word_embeddings: false, rope_scaling: { rope_type: 'linear', factor: 2 } }] as Partial<ModelConfig>[]) {
    const m = new Transformer(config(over), { seed: 4, initStd: 0.3 });
    const rng = new Rng(1);
    const prompts = [5, 1, 3].map((n) => Int32Array.from({ length: n }, () => rng.int(41)));
    for (const round of [0, 1]) {
      if (round === 1) {
        // An optimizer writes into the parameters' arrays; both paths must see it.
        for (const [name, t] of m.parameters()) if (/q_proj|v_proj|up_proj|bias/.test(name)) t.data.forEach((v, i) => { t.data[i] = v + rng.normal() * 0.2; });
      }
      m.setLinearHook(null);
      const packed = greedy(m, prompts, 4);
      m.setLinearHook(identity);
      const plain = greedy(m, prompts, 4);
      m.setLinearHook(null);
      assert.deepEqual(packed.tokens, plain.tokens, `${over.model_type ?? 'qwen2'} round ${round}: greedy tokens`);
      packed.logits.forEach((l, s) => assert.ok(maxDiff(l, plain.logits[s]) < 1e-4, `${over.model_type ?? 'qwen2'} round ${round} step ${s}: ${maxDiff(l, plain.logits[s])}`));
      // And both equal the training forward at the prompt's last position.
      const full = noGrad(() => m.forward(prompts[0], 1, prompts[0].length)).data;
      const V = 41, T = prompts[0].length;
      assert.ok(maxDiff(packed.logits[0].subarray(0, V), full.subarray((T - 1) * V, T * V)) < 1e-4, 'prefill logits equal the forward');
    }
  }
});

test('the packed matrices are the parameters\' storage: q/k/v and gate/up stay views of one buffer each', () => {
  const m = new Transformer(config(), { seed: 1 });
  const p = m.parameters();
  const q = p.get('model.layers.1.self_attn.q_proj.weight')!.data, k = p.get('model.layers.1.self_attn.k_proj.weight')!.data;
  const v = p.get('model.layers.1.self_attn.v_proj.weight')!.data;
  assert.equal(q.buffer, k.buffer);
  assert.equal(k.byteOffset, q.byteOffset + q.byteLength);
  assert.equal(v.byteOffset, k.byteOffset + k.byteLength);
  const g = p.get('model.layers.0.mlp.gate_proj.weight')!.data, u = p.get('model.layers.0.mlp.up_proj.weight')!.data;
  assert.equal(u.buffer, g.buffer);
  assert.equal(u.byteOffset, g.byteOffset + g.byteLength);
});

test('sampleInBf16: caches made while it is on decode with a BF16 snapshot of the weights, close to f32; off by default', () => {
  const m = new Transformer(config(), { seed: 4, initStd: 0.3 });
  assert.equal(m.sampleInBf16, false);
  const rng = new Rng(2);
  const prompts = [6, 2, 4].map((n) => Int32Array.from({ length: n }, () => rng.int(41)));
  const f32 = greedy(m, prompts, 5);
  m.sampleInBf16 = true;
  const b16 = greedy(m, prompts, 5);
  // BF16 keeps ~3 significant digits: logits move by about 1% of their spread, not more.
  let worst = 0;
  b16.logits.forEach((l, s) => (worst = Math.max(worst, maxDiff(l, f32.logits[s]))));
  assert.ok(worst > 0 && worst < 0.1, `bf16 vs f32 logits: ${worst}`);
  // The snapshot belongs to the cache: weights changed after it was made do not reach it; a new cache sees them.
  const cache = m.createCache(1, 8);
  const before = m.prefill(cache, 0, prompts[0]).slice();
  const w = m.parameters().get('model.layers.0.mlp.up_proj.weight')!;
  w.data.fill(0);
  const fresh = m.createCache(1, 8);
  const after = m.prefill(fresh, 0, prompts[0]);
  assert.ok(maxDiff(before, after) > 1e-3, 'a new cache snapshots the new weights');
  // A hook set later that cannot adapt packed products (no applyPacked) sends decoding through the plain f32 path, snapshot or not.
  m.setLinearHook(identity);
  const hooked = m.prefill(m.createCache(1, 8), 0, prompts[0]);
  m.setLinearHook(null);
  m.sampleInBf16 = false;
  const plain = m.prefill(m.createCache(1, 8), 0, prompts[0]);
  assert.ok(maxDiff(hooked, plain) < 1e-5, 'the hooked path is f32');
});
