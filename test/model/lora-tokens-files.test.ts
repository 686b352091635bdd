// Trainable token rows in PEFT's adapter layout: what aha writes (trainable_token_indices, the
// rows tensor's name and shape), reading it back to the same logits, PEFT's dict form, refusals
// naming the file and field, `aha merge` writing the rows into the merged folder; and on the
// real-format Qwen2.5 (tied) and R1-Distill-Llama (Llama 3, untied) folders: `aha tokens add`, then `aha sft
// --lora ...,trainable_tokens=<the new tokens>`, its adapter folder loaded for generation and merged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/core/index.js';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { LM_HEAD_ROWS_TENSOR, LoraModel, TOKEN_ROWS_TENSOR, parseLoraSpec } from '../../src/model/lora.js';
import { loadAdapter, loadFrozenBase, loadModelOrAdapter, loadWithAdapter, readAdapterConfig, saveAdapter } from '../../src/model/adapter.js';
import { readSafetensorsHeader, SafetensorsReader } from '../../src/model/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { assertLoraGrpoResumeExact, tempDir, tinyModel } from './helpers.js';
import { writeRealFolder } from './real-folders.js';
import { readOptimizerState } from '../../src/model/training-checkpoint.js';
import { DEFAULT_CONFIG, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { createRewardModel, loadRewardModelSync, saveRewardModel } from '../../src/model/reward-model.js';

const root = join(import.meta.dirname, '..', '..');
const dir = tempDir('lora-tokens-files');
const baseDir = join(dir, 'base');
saveModel(tinyModel({}, 3, 0.2), new CharTokenizer(), baseDir, { dtype: 'BF16' });
const ids = Int32Array.from([5, 9, 14, 20, 33, 41, 7]);
const TOKENS = [9, 33, 40];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const logits = (m: { forward: LoraModel['forward'] }, x: Int32Array = ids) => noGrad(() => m.forward(x, 1, x.length)).data;
const aha = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });

