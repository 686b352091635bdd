// LoRA layers: the spec parser's refusals, the BF16 kernels against f32 products, an adapted
// model against one whose weights were merged (W + scale·BA), adapter gradients against finite
// differences, and that only adapters train.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bf16Matrix, linear, linearBf16, noGrad, tensor, Tensor } from '../../src/core/index.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { Transformer } from '../../src/model/transformer.js';
import { LoraModel, adaptersOff, parseLoraSpec, loraScale, DEFAULT_LORA, isTargeted, moduleRankScale } from '../../src/model/lora.js';
import { f32ToBf16 } from '../../src/model/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { centralDifference } from './helpers.js';

function config(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    model_type: 'qwen2', vocab_size: 29, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 64, rms_norm_eps: 1e-6,
    rope_theta: 10000, tie_word_embeddings: false, ...over,
  };
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomize(t: Tensor, rng: Rng, std: number): void {
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal() * std;
}

test('--lora specs parse, with PEFT defaults, named lists and rslora; bad keys and values are refused by name', () => {
  assert.deepEqual(parseLoraSpec('r=16,alpha=32,dropout=0,targets=all-linear'), DEFAULT_LORA);
  const named = parseLoraSpec('r=8,targets=q_proj,v_proj,alpha=16');
  assert.deepEqual(named.targets, ['q_proj', 'v_proj']);
  assert.equal(named.r, 8);
  assert.equal(loraScale(named), 2);
  assert.equal(loraScale(parseLoraSpec('r=16,alpha=32,rslora=true')), 8);
  const refusals: [string, RegExp][] = [
    ['rank=4', /unknown key "rank"/],
    ['r=0', /r must be a positive integer/],
    ['r=2.5', /r must be a positive integer/],
    ['alpha=-1', /alpha must be positive/],
    ['dropout=1', /dropout must be in \[0, 1\)/],
    ['r=4,r=8', /"r" is given twice/],
    ['targets=lm_head', /target "lm_head" is not a projection/],
    ['r=4,,alpha=8', /empty entry/],
    ['q_proj', /"q_proj" is not key=value/],
    ['rslora=yes', /rslora must be true or false/],
  ];
  for (const [spec, re] of refusals) assert.throws(() => parseLoraSpec(spec), re, spec);
  assert.throws(() => parseLoraSpec('r=x', 'recipe.yaml, stage "rl", field "lora"'), /^AhaError: recipe\.yaml, stage "rl", field "lora": r must be a number/);
});

test('targets match as PEFT matches them: all-linear, name suffixes, a full regex', () => {
  const m = 'model.layers.3.self_attn.q_proj';
  assert.ok(isTargeted(m, { targets: 'all-linear' }));
  assert.ok(isTargeted(m, { targets: ['q_proj'] }));
  assert.ok(!isTargeted(m, { targets: ['proj'] }));
  assert.ok(isTargeted(m, { targets: { regex: '.*\\.(q|v)_proj' } }));
  assert.ok(!isTargeted(m, { targets: { regex: 'q_proj' } }));
});

test('exclude_modules and layers_to_transform narrow the targets as PEFT does', () => {
  const q3 = 'model.layers.3.self_attn.q_proj', up3 = 'model.layers.3.mlp.up_proj', q12 = 'model.layers.12.self_attn.q_proj';
  // Excluded names win over targets, in list (suffix) and regex (full match) form.
  assert.ok(!isTargeted(q3, { targets: 'all-linear', exclude: ['q_proj'] }));
  assert.ok(isTargeted(up3, { targets: 'all-linear', exclude: ['q_proj'] }));
  assert.ok(!isTargeted(q3, { targets: 'all-linear', exclude: { regex: '.*\\.3\\..*' } }));
  assert.ok(isTargeted(q12, { targets: 'all-linear', exclude: { regex: '3\\..*' } }), 'a regex must match the whole name');
  // Layer indices: the number after the pattern's name, or after any name without one.
  assert.ok(isTargeted(q3, { targets: ['q_proj'], layers: [3] }));
  assert.ok(!isTargeted(q12, { targets: ['q_proj'], layers: [1, 2] }), '12 is not 1 or 2');
  assert.ok(isTargeted(q12, { targets: ['q_proj'], layers: [12], layersPattern: ['layers'] }));
  assert.ok(!isTargeted(q12, { targets: ['q_proj'], layers: [12], layersPattern: ['blocks'] }));
  // A module named in full is not filtered by layer (PEFT checks layers only for suffix matches).
  assert.ok(isTargeted(q12, { targets: [q12], layers: [0] }));
});

