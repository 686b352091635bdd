// Model folders: save and reload give identical logits, F16/BF16 and sharded weights load,
// config.json is validated field by field, and bad weights are refused naming the tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { readSafetensorsHeader, writeSafetensors, f32ToBf16, bf16ToF32 } from '../../src/model/safetensors.js';
import { parseModelConfig } from '../../src/model/config-json.js';
import type { Tokenizer } from '../../src/model/tokenizer.js';
import { tinyModel, tempDir, logitsOf } from './helpers.js';

const tok = new CharTokenizer();
// Llama 3.2's scaling, with a short original context so the tiny model's positions feel it.
const LLAMA3_SCALING = { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } as const;
const probe = tok.encode('<think>12+30=42</think> <answer>42</answer>');

test('a tiny random model saved and reloaded gives identical logits (tied and untied, qwen2 and llama)', () => {
  for (const over of [{}, { tie_word_embeddings: false, model_type: 'llama' as const, num_key_value_heads: 4 }]) {
    const model = tinyModel(over);
    const dir = join(tempDir('ckpt'), 'model');
    saveModel(model, tok, dir);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    const names = [...readSafetensorsHeader(join(dir, 'model.safetensors')).tensors.keys()];
    assert.equal(names.includes('lm_head.weight'), over.tie_word_embeddings === false);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg.architectures, [over.model_type === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM']);
    const loaded = loadModel(dir);
    for (const [k, v] of Object.entries(model.config)) assert.deepEqual(loaded.config[k as keyof typeof loaded.config], v, k);
    assert.equal(loaded.tokenizer.kind, 'char');
    assert.deepEqual(loaded.eosIds, [2]);
    assert.deepEqual(logitsOf(loaded.model, probe), logitsOf(model, probe));
  }
});

test('BF16 and F16 weights load as their rounded values', () => {
  const model = tinyModel();
  const dir = join(tempDir('bf16'), 'model');
  saveModel(model, tok, dir, { dtype: 'BF16' });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg.torch_dtype, 'bfloat16');
  const loaded = loadModel(dir);
  for (const [name, p] of model.parameters()) {
    const want = new Float32Array(p.data.length);
    bf16ToF32(f32ToBf16(p.data), want);
    assert.deepEqual(loaded.model.parameters().get(name)!.data, want, name);
  }
  // Logits stay close to the F32 model's.
  const a = logitsOf(model, probe);
  const b = logitsOf(loaded.model, probe);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 0.1, `BF16 logits differ by ${worst}`);

  const f16Dir = join(tempDir('f16'), 'model');
  saveModel(model, tok, f16Dir, { dtype: 'F16' });
  const f16 = loadModel(f16Dir);
  const c = logitsOf(f16.model, probe);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) < 0.02);
});

test('sharded weights with model.safetensors.index.json (F32 and BF16 shards) load identically', () => {
  const model = tinyModel({ tie_word_embeddings: false });
  const dir = join(tempDir('shard'), 'model');
  saveModel(model, tok, dir);
  unlinkSync(join(dir, 'model.safetensors'));
  const entries = [...model.parameters()];
  const half = Math.floor(entries.length / 2);
  const shards = [entries.slice(0, half), entries.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, file), part.map(([name, t]) => ({ name, shape: t.shape, data: t.data })), { dtype: i === 0 ? 'F32' : 'BF16' });
    for (const [name] of part) weightMap[name] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 7] }));
  const loaded = loadModel(dir);
  entries.forEach(([name, t], i) => {
    const want = new Float32Array(t.data.length);
    if (i < half) want.set(t.data);
    else bf16ToF32(f32ToBf16(t.data), want);
    assert.deepEqual(loaded.model.parameters().get(name)!.data, want, name);
  });
  // EOS ids gather config.json's, generation_config.json's and the tokenizer's.
  assert.deepEqual([...loaded.eosIds].sort((a, b) => a - b), [2, 7]);
});