function trainedAdapter(): LoraModel {
  const lora = new LoraModel(loadFrozenBase(baseDir).model, { ...parseLoraSpec('r=2,alpha=4,targets=q_proj,up_proj'), trainableTokens: TOKENS }, { seed: 4, baseModelPath: baseDir });
  const rng = new Rng(8);
  for (const p of lora.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.2;
  return lora;
}

test('token rows are saved as PEFT saves them and load back to the same logits; PEFT\'s dict form loads too', () => {
  const lora = trainedAdapter();
  const out = join(dir, 'adapter');
  saveAdapter(out, lora);
  const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.deepEqual(cfg.trainable_token_indices, TOKENS);
  const header = readSafetensorsHeader(join(out, 'adapter_model.safetensors'));
  assert.deepEqual(header.tensors.get(TOKEN_ROWS_TENSOR)?.shape, [3, 32]);
  assert.equal(TOKEN_ROWS_TENSOR, 'base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta');
  const back = loadWithAdapter(baseDir, out).model as LoraModel;
  assert.deepEqual(logits(back), logits(lora));
  assert.deepEqual([...back.tokenRows!.ids], TOKENS);
  // {"embed_tokens": [...]}: the same adapter.
  cfg.trainable_token_indices = { embed_tokens: TOKENS };
  writeFileSync(join(out, 'adapter_config.json'), JSON.stringify(cfg));
  assert.deepEqual(logits(loadWithAdapter(baseDir, out).model), logits(lora));
  // Without trainable tokens the config says null (PEFT's default), and no rows tensor is written.
  const plain = join(dir, 'plain');
  saveAdapter(plain, new LoraModel(loadFrozenBase(baseDir).model, parseLoraSpec('r=2'), { baseModelPath: baseDir }));
  assert.equal(JSON.parse(readFileSync(join(plain, 'adapter_config.json'), 'utf8')).trainable_token_indices, null);
  assert.equal(readSafetensorsHeader(join(plain, 'adapter_model.safetensors')).tensors.has(TOKEN_ROWS_TENSOR), false);
});

test('an untied lm_head\'s rows: PEFT\'s dict form and its lm_head tensor, read back to the same logits, merged into lm_head', () => {
  const untiedDir = join(dir, 'untied-base');
  saveModel(tinyModel({ tie_word_embeddings: false }, 4, 0.2), new CharTokenizer(), untiedDir, { dtype: 'BF16' });
  const lora = new LoraModel(loadFrozenBase(untiedDir).model, { ...parseLoraSpec('r=2,alpha=4,targets=q_proj'), trainableTokens: TOKENS, lmHeadTokens: [40, 9] }, { seed: 4, baseModelPath: untiedDir });
  const rng = new Rng(9);
  for (const p of lora.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.2;
  const out = join(dir, 'untied-adapter');
  saveAdapter(out, lora);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).trainable_token_indices, { embed_tokens: TOKENS, lm_head: [40, 9] });
  const header = readSafetensorsHeader(join(out, 'adapter_model.safetensors'));
  assert.deepEqual(header.tensors.get(LM_HEAD_ROWS_TENSOR)?.shape, [2, 32]);
  assert.equal(LM_HEAD_ROWS_TENSOR, 'base_model.model.lm_head.token_adapter.trainable_tokens_delta');
  assert.deepEqual(logits(loadWithAdapter(untiedDir, out).model), logits(lora));
  const merged = join(dir, 'untied-merged');
  const r = aha('merge', '--model', untiedDir, '--adapter', out, '--out', merged);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(maxAbs(logits(loadModel(merged).model), logits(lora)) < 0.05);
  const reader = new SafetensorsReader(join(merged, 'model.safetensors'));
  const head = reader.read('lm_head.weight');
  reader.close();
  assert.ok(maxAbs(head.subarray(40 * 32, 41 * 32), lora.lmHeadRows!.rows.data.subarray(0, 32)) < 0.02);
});

