// Reading and writing config.json: validates a Hugging Face style config (Llama and Qwen2
// families) into a ModelConfig, with errors that name the file and the field, and writes it back
// with the fields Python's transformers needs to load the folder (architectures, torch_dtype).
import { readJsonFile } from '../util/json-file.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import type { ModelConfig, RopeScaling } from './transformer-config.js';

type Json = Record<string, unknown>;

function posInt(raw: Json, field: string, file: string): number {
  const v = raw[field];
  if (v === undefined) throw new InputError({ file, field }, 'missing (required)');
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new InputError({ file, field }, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function posNum(raw: Json, field: string, file: string, fallback: number): number {
  const v = raw[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InputError({ file, field }, `must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optBool(raw: Json, field: string, file: string): boolean | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new InputError({ file, field }, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optTokenId(raw: Json, field: string, file: string, vocab: number): number | null | undefined {
  const v = raw[field];
  if (v === undefined || v === null) return v as null | undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= vocab) {
    throw new InputError({ file, field }, `must be a token id in [0, ${vocab}), got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates a parsed config.json object. `file` is used in error messages. */
export function parseModelConfig(raw: unknown, file = 'config.json'): ModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file }, 'expected a JSON object');
  const r = raw as Json;
  const modelType = r.model_type;
  if (modelType !== 'llama' && modelType !== 'qwen2') {
    throw new InputError(
      { file, field: 'model_type' },
      `${JSON.stringify(modelType)} is not supported (aha runs "llama" and "qwen2" decoder-only models)`,
    );
  }
  const vocab = posInt(r, 'vocab_size', file);
  const hidden = posInt(r, 'hidden_size', file);
  const heads = posInt(r, 'num_attention_heads', file);
  const kvHeads = r.num_key_value_heads === undefined || r.num_key_value_heads === null ? heads : posInt(r, 'num_key_value_heads', file);
  if (heads % kvHeads !== 0) {
    throw new InputError({ file, field: 'num_key_value_heads' }, `${kvHeads} does not divide num_attention_heads ${heads}`);
  }
  let headDim: number | undefined;
  if (r.head_dim !== undefined && r.head_dim !== null) headDim = posInt(r, 'head_dim', file);
  else if (hidden % heads !== 0) {
    throw new InputError({ file, field: 'hidden_size' }, `${hidden} is not divisible by num_attention_heads ${heads} (set head_dim)`);
  }
  if ((headDim ?? hidden / heads) % 2 !== 0) {
    throw new InputError({ file, field: 'head_dim' }, `per-head size ${headDim ?? hidden / heads} must be even for rotary embeddings`);
  }
  const ropeScaling = parseRopeScaling(r.rope_scaling, file);
  const eos = r.eos_token_id;
  let eosId: number | number[] | null | undefined;
  if (Array.isArray(eos)) eosId = eos.map((_, i) => optTokenId({ e: eos[i] }, 'e', file, vocab) as number);
  else eosId = optTokenId(r, 'eos_token_id', file, vocab);
  const cfg: ModelConfig = {
    model_type: modelType,
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: posInt(r, 'intermediate_size', file),
    num_hidden_layers: posInt(r, 'num_hidden_layers', file),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    max_position_embeddings: posInt(r, 'max_position_embeddings', file),
    rms_norm_eps: posNum(r, 'rms_norm_eps', file, 1e-6),
    rope_theta: posNum(r, 'rope_theta', file, 10000),
    tie_word_embeddings: optBool(r, 'tie_word_embeddings', file) ?? false,
    attention_bias: optBool(r, 'attention_bias', file) ?? modelType === 'qwen2',
    bos_token_id: optTokenId(r, 'bos_token_id', file, vocab) ?? null,
    eos_token_id: eosId ?? null,
  };
  if (headDim !== undefined) cfg.head_dim = headDim;
  if (ropeScaling) cfg.rope_scaling = ropeScaling;
  if (typeof r.torch_dtype === 'string') cfg.torch_dtype = r.torch_dtype;
  return cfg;
}

/** Llama 3 RoPE scaling, the one kind supported; other kinds are refused by name. */
function parseRopeScaling(raw: unknown, file: string): RopeScaling | null {
  if (raw === undefined || raw === null) return null;
  const field = 'rope_scaling';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file, field }, 'expected an object or null');
  const r = raw as Record<string, unknown>;
  const kind = r.rope_type ?? r.type;
  if (kind !== 'llama3') {
    throw new InputError({ file, field }, `RoPE scaling of type ${JSON.stringify(kind)} is not supported (only "llama3")`);
  }
  const num = (key: string): number => {
    const v = r[key];
    if (typeof v !== 'number' || !(v > 0)) throw new InputError({ file, field: `${field}.${key}` }, `expected a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const scaling: RopeScaling = {
    rope_type: 'llama3',
    factor: num('factor'),
    low_freq_factor: num('low_freq_factor'),
    high_freq_factor: num('high_freq_factor'),
    original_max_position_embeddings: num('original_max_position_embeddings'),
  };
  if (!(scaling.high_freq_factor > scaling.low_freq_factor)) {
    throw new InputError({ file, field: `${field}.high_freq_factor` }, 'must be larger than low_freq_factor');
  }
  return scaling;
}

/** Reads and validates `dir`/config.json. */
export function readModelConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new AhaError(`${dir}: not a model folder (no config.json)`);
  return parseModelConfig(readJsonFile(file), file);
}

/** The config.json object for `cfg`, with what transformers needs to pick the right class. */
export function modelConfigJson(cfg: ModelConfig, dtype: string): Json {
  const architectures = cfg.model_type === 'qwen2' ? ['Qwen2ForCausalLM'] : ['LlamaForCausalLM'];
  const out: Json = { architectures, ...cfg, torch_dtype: dtype };
  if (cfg.model_type === 'llama') out.attention_bias = cfg.attention_bias ?? false;
  else delete out.attention_bias; // Qwen2 always has q/k/v biases; its config has no such field
  out.head_dim ??= cfg.hidden_size / cfg.num_attention_heads;
  out.hidden_act = 'silu';
  return out;
}

/** EOS ids of a config as a list (the config may hold one id, a list, or none). */
export function eosIds(cfg: ModelConfig): number[] {
  const e = cfg.eos_token_id;
  if (e === undefined || e === null) return [];
  return Array.isArray(e) ? e : [e];
}

/** Per-head size. */
export function headDim(cfg: ModelConfig): number {
  return cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
}
