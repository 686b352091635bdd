// LoRA wired through the trainers: GRPO with --lora on a BF16 base trains only the adapters,
// checkpoints are PEFT adapter folders with the adapters' optimizer state, the KL reference is the
// base with adapters off, resuming gives bit-identical adapters, `aha train --lora` then `aha eval`
// of its checkpoint runs end to end, and `aha sft --lora` writes an adapter folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/core/index.js';
import { saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { loadFrozenBase, loadModelOrAdapter, readAdapterConfig, saveAdapter } from '../../src/model/adapter.js';
import { LoraModel, isLoraModel, parseLoraSpec } from '../../src/model/lora.js';
import { SafetensorsReader } from '../../src/model/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { readOptimizerState } from '../../src/model/training-checkpoint.js';
import { readSafetensorsHeader } from '../../src/model/safetensors.js';
import { DEFAULT_CONFIG, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { assertLoraGrpoResumeExact, tempDir, tinyModel } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const dir = tempDir('lora-train');
const baseDir = join(dir, 'base');
saveModel(tinyModel({}, 5, 0.3), new CharTokenizer(), baseDir, { dtype: 'BF16' });
const data = join(dir, 'math.jsonl');
writeFileSync(data, ['1+1', '2+3', '4+4', '7-2', '3*3', '9-4'].map((q, i) => JSON.stringify({ prompt: `${q}=`, answer: String(eval(q)), id: `p${i}` })).join('\n') + '\n');

const cfg = (over: Partial<GrpoConfig>): GrpoConfig => ({
  ...DEFAULT_CONFIG, task: null, data, model: baseDir, rewards: [{ name: 'accuracy', weight: 1 }, { name: 'tag_count', weight: 1 }],
  lora: 'r=2,alpha=4,targets=all-linear', beta: 0.04, prompts_per_step: 2, num_generations: 4, max_completion_length: 6, learning_rate: 5e-2,
  num_iterations: 2, gradient_accumulation_steps: 2, save_steps: 2, log_completions_steps: 0, seed: 3, ...over,
});

test('GRPO with --lora trains only the adapters, saves PEFT checkpoints, and resumes bit for bit', async () => {
  const straight = join(dir, 'straight');
  const run = prepareGrpo(cfg({ max_steps: 4, output_dir: straight }), { quiet: true });
  assert.ok(isLoraModel(run.model));
  // The reference is the same network with adapters off, not a second model.
  assert.ok(run.reference && !isLoraModel(run.reference) && run.reference.parameters().size === 0);
  const baseBefore = noGrad(() => run.reference!.forward(Int32Array.from([5, 6, 7]), 1, 3)).data.slice();
  await runGrpo(run);
  const ckpt = join(straight, 'checkpoints', 'step-4');
  assert.deepEqual(readdirSync(ckpt).filter((f) => !f.startsWith('tokenizer')).sort(), ['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
  assert.equal(readAdapterConfig(ckpt).baseModel, baseDir);
  const names = [...readSafetensorsHeader(join(ckpt, 'adapter_model.safetensors')).tensors.keys()];
  assert.equal(names.length, 2 * 7 * 2);
  assert.ok(names.every((n) => /^base_model\.model\.model\.layers\.\d\.(self_attn|mlp)\.\w+_proj\.lora_[AB]\.weight$/.test(n)));
  // Optimizer state of the adapters only.
  const opt = readOptimizerState(ckpt)!;
  assert.deepEqual(Object.keys(opt.tensors).sort(), names.flatMap((n) => [`m.${n}`, `v.${n}`]).sort());
  // The frozen base did not move.
  assert.deepEqual(noGrad(() => run.reference!.forward(Int32Array.from([5, 6, 7]), 1, 3)).data, baseBefore);
  // The adapters did (B starts at zero; tag_count rewards differ within groups at random init).
  assert.ok([...run.model.parameters()].some(([n, p]) => n.endsWith('lora_B.weight') && p.data.some((v) => v !== 0)));

  await assertLoraGrpoResumeExact(cfg, straight, join(dir, 'split'));
});

test('a LoRA run refuses dropout and unknown keys before loading anything', () => {
  assert.throws(() => prepareGrpo(cfg({ lora: 'r=2,dropout=0.1', output_dir: join(dir, 'x') })), /lora: dropout 0\.1 is not supported for training/);
  assert.throws(() => prepareGrpo(cfg({ lora: 'r=2,scale=3', output_dir: join(dir, 'x') })), /lora: unknown key "scale"/);
  assert.equal(existsSync(join(dir, 'x')), false);
});

const aha = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });

test('aha train --data --lora, then aha eval of its checkpoint; aha sft --lora writes an adapter folder', () => {
  const out = join(dir, 'cli-run');
  const t = aha('train', '--model', baseDir, '--data', data, '--reward', 'accuracy', '--lora', 'r=4,alpha=8,targets=q_proj,v_proj',
    '--steps', '2', '--prompts-per-step', '2', '--group-size', '2', '--max-completion-length', '6', '--output', out, '--quiet');
  assert.equal(t.status, 0, t.stderr);
  const ckpt = join(out, 'checkpoints', 'step-2');
  assert.deepEqual(readAdapterConfig(ckpt).lora.targets, ['q_proj', 'v_proj']);
  const evalData = join(dir, 'eval-data.jsonl');
  writeFileSync(evalData, ['1+1', '2+3'].map((q) => JSON.stringify({ question: `${q}=`, answer: String(eval(q)) })).join('\n') + '\n');
  const e = aha('eval', '--model', ckpt, '--data', evalData, '--api', 'completions', '--max-tokens', '6', '--out', join(dir, 'eval.jsonl'), '--quiet');
  assert.equal(e.status, 0, e.stderr);
  assert.equal(readFileSync(join(dir, 'eval.jsonl'), 'utf8').trim().split('\n').length, 2);
  // --adapter on the base gives the same model as the checkpoint folder itself.
  const g = (...extra: string[]) => aha('generate', '--prompt', '2+2=', '--max-tokens', '5', '--temperature', '0', '--json', '--quiet', ...extra);
  const viaAdapter = g('--model', baseDir, '--adapter', ckpt);
  assert.equal(viaAdapter.status, 0, viaAdapter.stderr);
  assert.equal(viaAdapter.stdout, g('--model', ckpt).stdout);
  assert.equal(aha('train', '--model', baseDir, '--data', data, '--lora', 'r=4,bogus=1', '--output', join(dir, 'bad')).stderr, 'aha: --lora: unknown key "bogus" (keys: r, alpha, dropout, targets, rslora, trainable_tokens, trainable_tokens_lm_head) (expected e.g. r=16,alpha=32,dropout=0,targets=all-linear)\n');
  assert.equal(existsSync(join(dir, 'bad')), false);

  const sftData = join(dir, 'sft.jsonl');
  writeFileSync(sftData, Array.from({ length: 8 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, completion: String(i + 1) })).join('\n') + '\n');
  const s = aha('sft', '--model', baseDir, '--data', sftData, '--lora', 'r=2', '--steps', '2', '--batch-size', '4', '--out', join(dir, 'sft'), '--quiet');
  assert.equal(s.status, 0, s.stderr);
  const model = join(dir, 'sft', 'model');
  assert.ok(existsSync(join(model, 'adapter_model.safetensors')) && !existsSync(join(model, 'model.safetensors')));
  assert.ok(isLoraModel(loadModelOrAdapter(model).model));
});

test('pipeline stages take lora: (grpo stages as the trainer config, sft stages checked like --lora)', async () => {
  const { grpoConfig, sftConfig } = await import('../../src/pipeline/configs.js');
  assert.equal(grpoConfig({ model: baseDir, data, lora: 'r=8,targets=q_proj,v_proj' }, join(dir, 'stage')).lora, 'r=8,targets=q_proj,v_proj');
  assert.equal(sftConfig({ model: baseDir, data, lora: 'r=4' }).options.lora, 'r=4');
  assert.throws(() => sftConfig({ model: baseDir, data, lora: 'r=4,size=2' }), /field "lora": unknown key "size"/);
  assert.throws(() => grpoConfig({ model: baseDir, data, lora: 'dropout=0.2' }, join(dir, 'stage')), /field "lora": lora: dropout 0\.2 is not supported/);
});

test('an adapter folder as the model trains its own adapters further (GRPO, SFT), against itself as it started with a KL term; new adapters on it are refused, naming the way out', async () => {
  // An adapter as an earlier LoRA stage leaves it: trained values, its base named in the config.
  const start = join(dir, 'start-adapter');
  const lora = new LoraModel(loadFrozenBase(baseDir).model, parseLoraSpec('r=2,alpha=4,targets=q_proj,v_proj'), { seed: 9, baseModelPath: baseDir });
  const rng = new Rng(2);
  // Small values: rewards still differ within the groups of this seed, so the steps have a gradient.
  for (const p of lora.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.02;
  saveAdapter(start, lora);
  const probe = Int32Array.from([5, 6, 7]);
  const logits = (m: { forward: LoraModel['forward'] }) => noGrad(() => m.forward(probe, 1, 3)).data;

  const out = join(dir, 'continued');
  const run = prepareGrpo(cfg({ model: start, lora: null, beta: 0, max_steps: 2, output_dir: out }), { quiet: true });
  assert.ok(isLoraModel(run.model));
  assert.deepEqual(logits(run.model), logits(lora), 'training starts from the adapter, not from fresh adapters');
  await runGrpo(run);
  const ckpt = join(out, 'checkpoints', 'step-2');
  const saved = readAdapterConfig(ckpt);
  assert.equal(saved.baseModel, baseDir);
  assert.deepEqual([saved.lora.r, saved.lora.alpha, saved.lora.targets], [2, 4, ['q_proj', 'v_proj']]);
  const reader = new SafetensorsReader(join(ckpt, 'adapter_model.safetensors'));
  let moved = 0;
  for (const [name, p] of lora.parameters()) {
    const now = reader.read(name);
    for (let i = 0; i < now.length; i++) moved = Math.max(moved, Math.abs(now[i] - p.data[i]));
  }
  reader.close();
  assert.ok(moved > 0 && moved < 0.5, `the adapter trained on from its values (max change ${moved})`);

  assert.throws(() => prepareGrpo(cfg({ model: start, lora: 'r=4', beta: 0, output_dir: join(dir, 'refused') })), /--lora r=4: .* is a LoRA adapter folder, and training goes on with its own adapters; drop --lora .*\(npx aha merge/);
  assert.throws(() => prepareGrpo(cfg({ model: start, lora: null, beta: 0.04, sync_ref_model: true, output_dir: join(dir, 'refused') })), /sync_ref_model: .* is a LoRA adapter folder, whose reference is a frozen copy/);
  assert.equal(existsSync(join(dir, 'refused')), false);

  // With a KL term the reference is the adapter as the run started (not the base, as TRL takes it),
  // and stays so while the adapter trains, and in a resumed run.
  const withKl = prepareGrpo(cfg({ model: start, lora: null, beta: 0.04, max_steps: 2, output_dir: join(dir, 'continued-kl') }), { quiet: true });
  assert.deepEqual(logits(withKl.reference!), logits(lora));
  await runGrpo(withKl);
  assert.notDeepEqual(logits(withKl.model), logits(lora), 'the policy trained');
  assert.deepEqual(logits(withKl.reference!), logits(lora), 'the reference did not');
  const resumed = prepareGrpo(cfg({ model: start, lora: null, beta: 0.04, max_steps: 3, output_dir: join(dir, 'continued-kl') }), { quiet: true, resume: true });
  assert.deepEqual(logits(resumed.reference!), logits(lora));
  assert.deepEqual(logits(resumed.model), logits(withKl.model));

  const sftData = join(dir, 'sft-more.jsonl');
  writeFileSync(sftData, Array.from({ length: 4 }, (_, i) => JSON.stringify({ prompt: `${i}+2=`, completion: String(i + 2) })).join('\n') + '\n');
  const s = aha('sft', '--model', start, '--data', sftData, '--steps', '1', '--batch-size', '4', '--out', join(dir, 'sft-more'), '--quiet');
  assert.equal(s.status, 0, s.stderr);
  assert.deepEqual(readAdapterConfig(join(dir, 'sft-more', 'model')).lora.targets, ['q_proj', 'v_proj']);
});
