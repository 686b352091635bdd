// A reusable test fixture: tiny random-init Hugging Face model folders shaped as transformers 5
// writes them (Qwen2, Qwen3, Llama, Mistral), with config.json in either spelling (transformers 4's
// rope_theta / rope_scaling or transformers 5's rope_parameters), F32 or BF16 safetensors (one
// file or shards with an index), a byte-level BPE tokenizer.json, tokenizer_config.json and the
// chat template where the caller asks for it. The weights come from a seeded generator over the
// Hugging Face tensor names of each family, written here independently of aha's transformer, so
// loading them checks aha's layout rather than repeating it. Norm weights and biases are random
// too, so a family feature that is ignored changes the logits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type StoredDType } from '../../src/model/safetensors.js';
import { Rng } from '../../src/util/rng.js';

export type TinyArch = 'qwen2' | 'qwen3' | 'llama' | 'mistral';

export interface TinyHfOptions {
  arch: TinyArch;
  /** 'v5': rope_parameters and dtype (transformers 5); 'v4': rope_theta, rope_scaling, torch_dtype. Default 'v5'. */
  configSpelling?: 'v4' | 'v5';
  /** Stored precision of the weights. Default F32. */
  dtype?: 'F32' | 'BF16';
  /** Seed of the random weights. Default 1. */
  seed?: number;
  /** Llama 3's RoPE scaling (with a short original context so tiny sequences feel it), or linear (factor 4). */
  ropeScaling?: 'llama3' | 'linear' | null;
  ropeTheta?: number;
  /** Llama/Qwen3: q/k/v and o_proj biases. */
  attentionBias?: boolean;
  /** Llama: gate/up/down biases. */
  mlpBias?: boolean;
  tieWordEmbeddings?: boolean;
  /** Where the chat template lives. Default 'jinja-file' (transformers 5). */
  chatTemplate?: 'jinja-file' | 'tokenizer-config' | 'tokenizer-config-list' | 'none';
  /** Number of safetensors shards (1: model.safetensors; more: model-0000i-of-0000n + index). Default 1. */
  shards?: number;
  /** config.json vocab_size (the tokenizer has TINY_TOKENIZER_SIZE ids). Default 320. */
  vocabSize?: number;
  /** Sizes, over TINY_SHAPE (e.g. a larger model for a benchmark). */
  shape?: Partial<TinyShape>;
  /** Per-head size (default: 16 for Qwen3, hidden / heads otherwise). */
  headDim?: number;
  /** Applied to config.json last; a value of undefined deletes the field. */
  configOverrides?: Record<string, unknown>;
}