test('missing, unexpected and misshapen tensors are refused naming the tensor and file', () => {
  const model = tinyModel();
  const dir = join(tempDir('bad'), 'model');
  saveModel(model, tok, dir);
  const file = join(dir, 'model.safetensors');
  const all = [...model.parameters()].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));

  writeSafetensors(file, all.filter((t) => t.name !== 'model.norm.weight'));
  assert.throws(() => loadModel(dir), /tensor "model\.norm\.weight" is missing/);

  writeSafetensors(file, [...all, { name: 'model.layers.9.mlp.up_proj.weight', shape: [1], data: new Float32Array(1) }]);
  assert.throws(() => loadModel(dir), (e: Error) => e.message.includes('model.layers.9.mlp.up_proj.weight') && e.message.includes(file));

  writeSafetensors(file, all.map((t) => (t.name === 'model.norm.weight' ? { ...t, shape: [t.data.length / 2, 2] } : t)));
  assert.throws(() => loadModel(dir), /model\.norm\.weight" has shape \[16, 2\] but the config needs \[32\]/);

  // A tied model's file may carry lm_head.weight (some exporters write it): accepted, ignored.
  writeSafetensors(file, [...all, { name: 'lm_head.weight', shape: all[0].shape, data: all[0].data }]);
  assert.doesNotThrow(() => loadModel(dir));
});

test('config.json is validated with errors naming the field', () => {
  const good = { ...tinyModel().config };
  assert.deepEqual(parseModelConfig(good), { ...good, attention_bias: true });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ model_type: 'gpt2' }, /field "model_type": "gpt2" is not supported/],
    [{ hidden_size: 0 }, /field "hidden_size": must be a positive integer/],
    [{ num_key_value_heads: 3 }, /field "num_key_value_heads": 3 does not divide/],
    [{ vocab_size: undefined }, /field "vocab_size": missing/],
    [{ eos_token_id: 5000 }, /field "eos_token_id": must be a token id/],
    [{ rope_scaling: { type: 'yarn' } }, /field "rope_scaling.type": RoPE type "yarn" is not supported/],
    [{ rope_scaling: { ...LLAMA3_SCALING, factor: 0 } }, /field "rope_scaling\.factor": expected a positive number/],
    [{ rope_scaling: { ...LLAMA3_SCALING, high_freq_factor: 1 } }, /field "rope_scaling\.high_freq_factor": must be larger/],
  ];
  for (const [over, re] of cases) assert.throws(() => parseModelConfig({ ...good, ...over }, 'x/config.json'), re);
  // Hugging Face defaults: no num_key_value_heads means multi-head attention.
  const mha = parseModelConfig({ ...good, num_key_value_heads: undefined });
  assert.equal(mha.num_key_value_heads, good.num_attention_heads);
});

test('a save that fails midway leaves the previous folder intact and no stray files', () => {
  const model = tinyModel();
  const parent = tempDir('atomic');
  const dir = join(parent, 'model');
  saveModel(model, tok, dir);
  const before = readFileSync(join(dir, 'model.safetensors'));
  const broken: Tokenizer = Object.assign(Object.create(tok) as Tokenizer, {
    save: () => {
      throw new Error('disk full');
    },
  });
  const other = tinyModel({}, 99);
  assert.throws(() => saveModel(other, broken, dir), /disk full/);
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), before);
  assert.deepEqual(readdirSync(parent), ['model']);
});

test('a folder that is not a model says so', () => {
  assert.throws(() => loadModel(join(tempDir('none'), 'nope')), /does not exist/);
  const dir = tempDir('empty');
  assert.throws(() => loadModel(dir), /no config\.json/);
});

test('a Llama 3 model with rope_scaling saves, reloads, and its scaling changes the logits', () => {
  const scaled = tinyModel({ model_type: 'llama', attention_bias: false, rope_scaling: { ...LLAMA3_SCALING } }, 5);
  const plain = tinyModel({ model_type: 'llama', attention_bias: false }, 5);
  const dir = join(tempDir('llama3'), 'model');
  saveModel(scaled, tok, dir);
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { rope_scaling: unknown };
  assert.deepEqual(saved.rope_scaling, LLAMA3_SCALING);
  const back = loadModel(dir).model;
  assert.deepEqual(back.config.rope_scaling, LLAMA3_SCALING);
  assert.deepEqual(logitsOf(back, probe), logitsOf(scaled, probe));
  // Same weights, no scaling: the rotary frequencies differ, so the logits must too.
  const a = logitsOf(plain, probe);
  const b = logitsOf(scaled, probe);
  assert.ok(a.some((v, i) => Math.abs(v - b[i]) > 1e-4), 'rope_scaling had no effect');
});
