// LoRA adapters in PEFT's layout: what aha writes (config fields, tensor names, shapes), reading
// it back, a hand-built PEFT folder aha did not write (regex targets, F16 tensors, PEFT's
// bookkeeping fields), refusals that name the field, and `aha merge` into a BF16 folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/core/index.js';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { LoraModel, parseLoraSpec } from '../../src/model/lora.js';
import { loadAdapter, loadFrozenBase, loadWithAdapter, readAdapterConfig, saveAdapter, storedMatrixDtype } from '../../src/model/adapter.js';
import { f16ToF32, f32ToF16, readSafetensorsHeader, writeSafetensors } from '../../src/model/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir, tinyModel } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const dir = tempDir('lora-adapter');
const baseDir = join(dir, 'base');
saveModel(tinyModel({}, 3, 0.2), new CharTokenizer(), baseDir, { dtype: 'BF16' });
const ids = Int32Array.from([5, 9, 14, 20, 33, 41, 7]);

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const logits = (m: { forward: LoraModel['forward'] }) => noGrad(() => m.forward(ids, 1, ids.length)).data;

/** A trained-looking adapter on the BF16 base: random A and B. */
function trainedAdapter(spec: string): LoraModel {
  const lora = new LoraModel(loadFrozenBase(baseDir).model, parseLoraSpec(spec), { seed: 4, baseModelPath: baseDir });
  const rng = new Rng(8);
  for (const p of lora.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.1;
  return lora;
}

test('aha writes PEFT\'s layout and reads it back to the same model', () => {
  assert.equal(storedMatrixDtype(baseDir), 'BF16');
  const lora = trainedAdapter('r=4,alpha=8,targets=q_proj,v_proj,down_proj');
  const out = join(dir, 'adapter');
  saveAdapter(out, lora);
  const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg.peft_type, 'LORA');
  assert.equal(cfg.task_type, 'CAUSAL_LM');
  assert.equal(cfg.r, 4);
  assert.equal(cfg.lora_alpha, 8);
  assert.deepEqual(cfg.target_modules, ['q_proj', 'v_proj', 'down_proj']);
  assert.equal(cfg.bias, 'none');
  assert.equal(cfg.fan_in_fan_out, false);
  assert.equal(cfg.use_dora, false);
  assert.equal(cfg.base_model_name_or_path, baseDir);
  const header = readSafetensorsHeader(join(out, 'adapter_model.safetensors'));
  assert.equal(header.metadata.format, 'pt');
  assert.equal(header.tensors.size, 2 * 3 * 2);
  assert.deepEqual(header.tensors.get('base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight')!.shape, [4, 32]);
  assert.deepEqual(header.tensors.get('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight')!.shape, [16, 4]);
  assert.deepEqual(header.tensors.get('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight')!.shape, [4, 48]);
  const back = loadWithAdapter(baseDir, out).model;
  assert.deepEqual(logits(back), logits(lora));
});

/** Writes a PEFT-style folder by hand: config fields as PEFT 0.13 writes them, tensors in F16. */
function handBuilt(name: string, over: Record<string, unknown> = {}, tensors?: { name: string; shape: number[]; data: Float32Array }[]): string {
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const config = {
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: 'Qwen/Qwen2.5-0.5B', bias: 'none', fan_in_fan_out: false,
    inference_mode: true, init_lora_weights: true, layer_replication: null, layers_pattern: null, layers_to_transform: null,
    loftq_config: {}, lora_alpha: 16, lora_dropout: 0.05, megatron_config: null, megatron_core: 'megatron.core', modules_to_save: null,
    peft_type: 'LORA', r: 2, rank_pattern: {}, revision: null, target_modules: '.*\\.(k_proj|up_proj)', task_type: 'CAUSAL_LM',
    use_dora: false, use_rslora: false, ...over,
  };
  writeFileSync(join(out, 'adapter_config.json'), JSON.stringify(config));
  const rng = new Rng(21);
  const made = tensors ?? [0, 1].flatMap((l) => [['self_attn.k_proj', 16, 32], ['mlp.up_proj', 48, 32]].flatMap(([m, o, i]) => [
    { name: `base_model.model.model.layers.${l}.${m}.lora_A.weight`, shape: [2, i as number], data: new Float32Array(2 * (i as number)).map(() => rng.normal() * 0.3) },
    { name: `base_model.model.model.layers.${l}.${m}.lora_B.weight`, shape: [o as number, 2], data: new Float32Array(2 * (o as number)).map(() => rng.normal() * 0.3) },
  ]));
  writeSafetensors(join(out, 'adapter_model.safetensors'), made, { dtype: 'F16', metadata: { format: 'pt' } });
  return out;
}

