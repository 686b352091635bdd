// The Llama/Qwen2/Qwen3 transformer: Hugging Face parameter names and shapes, KV-cache decoding
// equal to the full forward pass (GQA, Qwen2 biases, Qwen3 q/k norms, Llama attention and MLP
// biases, rows of different lengths, inactive rows),
// gradients reaching every parameter, and learning on a tiny task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, crossEntropy, noGrad, type Tensor } from '../../src/core/index.js';
import type { CausalLM } from '../../src/model/causal-lm.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { stackedWeights } from '../../src/core/ops/fused.js';
import { createTransformer } from '../../src/model/transformer.js';
import { Rng } from '../../src/util/rng.js';

function config(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'qwen2', vocab_size: 37, hidden_size: 48, intermediate_size: 72, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: false, ...over,
  };
}

/**
 * The backward pass's gradient of parameter `name` at `indices` against a central difference in
 * float32 with h = 1e-2: truncation error ~h^2, rounding ~1e-7/h, so 2% is a fair tolerance.
 */
function assertCentralDifference(m: CausalLM, name: string, indices: number[], loss: () => Tensor): void {
  const w = m.parameters().get(name)!;
  for (const i of indices) {
    const x0 = w.data[i];
    w.data[i] = x0 + 1e-2;
    const lp = noGrad(loss).item();
    w.data[i] = x0 - 1e-2;
    const lm = noGrad(loss).item();
    w.data[i] = x0;
    const num = (lp - lm) / 2e-2;
    assert.ok(Math.abs(num - w.grad![i]) < 0.02 * Math.abs(num) + 2e-4, `${name}[${i}]: ${w.grad![i]} vs ${num}`);
  }
}

function maxDiff(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[aOff + i] - b[bOff + i]));
  return m;
}

test('parameters use Hugging Face names and [out, in] shapes; qwen2 adds q/k/v biases; tying drops lm_head', () => {
  const m = createTransformer(config());
  const p = m.parameters();
  assert.deepEqual(p.get('model.embed_tokens.weight')!.shape, [37, 48]);
  assert.deepEqual(p.get('model.layers.1.self_attn.q_proj.weight')!.shape, [48, 48]);
  assert.deepEqual(p.get('model.layers.1.self_attn.k_proj.weight')!.shape, [24, 48]);
  assert.deepEqual(p.get('model.layers.0.self_attn.v_proj.bias')!.shape, [24]);
  assert.deepEqual(p.get('model.layers.0.self_attn.o_proj.weight')!.shape, [48, 48]);
  assert.deepEqual(p.get('model.layers.0.mlp.gate_proj.weight')!.shape, [72, 48]);
  assert.deepEqual(p.get('model.layers.0.mlp.down_proj.weight')!.shape, [48, 72]);
  assert.deepEqual(p.get('model.layers.1.post_attention_layernorm.weight')!.shape, [48]);
  assert.deepEqual(p.get('lm_head.weight')!.shape, [37, 48]);
  assert.equal(p.size, 1 + 2 * 12 + 2);
  const llama = createTransformer(config({ model_type: 'llama', tie_word_embeddings: true })).parameters();
  assert.equal(llama.has('lm_head.weight'), false);
  assert.equal(llama.has('model.layers.0.self_attn.q_proj.bias'), false);
  assert.equal(createTransformer(config({ model_type: 'llama', attention_bias: true })).parameters().has('model.layers.0.self_attn.k_proj.bias'), true);
  for (const t of p.values()) assert.equal(t.requiresGrad, true);
});

test("each layer's q/k/v and gate/up weights are consecutive views of one buffer, so the fused products copy none", () => {
  const p = createTransformer(config({ model_type: 'llama' })).parameters();
  for (const parts of [['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj'], ['mlp.gate_proj', 'mlp.up_proj']]) {
    const ws = parts.map((n) => p.get(`model.layers.1.${n}.weight`)!);
    const stacked = stackedWeights(ws);
    assert.equal(stacked.buffer, ws[0].data.buffer);
    assert.deepEqual(stacked, Float32Array.from(ws.flatMap((w) => [...w.data])));
  }
});

