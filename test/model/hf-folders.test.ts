// Hugging Face folders as transformers 5 writes them (and as transformers 4 did): Qwen2, Qwen3,
// Llama and Mistral load from either config spelling with identical logits, from F32, BF16 and
// sharded weights; Llama 3 RoPE scaling, Qwen3's q/k norms and Llama's biases all reach the
// logits; the chat template is read from chat_template.jinja; and every configuration aha does not
// implement is refused naming the file and the field (also through the CLI: exit 2, one line,
// nothing written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/model/load-model.js';
import { encodeChat } from '../../src/model/tokenizer.js';
import { parseModelConfig } from '../../src/model/config-json.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { bf16ToF32, f32ToBf16 } from '../../src/model/safetensors.js';
import { tempDir, logitsOf } from './helpers.js';
import { CHAT_TEMPLATE, TINY_TOKENIZER_SIZE, writeTinyHfFolder, type TinyArch, type TinyHfOptions } from './hf-folder.js';

const ARCHS: TinyArch[] = ['qwen2', 'qwen3', 'llama', 'mistral'];
/** The RoPE scaling each family's folders use in the tests that run all four. */
const SCALING: Record<TinyArch, 'llama3' | 'linear' | null> = { llama: 'llama3', mistral: 'linear', qwen2: null, qwen3: null };
const PROBE = [263, 116, 257, 32, 261, 32, 259, 260, 256, 101, 115, 116, 32, 97, 33, 10];