test('a PEFT adapter aha did not write loads (regex target_modules, F16, PEFT bookkeeping fields) and equals its merged weights', () => {
  const peft = handBuilt('peft');
  const { lora } = readAdapterConfig(peft);
  assert.deepEqual(lora, { r: 2, alpha: 16, dropout: 0.05, targets: { regex: '.*\\.(k_proj|up_proj)' }, rslora: false, trainableTokens: [], lmHeadTokens: [] });
  const adapted = loadWithAdapter(baseDir, peft).model as LoraModel;
  assert.equal(adapted.adapters.size, 4);
  // Merged by hand in f32: W + (16/2) B A.
  const merged = loadModel(baseDir).model;
  const p = merged.parameters();
  const stored = loadAdapter(loadFrozenBase(baseDir).model, peft).parameters();
  const rd = (name: string) => stored.get(name)!;
  for (const module of adapted.adapters.keys()) {
    const A = rd(`base_model.model.${module}.lora_A.weight`), B = rd(`base_model.model.${module}.lora_B.weight`);
    const W = p.get(`${module}.weight`)!;
    const [o, i] = W.shape;
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) W.data[r * i + c] += 8 * (B.data[r * 2] * A.data[c] + B.data[r * 2 + 1] * A.data[i + c]);
  }
  assert.ok(maxAbs(logits(adapted), logits(merged)) < 1e-4);
});

/** The values an F16 file stores for `v`. */
function asF16(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length);
  f16ToF32(f32ToF16(v), out);
  return out;
}