test('the same seed gives the same weights; a different seed different ones', () => {
  const a = createTransformer(config(), { seed: 5 }).parameters().get('model.layers.0.mlp.up_proj.weight')!.data;
  const b = createTransformer(config(), { seed: 5 }).parameters().get('model.layers.0.mlp.up_proj.weight')!.data;
  const c = createTransformer(config(), { seed: 6 }).parameters().get('model.layers.0.mlp.up_proj.weight')!.data;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('prefill + decode logits equal full-forward logits (GQA, qwen2 bias, rows of different lengths)', () => {
  const cfg = config();
  const m = createTransformer(cfg, { seed: 1, initStd: 0.15 });
  // Random non-zero biases so the bias path is exercised.
  const rng = new Rng(9);
  for (const [name, t] of m.parameters()) if (name.endsWith('.bias')) t.data.forEach((_, i) => { t.data[i] = rng.normal() * 0.3; });
  const B = 3, T = 12, V = cfg.vocab_size;
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const full = noGrad(() => m.forward(ids, B, T)).data;
  const prompt = [2, 5, 1];
  const cache = m.createCache(B, T);
  for (let b = 0; b < B; b++) {
    const last = m.prefill(cache, b, ids.subarray(b * T, b * T + prompt[b]));
    assert.ok(maxDiff(last, 0, full, (b * T + prompt[b] - 1) * V, V) < 1e-4, `prefill logits of row ${b}`);
    assert.equal(cache.length(b), prompt[b]);
  }
  // Decode each row up to T tokens; a row whose prompt is longer sits out (inactive) until the others catch up.
  const len = [...prompt];
  for (let step = 0; step < T; step++) {
    const target = Math.min(...len);
    if (target >= T) break;
    const active = Uint8Array.from(len, (l) => (l === target ? 1 : 0));
    const next = Int32Array.from(len, (l, b) => (l < T ? ids[b * T + l] : 0));
    const logits = m.decode(cache, next, active);
    for (let b = 0; b < B; b++) {
      if (!active[b]) {
        assert.equal(cache.length(b), len[b], 'inactive rows do not grow');
        continue;
      }
      assert.ok(maxDiff(logits, b * V, full, (b * T + len[b]) * V, V) < 1e-4, `decode logits of row ${b} at position ${len[b]}`);
      len[b]++;
      assert.equal(cache.length(b), len[b]);
    }
  }
  assert.deepEqual(len, [T, T, T]);
  assert.throws(() => m.decode(cache, new Int32Array(B)), /full/);
  cache.reset(1);
  assert.equal(cache.length(1), 0);
  const again = m.prefill(cache, 1, ids.subarray(T, T + 4));
  assert.ok(maxDiff(again, 0, full, (T + 3) * V, V) < 1e-4, 'a reset row is reusable');
});

test('right padding does not change the logits of earlier positions', () => {
  const m = createTransformer(config({ model_type: 'llama' }), { seed: 2, initStd: 0.1 });
  const a = Int32Array.of(3, 4, 5, 6, 0, 0);
  const b = Int32Array.of(3, 4, 5, 6, 9, 17);
  const la = noGrad(() => m.forward(a, 1, 6)).data, lb = noGrad(() => m.forward(b, 1, 6)).data;
  assert.deepEqual(la.subarray(0, 4 * 37), lb.subarray(0, 4 * 37));
});

test('every parameter gets a gradient, and one matches a finite difference of the loss', () => {
  const cfg = config({ num_hidden_layers: 1 });
  const m = createTransformer(cfg, { seed: 3, initStd: 0.2 });
  const ids = Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8), targets = Int32Array.of(2, 3, 4, 5, 6, 7, 8, 9);
  const loss = () => crossEntropy(m.forward(ids, 2, 4), targets);
  loss().backward();
  for (const [name, t] of m.parameters()) assert.ok(t.grad && t.grad.some((g) => g !== 0), `${name} has a non-zero gradient`);
  assertCentralDifference(m, 'model.layers.0.self_attn.k_proj.weight', [0, 17, 300], loss);
});

test('qwen3 q/k norms and llama attention + MLP biases: cached decoding equals the full forward, gradients reach them', () => {
  const cases: Partial<ModelConfig>[] = [
    { model_type: 'qwen3', head_dim: 16, attention_bias: true },
    { model_type: 'llama', attention_bias: true, mlp_bias: true },
  ];
  for (const over of cases) {
    const m = createTransformer(config({ ...over, num_hidden_layers: 1 }), { seed: 7, initStd: 0.2 });
    const rng = new Rng(3);
    // Non-trivial norm weights and biases, so skipping one in either path would show.
    for (const [name, t] of m.parameters()) {
      if (name.endsWith('.bias') || name.includes('_norm.')) t.data.forEach((v, i) => { t.data[i] = v + rng.normal() * 0.3; });
    }
    const names = [...m.parameters().keys()];
    if (over.model_type === 'qwen3') assert.ok(names.includes('model.layers.0.self_attn.q_norm.weight') && names.includes('model.layers.0.self_attn.o_proj.bias'));
    else assert.ok(names.includes('model.layers.0.mlp.down_proj.bias') && names.includes('model.layers.0.self_attn.o_proj.bias'));
    const T = 7, V = 37;
    const ids = Int32Array.from({ length: T }, () => rng.int(V));
    const full = noGrad(() => m.forward(ids, 1, T)).data;
    const cache = m.createCache(1, T);
    m.prefill(cache, 0, ids.subarray(0, 3));
    for (let t = 3; t < T; t++) {
      const step = m.decode(cache, ids.subarray(t, t + 1));
      assert.ok(maxDiff(step, 0, full, t * V, V) < 1e-4, `${over.model_type}: decode at ${t}`);
    }
    const loss = () => crossEntropy(m.forward(ids.subarray(0, 6), 1, 6), ids.subarray(1, 7));
    loss().backward();
    for (const [name, t] of m.parameters()) assert.ok(t.grad && t.grad.some((g) => g !== 0), `${over.model_type}: ${name} has a non-zero gradient`);
    // The new paths' gradients against a central difference.
    assertCentralDifference(m, over.model_type === 'qwen3' ? 'model.layers.0.self_attn.k_norm.weight' : 'model.layers.0.self_attn.o_proj.bias', [0, 5], loss);
  }
});

test('a tiny model learns to predict the next token of a repeating sequence', () => {
  const m = createTransformer(config({ model_type: 'llama', vocab_size: 8, tie_word_embeddings: true }), { seed: 4 });
  const seq = Int32Array.from({ length: 17 }, (_, i) => i % 8);
  const ids = seq.subarray(0, 16), targets = seq.subarray(1, 17);
  const opt = new AdamW([...m.parameters().values()], { lr: 1e-2, weightDecay: 0 });
  let first = 0, last = 0;
  for (let s = 0; s < 60; s++) {
    opt.zeroGrad();
    const loss = crossEntropy(m.forward(ids, 1, 16), targets);
    if (s === 0) first = loss.item();
    last = loss.item();
    loss.backward();
    opt.step();
  }
  assert.ok(first > 1.5 && last < 0.1, `loss ${first} -> ${last}`);
});

test('bad inputs are clear errors', () => {
  const m = createTransformer(config());
  assert.throws(() => m.forward(new Int32Array(5), 2, 3), /5 ids for batch 2/);
  assert.throws(() => m.forward(Int32Array.of(1, 99), 1, 2), /outside the vocabulary/);
  assert.throws(() => createTransformer(config({ num_key_value_heads: 3 })), /multiple of num_key_value_heads/);
  const cache = m.createCache(2, 4);
  assert.throws(() => m.prefill(cache, 2, Int32Array.of(1)), /row 2/);
  assert.throws(() => m.prefill(cache, 0, Int32Array.of(1, 2, 3, 4, 5)), /at most 4/);
  assert.throws(() => m.decode(cache, Int32Array.of(1)), /1 ids for a cache of 2 rows/);
});