test('rank_pattern and alpha_pattern give projections their own rank and scale (PEFT\'s first matching key)', () => {
  const c = { ...DEFAULT_LORA, r: 8, alpha: 16, rankPattern: { 'layers\\.0\\.self_attn\\.q_proj': 2, q_proj: 4 }, alphaPattern: { v_proj: 4 } };
  assert.deepEqual(moduleRankScale(c, 'model.layers.0.self_attn.q_proj'), { r: 2, scale: 8 });
  assert.deepEqual(moduleRankScale(c, 'model.layers.1.self_attn.q_proj'), { r: 4, scale: 4 });
  assert.deepEqual(moduleRankScale(c, 'model.layers.1.self_attn.v_proj'), { r: 8, scale: 0.5 });
  assert.deepEqual(moduleRankScale(c, 'model.layers.1.self_attn.xq_proj'), { r: 8, scale: 2 }, 'a key matches after a dot only');
  assert.deepEqual(moduleRankScale({ ...c, rslora: true }, 'model.layers.1.self_attn.q_proj'), { r: 4, scale: 8 });
});

test('BF16 products equal f32 products with the widened weights, forward and input gradient', () => {
  const rng = new Rng(3);
  for (const [M, N, K] of [[1, 37, 19], [5, 300, 64], [70, 33, 1100], [3, 600, 2000]]) {
    const w32 = new Float32Array(N * K).map(() => rng.normal());
    const bits = f32ToBf16(w32);
    const w = new Bf16Matrix([N, K], bits);
    const wide = w.toFloat32();
    const x = tensor(new Float32Array(M * K).map(() => rng.normal()), [M, K], { requiresGrad: true });
    const xr = tensor(x.data.slice(), [M, K], { requiresGrad: true });
    const y = linearBf16(x, w);
    const yr = linear(xr, tensor(wide, [N, K]));
    assert.ok(maxAbs(y.data, yr.data) < 1e-3, `forward ${M}x${N}x${K}`);
    const seed = new Float32Array(M * N).map(() => rng.normal());
    y.backward(seed);
    yr.backward(seed);
    assert.ok(maxAbs(x.grad!, xr.grad!) < 1e-3, `backward ${M}x${N}x${K}`);
  }
});

/** A transformer, its adapted copy with random (non-zero) adapters, and the same weights merged. */
function adaptedPair(frozenBf16: boolean, spec = 'r=4,alpha=8,targets=all-linear') {
  const cfg = config();
  const base = new Transformer(cfg, { seed: 1, frozenBf16 });
  const lora = new LoraModel(base, parseLoraSpec(spec), { seed: 2 });
  const rng = new Rng(9);
  for (const p of lora.parameters().values()) randomize(p, rng, 0.2);
  // The merged model: f32 weights W + scale·BA (BF16 weights widened first).
  const merged = new Transformer(cfg, { seed: 1 });
  const mp = merged.parameters();
  if (frozenBf16) for (const [name, w] of base.frozenWeights()) mp.get(name)!.data.set(w.toFloat32());
  for (const [name, p] of base.parameters()) mp.get(name)!.data.set(p.data);
  for (const [module, delta] of lora.deltas()) {
    const w = mp.get(`${module}.weight`)!.data;
    for (let i = 0; i < w.length; i++) w[i] += delta[i];
  }
  return { base, lora, merged };
}

test('an adapted model gives the logits of the merged model (f32 and BF16 bases), and the base with adapters off', () => {
  const ids = Int32Array.from({ length: 14 }, (_, i) => (i * 7 + 3) % 29);
  for (const bf16 of [false, true]) {
    const { lora, merged } = adaptedPair(bf16);
    const y = noGrad(() => lora.forward(ids, 2, 7)).data;
    const ym = noGrad(() => merged.forward(ids, 2, 7)).data;
    assert.ok(maxAbs(y, ym) < 2e-4, `bf16=${bf16}: ${maxAbs(y, ym)}`);
    // KV-cache decoding goes through the same adapters.
    const cache = lora.createCache(1, 8);
    const last = lora.prefill(cache, 0, ids.subarray(0, 7));
    assert.ok(maxAbs(last, ym.subarray(6 * 29, 7 * 29)) < 2e-4);
    // Batched prefill and decoding write their logits with the lm_head product into the cache's
    // buffer: the BF16 lm_head must be widened there too.
    const batched = lora.prefillRows!(lora.createCache(1, 8), [0], [ids.subarray(0, 7)]);
    assert.ok(maxAbs(batched.subarray(0, 29), ym.subarray(6 * 29, 7 * 29)) < 2e-4);
    const step = lora.decode(cache, Int32Array.of(ids[7]));
    const eight = noGrad(() => merged.forward(ids.subarray(0, 8), 1, 8)).data;
    assert.ok(maxAbs(step.subarray(0, 29), eight.subarray(7 * 29, 8 * 29)) < 2e-4);
    // Off: exactly the base network (B A contributes nothing at all).
    const plain = new Transformer(config(), { seed: 1, frozenBf16: bf16 });
    assert.deepEqual(noGrad(() => adaptersOff(lora).forward(ids, 2, 7)).data, noGrad(() => plain.forward(ids, 2, 7)).data);
    assert.notDeepEqual(noGrad(() => lora.forward(ids, 2, 7)).data, noGrad(() => plain.forward(ids, 2, 7)).data);
  }
});