test('exclude_modules, layers_to_transform, rank_pattern and alpha_pattern: a PEFT adapter loads as PEFT applies it, and aha writes them back', () => {
  // Layer 1 only (layers_pattern "layers"), all linear but o_proj and down_proj; q_proj at rank 1,
  // up_proj (by a regex key) at rank 3 with alpha 6; others r 2, alpha 16.
  const over = {
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], exclude_modules: ['o_proj', 'down_proj'],
    layers_to_transform: [1], layers_pattern: 'layers', rank_pattern: { q_proj: 1, 'mlp\\.up_.*': 3 }, alpha_pattern: { 'mlp\\.up_.*': 6 },
  };
  const shapes: Record<string, [number, number, number]> = { 'self_attn.q_proj': [1, 32, 32], 'self_attn.k_proj': [2, 16, 32], 'self_attn.v_proj': [2, 16, 32], 'mlp.gate_proj': [2, 48, 32], 'mlp.up_proj': [3, 48, 32] };
  const rng = new Rng(5);
  const tensors = Object.entries(shapes).flatMap(([m, [r, o, i]]) => [
    { name: `base_model.model.model.layers.1.${m}.lora_A.weight`, shape: [r, i], data: new Float32Array(r * i).map(() => rng.normal() * 0.3) },
    { name: `base_model.model.model.layers.1.${m}.lora_B.weight`, shape: [o, r], data: new Float32Array(o * r).map(() => rng.normal() * 0.3) },
  ]);
  const peft = handBuilt('peft-patterns', over, tensors);
  const adapted = loadWithAdapter(baseDir, peft).model as LoraModel;
  assert.deepEqual([...adapted.adapters.keys()].sort(), Object.keys(shapes).map((m) => `model.layers.1.${m}`).sort());
  // Merged by hand in f32: W + (alpha_m / r_m) B A, alpha 16 but up_proj's 6.
  const merged = loadModel(baseDir).model;
  const p = merged.parameters();
  for (const t of tensors.filter((x) => x.name.endsWith('lora_A.weight'))) {
    const module = t.name.slice('base_model.model.'.length, -'.lora_A.weight'.length);
    const B = tensors.find((x) => x.name === `base_model.model.${module}.lora_B.weight`)!;
    // The file is F16: use the values as stored.
    const A16 = asF16(t.data), B16 = asF16(B.data);
    const [r, i] = t.shape, o = B.shape[0];
    const s = (module.endsWith('up_proj') ? 6 : 16) / r;
    const W = p.get(`${module}.weight`)!;
    for (let a = 0; a < o; a++) for (let c = 0; c < i; c++) for (let k = 0; k < r; k++) W.data[a * i + c] += s * B16[a * r + k] * A16[k * i + c];
  }
  assert.ok(maxAbs(logits(adapted), logits(merged)) < 1e-4, String(maxAbs(logits(adapted), logits(merged))));
  // Saved again by aha: the same fields, the same model.
  const again = join(dir, 'patterns-again');
  saveAdapter(again, adapted);
  const cfg = JSON.parse(readFileSync(join(again, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([cfg.exclude_modules, cfg.layers_to_transform, cfg.layers_pattern, cfg.rank_pattern, cfg.alpha_pattern],
    [over.exclude_modules, [1], ['layers'], over.rank_pattern, over.alpha_pattern]);
  assert.deepEqual(logits(loadWithAdapter(baseDir, again).model), logits(adapted));
  // A tensor whose rank disagrees with rank_pattern is named with both shapes.
  const wrong = handBuilt('peft-patterns-wrong', { ...over, rank_pattern: { ...over.rank_pattern, q_proj: 2 } }, tensors);
  assert.throws(() => loadWithAdapter(baseDir, wrong), /tensor "base_model\.model\.model\.layers\.1\.self_attn\.q_proj\.lora_A\.weight" has shape \[1, 32\] but the model and adapter_config\.json need \[2, 32\]/);
});

test('PEFT 0.19+ adapter_config.json loads: its new fields at their off values (null), and layers_pattern without layers_to_transform', () => {
  // Fields PEFT 0.19-0.21 write into every adapter_config.json, as published adapters carry them.
  const newer = { lora_ga_config: null, use_bdlora: null, kasa_config: null, monteclora_config: null, velora_config: null, target_parameters: null, peft_version: '0.19.1' };
  const peft = handBuilt('peft-0.19', { ...newer, layers_pattern: 'layers', init_lora_weights: 'gaussian' });
  const old = handBuilt('peft-0.13');
  assert.deepEqual(logits(loadWithAdapter(baseDir, peft).model), logits(loadWithAdapter(baseDir, old).model));
  for (const [field, value] of [['use_bdlora', true], ['lora_ga_config', { batch_size: 2 }]] as const) {
    const d = handBuilt('peft-0.19-on', { ...newer, [field]: value });
    assert.throws(() => readAdapterConfig(d), (err: Error) => err.message.includes(`field "${field}"`) && /not supported/.test(err.message), field);
  }
});

test('an adapter saved unconverted after an initialisation that rewrites the base (PiSSA, OLoRA, CorDA, LoftQ, LoRA-GA) is refused, naming init_lora_weights', () => {
  for (const init of ['pissa', 'pissa_niter_16', 'olora', 'corda', 'loftq', 'lora_ga']) {
    const d = handBuilt('rewritten-base', { init_lora_weights: init });
    assert.throws(() => loadWithAdapter(baseDir, d), (err: Error) => err.message.includes(join(d, 'adapter_config.json')) && /field "init_lora_weights".*rewrites the base weights/.test(err.message), init);
  }
  for (const init of [true, false, 'gaussian', 'eva', 'orthogonal']) assert.doesNotThrow(() => readAdapterConfig(handBuilt('plain-init', { init_lora_weights: init })), String(init));
});

test('adapters aha cannot apply exactly are refused, naming the file and field', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ use_dora: true }, /field "use_dora": DoRA adapters not supported/],
    [{ modules_to_save: ['lm_head'] }, /field "modules_to_save": modules_to_save/],
    [{ bias: 'all' }, /field "bias": "all" is not supported/],
    [{ rank_pattern: { q_proj: 0 } }, /field "rank_pattern": "q_proj": must be a positive integer/],
    [{ alpha_pattern: { '(': 4 } }, /field "alpha_pattern": not a regular expression/],
    [{ layers_to_transform: [0] }, /field "layers_to_transform": cannot be used with target_modules as a regular expression/],
    [{ exclude_modules: 3 }, /field "exclude_modules": must be a list of module names or a regular expression/],
    [{ peft_type: 'IA3' }, /field "peft_type": "IA3": only "LORA"/],
    [{ target_modules: ['q_proj', 'lm_head'] }, /field "target_modules": "lm_head": aha adapts only/],
    [{ surprise: 1 }, /field "surprise": unknown field/],
    [{ r: 0 }, /field "r": must be a positive integer/],
  ];
  for (const [over, re] of cases) {
    const d = handBuilt('bad', over);
    assert.throws(() => loadWithAdapter(baseDir, d), (err: Error) => re.test(err.message) && err.message.includes(join(d, 'adapter_config.json')), JSON.stringify(over));
  }
  const extra = handBuilt('extra', { target_modules: ['k_proj'] });
  assert.throws(() => loadWithAdapter(baseDir, extra), /up_proj\.lora_A\.weight".*match no adapted projection/);
  const missing = handBuilt('missing', { target_modules: ['k_proj'] }, [{ name: 'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight', shape: [2, 32], data: new Float32Array(64) }]);
  assert.throws(() => loadWithAdapter(baseDir, missing), /tensor "base_model\.model\.model\.layers\.0\.self_attn\.k_proj\.lora_B\.weight" is missing/);
  const bin = handBuilt('bin');
  rmSync(join(bin, 'adapter_model.safetensors'));
  writeFileSync(join(bin, 'adapter_model.bin'), 'x');
  assert.throws(() => loadWithAdapter(baseDir, bin), /only adapter_model\.bin/);
});

test('aha merge writes a BF16 model folder equal to base + adapter; bad flags are one line, exit 2, nothing written', () => {
  const lora = trainedAdapter('r=4,alpha=8');
  const adapterDir = join(dir, 'merge-adapter');
  saveAdapter(adapterDir, lora);
  const out = join(dir, 'merged');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'merge', ...args], { encoding: 'utf8', cwd: root });
  const r = run('--model', baseDir, '--adapter', adapterDir, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(storedMatrixDtype(out), 'BF16');
  const merged = loadModel(out).model;
  // The merged weights are rounded to BF16 once, so logits agree to BF16 precision.
  assert.ok(maxAbs(logits(merged), logits(lora)) < 0.05, String(maxAbs(logits(merged), logits(lora))));
  const again = run('--model', baseDir, '--adapter', adapterDir, '--out', out);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /^aha: --out .* already exists and is not empty/);
  const noAdapter = run('--model', baseDir, '--adapter', baseDir, '--out', join(dir, 'm2'));
  assert.equal(noAdapter.status, 2);
  assert.match(noAdapter.stderr, /not a LoRA adapter folder/);
  assert.equal(existsSync(join(dir, 'm2')), false);
});