function folder(opts: TinyHfOptions, name = 'm'): string {
  const dir = join(tempDir(`hf-${opts.arch}`), name);
  writeTinyHfFolder(dir, opts);
  return dir;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Logits of the folder's model on PROBE, with `edit` applied to its parameters first. */
function logitsAfter(dir: string, edit: (params: Map<string, { data: Float32Array }>) => void = () => {}): Float32Array {
  const { model } = loadModel(dir);
  edit(model.parameters());
  return logitsOf(model, PROBE);
}

test('each family loads from both config spellings with identical logits, and F32 weights exactly', () => {
  for (const arch of ARCHS) {
    const ropeScaling = SCALING[arch];
    const v5 = folder({ arch, configSpelling: 'v5', ropeScaling });
    const v4 = folder({ arch, configSpelling: 'v4', ropeScaling });
    const a = loadModel(v5), b = loadModel(v4);
    assert.equal(a.config.model_type, arch);
    assert.deepEqual(a.config, b.config, arch);
    assert.equal(a.config.rope_theta, arch === 'llama' ? 500000 : 1000000, `${arch}: rope_parameters.rope_theta is read`);
    assert.equal(a.config.rope_scaling?.rope_type, ropeScaling ?? undefined);
    const la = logitsOf(a.model, PROBE);
    assert.ok(la.every(Number.isFinite));
    assert.deepEqual(la, logitsOf(b.model, PROBE), `${arch}: the two spellings give different logits`);
    const written = writeTinyHfFolder(join(tempDir('hf-again'), 'm'), { arch }).tensors;
    for (const [name, t] of written) assert.deepEqual(a.model.parameters().get(name)!.data, t.data, `${arch} ${name}`);
    assert.equal(a.model.parameters().size, written.size, `${arch}: the model has exactly the file's tensors`);
  }
});

test('hidden_act "swish" is the same function as "silu", as transformers reads it', () => {
  const silu = logitsAfter(folder({ arch: 'llama', seed: 6 }, 'silu'));
  const swish = logitsAfter(folder({ arch: 'llama', seed: 6, configOverrides: { hidden_act: 'swish' } }, 'swish'));
  assert.deepEqual(swish, silu);
});

test('BF16 and sharded folders load as their stored values; Qwen3 head_dim is independent of hidden_size / heads', () => {
  const bf = writeTinyHfFolder(join(tempDir('hf-bf16'), 'm'), { arch: 'qwen3', dtype: 'BF16', shards: 3, shape: { layers: 3 } });
  assert.ok(existsSync(join(bf.dir, 'model.safetensors.index.json')));
  const loaded = loadModel(bf.dir);
  assert.equal(loaded.config.head_dim, 16);
  assert.equal(loaded.config.num_hidden_layers, 3);
  assert.deepEqual(loaded.model.parameters().get('model.layers.0.self_attn.q_proj.weight')!.shape, [4 * 16, 32]);
  for (const [name, t] of bf.tensors) {
    const want = new Float32Array(t.data.length);
    bf16ToF32(f32ToBf16(t.data), want);
    assert.deepEqual(loaded.model.parameters().get(name)!.data, want, name);
  }
});

test('Llama 3 and linear RoPE scaling (rope_parameters) change the logits against the default rope type', () => {
  const scaled = folder({ arch: 'llama', ropeScaling: 'llama3', seed: 4 });
  const plain = folder({ arch: 'llama', ropeScaling: null, seed: 4 });
  assert.ok(maxAbsDiff(logitsAfter(scaled), logitsAfter(plain)) > 1e-3, 'rope_type llama3 had no effect');
  const linear = folder({ arch: 'llama', ropeScaling: 'linear', seed: 4 });
  assert.deepEqual(loadModel(linear).config.rope_scaling, { rope_type: 'linear', factor: 4 });
  assert.ok(maxAbsDiff(logitsAfter(linear), logitsAfter(plain)) > 1e-3, 'rope_type linear had no effect');
  // rope_theta in rope_parameters is honoured: another base gives other logits.
  const otherTheta = folder({ arch: 'llama', ropeTheta: 10, seed: 4 });
  assert.ok(maxAbsDiff(logitsAfter(otherTheta), logitsAfter(plain)) > 1e-3, 'rope_parameters.rope_theta had no effect');
});

test('Qwen3 q_norm / k_norm and Llama attention/MLP biases reach the logits', () => {
  const qwen3 = folder({ arch: 'qwen3', seed: 2 });
  const base = logitsAfter(qwen3);
  for (const norm of ['q_norm', 'k_norm']) {
    const reset = logitsAfter(qwen3, (p) => p.get(`model.layers.0.self_attn.${norm}.weight`)!.data.fill(1));
    assert.ok(maxAbsDiff(base, reset) > 1e-3, `${norm} had no effect`);
  }
  const llama = folder({ arch: 'llama', attentionBias: true, mlpBias: true, seed: 3 });
  const withBias = logitsAfter(llama);
  for (const proj of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) {
    const zeroed = logitsAfter(llama, (p) => p.get(`model.layers.1.${proj}.bias`)!.data.fill(0));
    assert.ok(maxAbsDiff(withBias, zeroed) > 1e-4, `${proj}.bias had no effect`);
  }
  // Qwen3 with attention_bias has q/k/v and o_proj biases too.
  const q3b = loadModel(folder({ arch: 'qwen3', attentionBias: true })).model.parameters();
  assert.ok(q3b.has('model.layers.0.self_attn.o_proj.bias') && q3b.has('model.layers.0.self_attn.k_proj.bias'));
});

test('a loaded folder saved back reloads to the same tensors and logits (transformers 4 spelling on disk)', () => {
  for (const arch of ARCHS) {
    const src = loadModel(folder({ arch, attentionBias: arch === 'llama' || arch === 'qwen3', mlpBias: arch === 'llama', ropeScaling: SCALING[arch] }));
    const out = join(tempDir('hf-save'), 'm');
    saveModel(src.model, src.tokenizer, out);
    const back = loadModel(out);
    assert.deepEqual(back.config, { ...src.config, torch_dtype: 'float32' }, arch);
    for (const [name, t] of src.model.parameters()) assert.deepEqual(back.model.parameters().get(name)!.data, t.data, `${arch} ${name}`);
    assert.deepEqual(logitsOf(back.model, PROBE), logitsOf(src.model, PROBE), arch);
    assert.equal(back.tokenizer.chatTemplate, CHAT_TEMPLATE);
  }
});

test('Mistral: sequences within sliding_window run; longer ones are refused naming the field', () => {
  const dir = folder({ arch: 'mistral', configOverrides: { sliding_window: 8 } });
  const { model } = loadModel(dir);
  assert.equal(model.config.sliding_window, 8);
  assert.doesNotThrow(() => logitsOf(model, PROBE.slice(0, 8)));
  assert.throws(() => logitsOf(model, PROBE.slice(0, 9)), /field "sliding_window".*limited to 8 tokens \(this one needs 9\)/);
  assert.throws(() => model.createCache(1, 9), /field "sliding_window"/);
  // Without the field MistralConfig's default 4096 applies; null means no window.
  assert.equal(loadModel(folder({ arch: 'mistral', configOverrides: { sliding_window: undefined } })).config.sliding_window, 4096);
  const none = loadModel(folder({ arch: 'mistral', configOverrides: { sliding_window: null } })).model;
  assert.doesNotThrow(() => none.createCache(1, 10000));
});

test('decode([]) is the empty string for both tokenizer kinds', () => {
  const { tokenizer } = loadModel(folder({ arch: 'qwen2' }));
  assert.equal(tokenizer.decode([]), '');
  assert.equal(tokenizer.decode(new Int32Array(0), { skipSpecialTokens: false }), '');
  assert.equal(new CharTokenizer().decode([]), '');
});

test('the chat template comes from chat_template.jinja, else tokenizer_config.json (string or named list)', () => {
  const messages = [{ role: 'user', content: 'the 12' }];
  const want = '<|im_start|>user\nthe 12<|im_end|>\n<|im_start|>assistant\n';
  for (const where of ['jinja-file', 'tokenizer-config', 'tokenizer-config-list'] as const) {
    const { tokenizer } = loadModel(folder({ arch: 'qwen3', chatTemplate: where }));
    assert.equal(tokenizer.applyChatTemplate(messages), want, where);
    assert.deepEqual(Array.from(encodeChat(tokenizer, messages)).slice(0, 1), [tokenizer.tokenToId('<|im_start|>')]);
  }
  // The .jinja file wins over tokenizer_config.json, as in transformers.
  const both = folder({ arch: 'qwen3', chatTemplate: 'tokenizer-config' });
  writeFileSync(join(both, 'chat_template.jinja'), "{{ 'from the file' }}");
  assert.equal(loadModel(both).tokenizer.applyChatTemplate(messages), 'from the file');
  const none = loadModel(folder({ arch: 'qwen3', chatTemplate: 'none' })).tokenizer;
  assert.throws(() => none.applyChatTemplate(messages), /neither chat_template\.jinja nor tokenizer_config\.json/);
});

/** Config overrides aha refuses, each with the field the error must name. */
const REFUSED: [TinyArch, Record<string, unknown>, string, RegExp][] = [
  ['llama', { hidden_act: 'gelu' }, 'hidden_act', /"gelu" is not supported/],
  ['qwen2', { use_sliding_window: true }, 'use_sliding_window', /sliding-window attention is not supported/],
  ['qwen3', { layer_types: ['full_attention', 'sliding_attention'] }, 'layer_types', /only "full_attention"/],
  ['qwen2', { num_experts: 8 }, 'num_experts', /mixture-of-experts/],
  ['mistral', { num_local_experts: 8 }, 'num_local_experts', /mixture-of-experts/],
  ['llama', { quantization_config: { quant_method: 'bitsandbytes' } }, 'quantization_config', /quantized weights/],
  ['llama', { model_type: 'gemma' }, 'model_type', /"gemma" is not supported/],
  ['llama', { rope_parameters: { rope_theta: 10000, rope_type: 'yarn', factor: 4 } }, 'rope_parameters.rope_type', /RoPE type "yarn" is not supported/],
  ['llama', { rope_parameters: undefined, rope_theta: 10000, rope_scaling: { type: 'dynamic', factor: 2 } }, 'rope_scaling.type', /RoPE type "dynamic"/],
  ['qwen2', { rope_parameters: undefined }, 'rope_theta', /missing.*does not guess/],
  ['qwen2', { rope_parameters: { rope_type: 'default' } }, 'rope_parameters.rope_theta', /missing/],
  ['llama', { rope_theta: 10000 }, 'rope_theta', /disagrees with rope_parameters\.rope_theta 500000/],
  ['llama', { partial_rotary_factor: 0.5 }, 'partial_rotary_factor', /partial rotary/],
  ['llama', { rope_parameters: { rope_theta: 10000, rope_type: 'default', partial_rotary_factor: 0.5 } }, 'rope_parameters.partial_rotary_factor', /partial rotary/],
  ['mistral', { attention_bias: true }, 'attention_bias', /Mistral has no attention biases/],
  ['qwen2', { mlp_bias: true }, 'mlp_bias', /Qwen2 has no MLP biases/],
  ['llama', { attention_dropout: 0.1 }, 'attention_dropout', /dropout is not implemented/],
  ['llama', { auto_map: { AutoModelForCausalLM: 'modeling_x.XForCausalLM' } }, 'auto_map', /its own modeling code/],
  ['llama', { tie_word_embeddings: 'yes' }, 'tie_word_embeddings', /true or false/],
  // An EOS list is checked entry by entry, each named by its index.
  ['llama', { eos_token_id: [265, 99999] }, 'eos_token_id[1]', /token id in \[0, 320\), got 99999/],
  ['llama', { eos_token_id: [265, null] }, 'eos_token_id[1]', /got null/],
  // transformers refuses a layer_types list that does not give one type per layer.
  ['qwen3', { layer_types: ['full_attention'] }, 'layer_types', /1 entries, but num_hidden_layers is 2/],
  // A reward model's or a bare body's folder has no lm_head: it is not the causal LM it resembles.
  ['qwen2', { architectures: ['Qwen2ForSequenceClassification'], num_labels: 1 }, 'architectures', /reward model or classifier.*--reward rm:DIR/],
  ['qwen3', { architectures: ['Qwen3Model'] }, 'architectures', /not a causal language model/],
];

test('configurations aha does not implement are refused naming config.json and the field', () => {
  for (const [arch, configOverrides, field, re] of REFUSED) {
    const dir = folder({ arch, configOverrides });
    const file = join(dir, 'config.json');
    assert.throws(() => loadModel(dir), (e: Error) => {
      assert.ok(e.message.startsWith(`${file}, field "${field}": `), `${JSON.stringify(configOverrides)}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
});

test('weights only as pytorch_model.bin, a missing shard, and a tokenizer larger than vocab_size are refused naming the files', () => {
  const bin = folder({ arch: 'llama' });
  renameSync(join(bin, 'model.safetensors'), join(bin, 'pytorch_model.bin'));
  assert.throws(() => loadModel(bin), (e: Error) => e.message.startsWith(join(bin, 'pytorch_model.bin')) && /pickle weights are not read/.test(e.message));
  const small = folder({ arch: 'qwen2', vocabSize: TINY_TOKENIZER_SIZE - 1, configOverrides: { bos_token_id: 0, eos_token_id: 1 } });
  assert.throws(() => loadModel(small), (e: Error) =>
    e.message.startsWith(join(small, 'tokenizer.json')) && e.message.includes(`${join(small, 'config.json')} field "vocab_size" is ${TINY_TOKENIZER_SIZE - 1}`));
  const sharded = folder({ arch: 'qwen3', shards: 2 });
  unlinkSync(join(sharded, 'model-00002-of-00002.safetensors'));
  assert.throws(() => loadModel(sharded), (e: Error) =>
    e.message.startsWith(`${join(sharded, 'model.safetensors.index.json')}, field "weight_map": shard ${join(sharded, 'model-00002-of-00002.safetensors')} does not exist`));
  // A tokenizer exactly as large as the vocabulary is fine (Qwen pads vocab_size beyond it).
  assert.doesNotThrow(() => loadModel(folder({ arch: 'qwen2', vocabSize: TINY_TOKENIZER_SIZE })));
});

const root = join(import.meta.dirname, '..', '..');
function aha(args: string[], cwd: string): { code: number | null; out: string; err: string } {
  // tsx by URL: the child runs in a scratch folder, where the bare name would not resolve.
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs aha with `args` in `cwd` without blocking, so several runs overlap. */
function ahaAsync(args: string[], cwd: string): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/main.ts'), ...args], { cwd });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) => resolve({ code, err }));
  });
}

test('through the CLI (generate, eval, train) a refused folder is one "aha:" line naming file and field, exit 2, nothing written', async () => {
  const work = tempDir('hf-cli');
  const dir = join(work, 'qwen2');
  writeTinyHfFolder(dir, { arch: 'qwen2', configOverrides: { use_sliding_window: true } });
  const data = join(work, 'data.jsonl');
  writeFileSync(data, '{"prompt": "1+1=", "problem": "1+1=", "answer": "2"}\n');
  const before = readFileSync(join(dir, 'config.json'));
  // The folder-level refusals too: pickle-only weights, a tokenizer too large for vocab_size.
  const bin = join(work, 'bin');
  writeTinyHfFolder(bin, { arch: 'llama' });
  renameSync(join(bin, 'model.safetensors'), join(bin, 'pytorch_model.bin'));
  const small = join(work, 'small');
  writeTinyHfFolder(small, { arch: 'qwen2', vocabSize: TINY_TOKENIZER_SIZE - 1, configOverrides: { bos_token_id: 0, eos_token_id: 1 } });
  const field = `${join(dir, 'config.json')}, field "use_sliding_window": `;
  const runs: [string[], string][] = [
    [['generate', '--model', dir, '--prompt', 'the', '--max-tokens', '2'], field],
    [['eval', '--model', dir, '--data', data, '--out', join(work, 'eval.jsonl'), '--max-tokens', '2'], field],
    [['train', '--model', dir, '--data', data, '--output', join(work, 'run'), '--steps', '1'], field],
    [['generate', '--model', bin, '--prompt', 'the', '--max-tokens', '2'], `${join(bin, 'pytorch_model.bin')}: `],
    [['generate', '--model', small, '--prompt', 'the', '--max-tokens', '2'], `${join(small, 'tokenizer.json')}: `],
  ];
  const results = await Promise.all(runs.map(([args]) => ahaAsync(args, work)));
  runs.forEach(([args, start], i) => {
    const r = results[i];
    assert.equal(r.code, 2, `${args[0]}: ${r.err}`);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, `${args[0]}: ${r.err}`);
    assert.ok(lines[0].startsWith(`aha: ${start}`), `${args.join(' ')}: ${lines[0]}`);
  });
  assert.ok(!existsSync(join(work, 'eval.jsonl')) && !existsSync(join(work, 'run')) && !existsSync(join(work, 'runs')), 'nothing is written');
  assert.deepEqual(readFileSync(join(dir, 'config.json')), before);
});

test('aha generate --chat renders the chat_template.jinja of a transformers 5 folder', () => {
  const work = tempDir('hf-chat');
  const dir = join(work, 'qwen3');
  writeTinyHfFolder(dir, { arch: 'qwen3', chatTemplate: 'jinja-file' });
  const r = aha(['generate', '--model', dir, '--prompt', 'the 12', '--chat', '--max-tokens', '3', '--seed', '1', '--json', '--quiet'], work);
  assert.equal(r.code, 0, r.err);
  const line = JSON.parse(r.out.trim()) as { prompt: string; tokens: number };
  assert.equal(line.prompt, '<|im_start|>user\nthe 12<|im_end|>\n<|im_start|>assistant\n');
  assert.ok(line.tokens >= 1 && line.tokens <= 3);
});

test('the config.json of the released small models parse as they are published', () => {
  const common = { architectures: ['X'], attention_dropout: 0.0, hidden_act: 'silu', initializer_range: 0.02, use_cache: true, torch_dtype: 'bfloat16', transformers_version: '4.51.0' };
  const qwen25 = parseModelConfig({
    ...common, model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
    num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, max_window_layers: 21, rms_norm_eps: 1e-6,
    rope_scaling: null, rope_theta: 1000000.0, sliding_window: 32768, use_sliding_window: false, use_mrope: false,
    tie_word_embeddings: true, bos_token_id: 151643, eos_token_id: 151645,
  });
  assert.deepEqual([qwen25.attention_bias, qwen25.rope_theta, qwen25.tie_word_embeddings, qwen25.sliding_window], [true, 1000000, true, undefined]);
  const qwen3 = parseModelConfig({
    ...common, model_type: 'qwen3', vocab_size: 151936, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28,
    num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 40960, max_window_layers: 28,
    rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 1000000, sliding_window: null, use_sliding_window: false,
    attention_bias: false, tie_word_embeddings: true, bos_token_id: 151643, eos_token_id: 151645,
  });
  assert.deepEqual([qwen3.head_dim, qwen3.attention_bias], [128, false]);
  const llama = parseModelConfig({
    ...common, model_type: 'llama', vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16,
    num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, max_position_embeddings: 131072, rms_norm_eps: 1e-5,
    rope_theta: 500000.0, rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
    attention_bias: false, mlp_bias: false, pretraining_tp: 1, tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009],
  });
  assert.deepEqual(llama.rope_scaling, { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
  const mistral = parseModelConfig({
    ...common, model_type: 'mistral', vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
    num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 32768, rms_norm_eps: 1e-5, rope_theta: 10000.0,
    sliding_window: 4096, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2,
  });
  assert.deepEqual([mistral.sliding_window, mistral.attention_bias], [4096, false]);
});