test('fresh adapters leave the model equal to its base: B is zero, A is Kaiming-uniform within 1/sqrt(in)', () => {
  const base = new Transformer(config(), { seed: 1 });
  const ids = Int32Array.from([1, 2, 3, 4, 5]);
  const before = noGrad(() => base.forward(ids, 1, 5)).data.slice();
  const lora = new LoraModel(base, parseLoraSpec('r=4,targets=q_proj,down_proj'));
  assert.deepEqual(noGrad(() => lora.forward(ids, 1, 5)).data, before);
  const names = [...lora.parameters().keys()];
  assert.deepEqual(names.slice(0, 2), ['base_model.model.model.layers.0.mlp.down_proj.lora_A.weight', 'base_model.model.model.layers.0.mlp.down_proj.lora_B.weight']);
  assert.equal(names.length, 2 * 2 * 2);
  const a = lora.parameters().get('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight')!;
  assert.deepEqual(a.shape, [4, 48]);
  const bound = 1 / Math.sqrt(48);
  assert.ok(a.data.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...a.data) > 0.8 * bound && Math.min(...a.data) < -0.8 * bound);
  assert.ok(lora.parameters().get('base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight')!.data.every((v) => v === 0));
});

test('adapter gradients match finite differences; the base gets none', () => {
  const { base, lora } = adaptedPair(false, 'r=2,alpha=4,targets=v_proj,up_proj');
  const ids = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
  const rng = new Rng(4);
  const proj = new Float32Array(8 * 29).map(() => rng.normal());
  const loss = (): number => {
    const y = noGrad(() => lora.forward(ids, 1, 8)).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * proj[i];
    return s;
  };
  const y = lora.forward(ids, 1, 8);
  y.backward(proj);
  for (const p of base.parameters().values()) assert.equal(p.grad, null);
  for (const [name, p] of lora.parameters()) {
    assert.ok(p.grad, name);
    for (const k of [0, Math.floor(p.size / 2), p.size - 1]) {
      const fd = centralDifference(loss, p.data, k);
      assert.ok(Math.abs(fd - p.grad![k]) < 2e-2 * Math.max(1, Math.abs(fd)), `${name}[${k}]: analytic ${p.grad![k]}, numeric ${fd}`);
    }
  }
});

test('gradient checkpointing gives the same gradients (adapters on a BF16 base, and full fine-tuning)', () => {
  const ids = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);
  const rng = new Rng(12);
  const seed = new Float32Array(10 * 29).map(() => rng.normal());
  const grads = (checkpointing: boolean, lora: boolean): Map<string, Float32Array> => {
    const base = new Transformer(config(), { seed: 1, frozenBf16: lora });
    base.gradientCheckpointing = checkpointing;
    const model = lora ? new LoraModel(base, parseLoraSpec('r=2,alpha=4'), { seed: 2 }) : base;
    const r = new Rng(5);
    if (lora) for (const [n, p] of model.parameters()) if (n.endsWith('lora_B.weight')) randomize(p, r, 0.1);
    model.forward(ids, 2, 5).backward(seed);
    return new Map([...model.parameters()].map(([n, p]) => [n, p.grad!]));
  };
  for (const lora of [true, false]) {
    const plain = grads(false, lora), ckpt = grads(true, lora);
    assert.equal(ckpt.size, plain.size);
    for (const [n, g] of plain) assert.ok(maxAbs(ckpt.get(n)!, g) <= 1e-6 * Math.max(1, ...g.map(Math.abs)), `${n} (lora=${lora})`);
  }
});