export interface TinyHfFolder {
  dir: string;
  /** The config.json object written. */
  config: Record<string, unknown>;
  /** Every tensor written, by name, at F32 (before any BF16 rounding). */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export interface TinyShape {
  hidden: number;
  inter: number;
  layers: number;
  heads: number;
  kvHeads: number;
  maxPos: number;
}

/** Sizes of the tiny folders. Qwen3's head_dim differs from hidden_size / heads on purpose. */
export const TINY_SHAPE: Readonly<TinyShape> = { hidden: 32, inter: 48, layers: 2, heads: 4, kvHeads: 2, maxPos: 128 };
const QWEN3_HEAD_DIM = 16;

export const CHAT_TEMPLATE =
  "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const MERGES: [string, string][] = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['i', 'n'], ['Ġ', 'a'], ['1', '2']];
/** Ids in the tiny tokenizer: 256 bytes, the merges, then the special tokens. */
export const TINY_TOKENIZER_SIZE = 256 + MERGES.length + SPECIALS.length;

/** GPT-2's byte-to-character table of byte-level BPE: printable bytes map to themselves. */
function byteChars(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return out;
}

/** A byte-level BPE tokenizer.json with a few merges and Qwen-style special tokens. */
export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  MERGES.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  const added = SPECIALS.map((content, i) => ({
    id: 256 + MERGES.length + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: MERGES.map(([a, b]) => `${a} ${b}`),
    },
  };
}

const ARCH_CLASS: Record<TinyArch, string> = {
  qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM', llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM',
};

/** config.json as transformers writes it for the family, in the chosen spelling. */
function configJson(o: TinyHfOptions): Record<string, unknown> {
  const s = { ...TINY_SHAPE, ...o.shape };
  const headDim = o.headDim ?? (o.arch === 'qwen3' ? QWEN3_HEAD_DIM : s.hidden / s.heads);
  const theta = o.ropeTheta ?? (o.arch === 'llama' ? 500000 : 1000000);
  const scaling = o.ropeScaling === 'llama3'
    ? { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 }
    : o.ropeScaling === 'linear' ? { factor: 4 } : null;
  const dtype = o.dtype === 'BF16' ? 'bfloat16' : 'float32';
  const cfg: Record<string, unknown> = {
    architectures: [ARCH_CLASS[o.arch]],
    model_type: o.arch,
    vocab_size: o.vocabSize ?? 320,
    hidden_size: s.hidden,
    intermediate_size: s.inter,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: headDim,
    hidden_act: 'silu',
    max_position_embeddings: s.maxPos,
    initializer_range: 0.02,
    rms_norm_eps: o.arch === 'llama' ? 1e-5 : 1e-6,
    use_cache: true,
    tie_word_embeddings: o.tieWordEmbeddings ?? false,
    attention_dropout: 0.0,
    bos_token_id: 256 + MERGES.length,
    eos_token_id: 256 + MERGES.length + 2,
    transformers_version: '5.0.0',
  };
  if (o.arch === 'llama') Object.assign(cfg, { attention_bias: o.attentionBias ?? false, mlp_bias: o.mlpBias ?? false, pretraining_tp: 1 });
  if (o.arch === 'qwen3') cfg.attention_bias = o.attentionBias ?? false;
  if (o.arch === 'qwen2' || o.arch === 'qwen3') {
    Object.assign(cfg, {
      use_sliding_window: false, sliding_window: null, max_window_layers: s.layers,
      layer_types: Array.from({ length: s.layers }, () => 'full_attention'),
    });
  }
  if (o.arch === 'mistral') cfg.sliding_window = 4096;
  if ((o.configSpelling ?? 'v5') === 'v5') {
    cfg.dtype = dtype;
    cfg.rope_parameters = { rope_theta: theta, rope_type: o.ropeScaling ?? 'default', ...scaling };
  } else {
    cfg.torch_dtype = dtype;
    cfg.rope_theta = theta;
    cfg.rope_scaling = scaling ? { rope_type: o.ropeScaling, ...scaling } : null;
  }
  for (const [k, v] of Object.entries(o.configOverrides ?? {})) {
    if (v === undefined) delete cfg[k];
    else cfg[k] = v;
  }
  return cfg;
}

/** The family's tensors by Hugging Face name and shape, with seeded random values. */
function randomTensors(o: TinyHfOptions, cfg: Record<string, unknown>): Map<string, { shape: number[]; data: Float32Array }> {
  const s = { ...TINY_SHAPE, ...o.shape };
  const V = cfg.vocab_size as number, D = cfg.head_dim as number;
  const rng = new Rng(o.seed ?? 1);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const put = (name: string, shape: number[], std: number, mean = 0): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + rng.normal() * std;
    out.set(name, { shape, data });
  };
  const qkvBias = o.arch === 'qwen2' || ((o.arch === 'llama' || o.arch === 'qwen3') && o.attentionBias === true);
  const oBias = (o.arch === 'llama' || o.arch === 'qwen3') && o.attentionBias === true;
  const mlpBias = o.arch === 'llama' && o.mlpBias === true;
  put('model.embed_tokens.weight', [V, s.hidden], 0.5);
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}.`;
    put(`${p}input_layernorm.weight`, [s.hidden], 0.1, 1);
    put(`${p}self_attn.q_proj.weight`, [s.heads * D, s.hidden], 0.2);
    put(`${p}self_attn.k_proj.weight`, [s.kvHeads * D, s.hidden], 0.2);
    put(`${p}self_attn.v_proj.weight`, [s.kvHeads * D, s.hidden], 0.2);
    put(`${p}self_attn.o_proj.weight`, [s.hidden, s.heads * D], 0.2);
    if (qkvBias) {
      put(`${p}self_attn.q_proj.bias`, [s.heads * D], 0.2);
      put(`${p}self_attn.k_proj.bias`, [s.kvHeads * D], 0.2);
      put(`${p}self_attn.v_proj.bias`, [s.kvHeads * D], 0.2);
    }
    if (oBias) put(`${p}self_attn.o_proj.bias`, [s.hidden], 0.2);
    if (o.arch === 'qwen3') {
      put(`${p}self_attn.q_norm.weight`, [D], 0.3, 1);
      put(`${p}self_attn.k_norm.weight`, [D], 0.3, 1);
    }
    put(`${p}post_attention_layernorm.weight`, [s.hidden], 0.1, 1);
    put(`${p}mlp.gate_proj.weight`, [s.inter, s.hidden], 0.2);
    put(`${p}mlp.up_proj.weight`, [s.inter, s.hidden], 0.2);
    put(`${p}mlp.down_proj.weight`, [s.hidden, s.inter], 0.2);
    if (mlpBias) {
      put(`${p}mlp.gate_proj.bias`, [s.inter], 0.2);
      put(`${p}mlp.up_proj.bias`, [s.inter], 0.2);
      put(`${p}mlp.down_proj.bias`, [s.hidden], 0.2);
    }
  }
  put('model.norm.weight', [s.hidden], 0.1, 1);
  if (!(cfg.tie_word_embeddings as boolean)) put('lm_head.weight', [V, s.hidden], 0.3);
  return out;
}

/** Writes a tiny model folder at `dir` (created if needed) and returns what it wrote. */
export function writeTinyHfFolder(dir: string, opts: TinyHfOptions): TinyHfFolder {
  mkdirSync(dir, { recursive: true });
  const config = configJson(opts);
  const tensors = randomTensors(opts, config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const dtype: StoredDType = opts.dtype ?? 'F32';
  const entries = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  const shards = opts.shards ?? 1;
  if (shards <= 1) {
    writeSafetensors(join(dir, 'model.safetensors'), entries, { dtype, metadata: { format: 'pt' } });
  } else {
    const weightMap: Record<string, string> = {};
    const per = Math.ceil(entries.length / shards);
    for (let i = 0; i < shards; i++) {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = entries.slice(i * per, (i + 1) * per);
      writeSafetensors(join(dir, file), part, { dtype, metadata: { format: 'pt' } });
      for (const t of part) weightMap[t.name] = file;
    }
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  }
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id }));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  const where = opts.chatTemplate ?? 'jinja-file';
  const tokCfg: Record<string, unknown> = {
    tokenizer_class: 'Qwen2Tokenizer', bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>',
    model_max_length: config.max_position_embeddings, clean_up_tokenization_spaces: false,
  };
  if (where === 'tokenizer-config') tokCfg.chat_template = CHAT_TEMPLATE;
  if (where === 'tokenizer-config-list') tokCfg.chat_template = [{ name: 'tool_use', template: 'unused' }, { name: 'default', template: CHAT_TEMPLATE }];
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokCfg, null, 2));
  if (where === 'jinja-file') writeFileSync(join(dir, 'chat_template.jinja'), CHAT_TEMPLATE);
  return { dir, config, tensors };
}