test('token rows aha cannot apply are refused naming the file and field; a missing rows tensor too', () => {
  const out = join(dir, 'refusals');
  saveAdapter(out, trainedAdapter());
  const cfgFile = join(out, 'adapter_config.json');
  const good = JSON.parse(readFileSync(cfgFile, 'utf8'));
  const withTokens = (v: unknown) => writeFileSync(cfgFile, JSON.stringify({ ...good, trainable_token_indices: v }));
  const cases: [unknown, RegExp][] = [
    [{ embed_tokens: [9], wte: [9] }, /field "trainable_token_indices".*token rows of "wte" are not supported/],
    [{ embed_tokens: [9], 'model.embed_tokens': [33] }, /name the same module/],
    [{ lm_head: [9, 9] }, /"lm_head": token 9 is listed twice/],
    [[9, 9], /field "trainable_token_indices".*token 9 is listed twice/],
    [[9, -1], /must be a list of token ids/],
    ['9', /must be a list of token ids/],
  ];
  for (const [v, re] of cases) {
    withTokens(v);
    assert.throws(() => readAdapterConfig(out), re, JSON.stringify(v));
  }
  withTokens({ embed_tokens: TOKENS, lm_head: [9] });
  assert.throws(() => loadAdapter(loadFrozenBase(baseDir).model, out), /adapter_config\.json.*field "trainable_token_indices".*"lm_head": this base ties lm_head to its embedding/);
  withTokens([9, 33, 500]);
  assert.throws(() => loadAdapter(loadFrozenBase(baseDir).model, out), /adapter_config\.json.*field "trainable_token_indices".*token 500 is outside the model's vocabulary/);
  // Two ids listed but three rows stored: the tensor's shape is refused.
  withTokens([9, 33]);
  assert.throws(() => loadAdapter(loadFrozenBase(baseDir).model, out), /trainable_tokens_delta" has shape \[3, 32\] but the model and adapter_config\.json need \[2, 32\]/);
  // Rows listed but not stored.
  writeFileSync(cfgFile, JSON.stringify(good));
  const noRows = join(dir, 'no-rows');
  saveAdapter(noRows, new LoraModel(loadFrozenBase(baseDir).model, parseLoraSpec('r=2,alpha=4,targets=q_proj,up_proj'), { baseModelPath: baseDir }));
  writeFileSync(join(noRows, 'adapter_config.json'), JSON.stringify(good));
  assert.throws(() => loadAdapter(loadFrozenBase(baseDir).model, noRows), /tensor "base_model\.model\.model\.embed_tokens\.token_adapter\.trainable_tokens_delta" is missing/);
});

test('aha merge writes the trained rows into the merged folder', () => {
  const lora = trainedAdapter();
  const adapterDir = join(dir, 'merge-adapter');
  saveAdapter(adapterDir, lora);
  const out = join(dir, 'merged');
  const r = aha('merge', '--model', baseDir, '--adapter', adapterDir, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const merged = loadModel(out).model;
  assert.ok(maxAbs(logits(merged), logits(lora)) < 0.05, String(maxAbs(logits(merged), logits(lora))));
  // The embedding rows of the chosen ids are the trained rows (to BF16), the others the base's.
  const reader = new SafetensorsReader(join(out, 'model.safetensors'));
  const embed = reader.read('model.embed_tokens.weight');
  reader.close();
  const baseEmbed = loadModel(baseDir).model.parameters().get('model.embed_tokens.weight')!.data;
  const rows = lora.tokenRows!.rows.data;
  for (let v = 0; v < 64 && v * 32 < embed.length; v++) {
    const j = TOKENS.indexOf(v);
    const want = j >= 0 ? rows.subarray(j * 32, (j + 1) * 32) : baseEmbed.subarray(v * 32, (v + 1) * 32);
    assert.ok(maxAbs(embed.subarray(v * 32, (v + 1) * 32), want) < 0.02 * 4, `row ${v}`);
  }
});

// Qwen2.5 ties lm_head to the embedding; R1-Distill-Llama (Llama 3.1 8B's layout) does not.
for (const family of ['qwen2.5-instruct', 'r1-distill-llama'] as const) {
  test(`${family}: aha tokens add, then aha sft --lora with the new tokens trainable: their rows train, the adapter loads and merges`, () => {
    const f = writeRealFolder(join(dir, family), family);
    const added = join(dir, `${family}-added`);
    const a = aha('tokens', 'add', '--model', f.dir, '--out', added);
    assert.equal(a.status, 0, a.stderr);
    const base = loadModel(added);
    const newIds = ['<|continue|>', '<|reflect|>', '<|explore|>'].map((t) => base.tokenizer.tokenToId(t)!);
    const tied = base.config.tie_word_embeddings;
    assert.equal(tied, family === 'qwen2.5-instruct');
    const data = join(dir, `${family}-sft.jsonl`);
    writeFileSync(data, Array.from({ length: 8 }, (_, i) => JSON.stringify({ prompt: `${i}+1=`, completion: `<|reflect|>${i + 1}<|explore|>` })).join('\n') + '\n');
    const run = join(dir, `${family}-run`);
    // Untied, the new tokens' lm_head rows train too (else they would keep equal logits for good).
    const spec = `r=4,alpha=8,trainable_tokens=<|continue|>+<|reflect|>+${newIds[2]}${tied ? '' : ',trainable_tokens_lm_head=true'}`;
    const s = aha('sft', '--model', added, '--data', data, '--lora', spec, '--steps', '6', '--batch-size', '4', '--lr', '0.02', '--out', run, '--quiet');
    assert.equal(s.status, 0, s.stderr);
    const adapterDir = join(run, 'model');
    assert.deepEqual(readAdapterConfig(adapterDir).lora.trainableTokens, newIds);
    assert.deepEqual(JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8')).trainable_token_indices, tied ? newIds : { embed_tokens: newIds, lm_head: newIds });
    const trainedModel = loadModelOrAdapter(adapterDir).model as LoraModel;
    const rows = trainedModel.tokenRows!;
    const start = base.model.parameters().get('model.embed_tokens.weight')!.data;
    const H = base.config.hidden_size;
    // <|reflect|> and <|explore|> occur in the data and moved from the mean row they started at; <|continue|>
    // moved only through a tied lm_head (its logit column), and not at all untied.
    const moved = (j: number) => maxAbs(rows.rows.data.subarray(j * H, (j + 1) * H), start.subarray(newIds[j] * H, (newIds[j] + 1) * H));
    assert.ok(moved(1) > 1e-3 && moved(2) > 1e-3, `${moved(1)} ${moved(2)}`);
    if (tied) assert.ok(moved(0) > 1e-3);
    else assert.equal(moved(0), 0);
    if (!tied) {
      const head = trainedModel.lmHeadRows!, headStart = base.model.parameters().get('lm_head.weight')!.data;
      assert.ok(maxAbs(head.rows.data.subarray(H, 2 * H), headStart.subarray(newIds[1] * H, (newIds[1] + 1) * H)) > 1e-3, 'the lm_head row of <|reflect|> trained');
    }
    // The new token's log-probability after the prompt rose (tied: its own row moves its logit too).
    const prompt = base.tokenizer.encode('3+1=', { addSpecialTokens: false });
    const last = (m: { forward: LoraModel['forward'] }) => logits(m, prompt).subarray((prompt.length - 1) * base.config.vocab_size);
    const logProb = (row: Float32Array, id: number) => row[id] - Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const before = logProb(last(base.model), newIds[1]), after = logProb(last(trainedModel), newIds[1]);
    assert.ok(after > before + 0.05, `${before} -> ${after}`);
    // <|reflect|> gained on <|continue|> (untied, they started from one mean row: equal logits).
    const lead = (row: Float32Array) => row[newIds[1]] - row[newIds[0]];
    if (!tied) assert.equal(lead(last(base.model)), 0);
    assert.ok(lead(last(trainedModel)) > lead(last(base.model)) + 0.05, `${lead(last(base.model))} -> ${lead(last(trainedModel))}`);
    const merged = join(dir, `${family}-merged`);
    const m = aha('merge', '--model', added, '--adapter', adapterDir, '--out', merged);
    assert.equal(m.status, 0, m.stderr);
    assert.ok(maxAbs(last(loadModel(merged).model), last(trainedModel)) < 1e-3);
    if (tied) {
      // Once (the CLI paths are the same for both families): generation from the adapter folder,
      // and refusals before anything is written.
      const g = aha('generate', '--model', adapterDir, '--prompt', '3+1=', '--max-tokens', '3', '--temperature', '0', '--quiet');
      assert.equal(g.status, 0, g.stderr);
      const bad = aha('sft', '--model', added, '--data', data, '--lora', 'r=4,trainable_tokens=<|nope|>', '--steps', '1', '--out', join(dir, `${family}-bad`), '--quiet');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^aha: --lora: trainable_tokens: "<\|nope\|>" is not a token of the model's tokenizer/);
      assert.equal(existsSync(join(dir, `${family}-bad`)), false);
      const redundant = aha('sft', '--model', added, '--data', data, '--lora', 'r=4,trainable_tokens=<|reflect|>,trainable_tokens_lm_head=true', '--steps', '1', '--out', join(dir, `${family}-bad`), '--quiet');
      assert.equal(redundant.status, 2);
      assert.match(redundant.stderr, /^aha: --lora: trainable_tokens_lm_head=true: this model's lm_head is tied to its embedding/);
      assert.equal(existsSync(join(dir, `${family}-bad`)), false);
    }
  });
}

test('GRPO with trainable_tokens: the rows train with the adapters, the reference stays the base, checkpoints carry them, resume is bit for bit', async () => {
  const tok = new CharTokenizer();
  const eq = tok.tokenToId('=')!;
  const data = join(dir, 'math.jsonl');
  writeFileSync(data, ['1+1', '2+3', '4+4', '7-2', '3*3', '9-4'].map((q, i) => JSON.stringify({ prompt: `${q}=`, answer: String(eval(q)), id: `p${i}` })).join('\n') + '\n');
  const cfg = (over: Partial<GrpoConfig>): GrpoConfig => ({
    ...DEFAULT_CONFIG, task: null, data, model: baseDir, rewards: [{ name: 'accuracy', weight: 1 }, { name: 'tag_count', weight: 1 }],
    lora: `r=2,alpha=4,targets=q_proj,v_proj,trainable_tokens=${eq}+*`, beta: 0.04, prompts_per_step: 2, num_generations: 4, max_completion_length: 6,
    learning_rate: 5e-2, num_iterations: 2, gradient_accumulation_steps: 2, save_steps: 2, log_completions_steps: 0, seed: 3, ...over,
  });
  const straight = join(dir, 'grpo-straight');
  const run = prepareGrpo(cfg({ max_steps: 4, output_dir: straight }), { quiet: true });
  const lora = run.model as LoraModel;
  assert.deepEqual([...lora.tokenRows!.ids], [eq, tok.tokenToId('*')!]);
  const probe = Int32Array.from([eq, 5, eq, 6]);
  const refBefore = noGrad(() => run.reference!.forward(probe, 1, 4)).data.slice();
  const rowsBefore = lora.tokenRows!.rows.data.slice();
  await runGrpo(run);
  assert.deepEqual(noGrad(() => run.reference!.forward(probe, 1, 4)).data, refBefore);
  assert.ok(maxAbs(lora.tokenRows!.rows.data.subarray(0, 32), rowsBefore.subarray(0, 32)) > 0, '"=" occurs in every prompt: its row trained');
  const ckpt = join(straight, 'checkpoints', 'step-4');
  assert.ok(readSafetensorsHeader(join(ckpt, 'adapter_model.safetensors')).tensors.has(TOKEN_ROWS_TENSOR));
  assert.ok(`m.${TOKEN_ROWS_TENSOR}` in readOptimizerState(ckpt)!.tensors);
  await assertLoraGrpoResumeExact(cfg, straight, join(dir, 'grpo-split'));
  // A token the tokenizer does not have, or an id past the vocabulary: refused, nothing written.
  const bad = join(dir, 'grpo-bad');
  assert.throws(() => prepareGrpo(cfg({ lora: 'r=2,trainable_tokens=<|nope|>', output_dir: bad }), { quiet: true }), /trainable_tokens: "<\|nope\|>" is not a token of the model's tokenizer/);
  assert.throws(() => prepareGrpo(cfg({ lora: 'r=2,trainable_tokens=100000', output_dir: bad }), { quiet: true }), /trainable_tokens: id 100000 is outside the model's vocabulary/);
  assert.equal(existsSync(bad), false);
});

test('a reward model trained with LoRA and token rows saves them merged into its body', () => {
  const rm = createRewardModel(baseDir, { kind: 'outcome', lora: parseLoraSpec('r=2,alpha=4,trainable_tokens=9+33') });
  const rng = new Rng(2);
  for (const p of rm.trainableParameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.2;
  const seqs = [Int32Array.from([5, 9, 14, 33]), Int32Array.from([9, 9, 2])];
  const scores = rm.scoreSequences(seqs);
  const out = join(dir, 'rm');
  saveRewardModel(rm, out);
  assert.ok(maxAbs(loadRewardModelSync(out).scoreSequences(seqs), scores) < 1e-4);
});
