// Reading and writing config.json: validates a Hugging Face style config (Llama, Qwen2, Qwen3 and
// Mistral families) into a ModelConfig, with errors that name the file and the field, and writes
// it back with the fields Python's transformers needs to load the folder (architectures,
// torch_dtype). Both spellings transformers has used are read: rope_theta / rope_scaling
// (transformers 4) and rope_parameters (transformers 5). Every field that changes the computation
// is either honoured or refused: a folder never loads as a silently different model.
import { readJsonFile } from '../util/json-file.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { MODEL_TYPES, type ModelConfig, type ModelType, type RopeScaling } from './transformer-config.js';

type Json = Record<string, unknown>;

const present = (v: unknown): boolean => v !== undefined && v !== null;

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

/**
 * Fields of Hugging Face configs that change the computation in ways this network does not
 * implement, each with the values that leave it unchanged. Any other value is refused by name.
 */
const REFUSED_FIELDS: { field: string; neutral: (v: unknown) => boolean; why: string }[] = [
  { field: 'quantization_config', neutral: (v) => !present(v), why: 'quantized weights are not supported (aha loads F32, F16 and BF16 safetensors)' },
  { field: 'auto_map', neutral: (v) => !present(v), why: 'this folder brings its own modeling code (trust_remote_code); aha runs only its built-in architectures' },
  ...['num_experts', 'num_local_experts', 'n_routed_experts', 'num_experts_per_tok', 'moe_intermediate_size', 'n_shared_experts'].map((field) => ({
    field,
    neutral: (v: unknown) => !present(v) || v === 0,
    why: 'mixture-of-experts models are not supported (aha runs dense decoders)',
  })),
  { field: 'partial_rotary_factor', neutral: (v) => !present(v) || v === 1, why: 'partial rotary embeddings are not supported (RoPE over the whole head only)' },
  { field: 'attention_dropout', neutral: (v) => !present(v) || v === 0, why: 'attention dropout is not implemented (set it to 0.0)' },
  { field: 'use_mrope', neutral: (v) => !present(v) || v === false, why: 'multimodal RoPE is not supported' },
  ...['attn_logit_softcapping', 'final_logit_softcapping', 'logit_scale', 'logits_scaling', 'embedding_multiplier', 'residual_multiplier', 'attention_multiplier', 'query_pre_attn_scalar'].map((field) => ({
    field,
    neutral: (v: unknown) => !present(v),
    why: 'this scaling is not part of the Llama/Qwen/Mistral decoders aha runs',
  })),
];

/** Refuses sliding-window settings the family has and aha does not implement. */
function checkSlidingWindow(r: Json, type: ModelType, file: string): number | null | undefined {
  if (type === 'qwen2' || type === 'qwen3') {
    // transformers ignores sliding_window unless use_sliding_window is true.
    if (optBool(r, 'use_sliding_window', file) === true) {
      throw new InputError({ file, field: 'use_sliding_window' }, 'sliding-window attention is not supported (set it to false)');
    }
  }
  if (present(r.layer_types)) {
    const types = r.layer_types;
    if (!Array.isArray(types) || types.some((t) => t !== 'full_attention')) {
      throw new InputError({ file, field: 'layer_types' }, `only "full_attention" layers are supported, got ${JSON.stringify(types)}`);
    }
    // transformers refuses a list that does not give one type per layer, so a folder with one was
    // not written by it (or was edited to another depth): say so rather than guess which is right.
    if (typeof r.num_hidden_layers === 'number' && types.length !== r.num_hidden_layers) {
      throw new InputError({ file, field: 'layer_types' }, `has ${types.length} entries, but num_hidden_layers is ${r.num_hidden_layers} (one type per layer)`);
    }
  }
  if (type !== 'mistral') return undefined;
  // MistralConfig defaults sliding_window to 4096 when the field is absent; null means none.
  if (r.sliding_window === undefined) return 4096;
  if (r.sliding_window === null) return null;
  return posInt(r, 'sliding_window', file);
}

/** Which biases the family has: Qwen2 q/k/v always, Mistral none, Llama/Qwen3 from the config. */
function parseBiases(r: Json, type: ModelType, file: string): { attention: boolean; mlp: boolean } {
  const attention = optBool(r, 'attention_bias', file);
  const mlp = optBool(r, 'mlp_bias', file);
  const refuse = (field: string, why: string): never => {
    throw new InputError({ file, field }, why);
  };
  if (type === 'mistral') {
    if (attention === true) refuse('attention_bias', 'transformers\' Mistral has no attention biases; true here would not match the model (use model_type "llama")');
    if (mlp === true) refuse('mlp_bias', 'transformers\' Mistral has no MLP biases; true here would not match the model (use model_type "llama")');
    return { attention: false, mlp: false };
  }
  if (type === 'qwen2') {
    if (attention === false) refuse('attention_bias', 'Qwen2 always has q/k/v biases; false here would not match the model');
    if (mlp === true) refuse('mlp_bias', 'Qwen2 has no MLP biases');
    return { attention: true, mlp: false };
  }
  if (type === 'qwen3' && mlp === true) refuse('mlp_bias', 'Qwen3 has no MLP biases');
  return { attention: attention ?? false, mlp: mlp ?? false };
}

/** Validates a parsed config.json object. `file` is used in error messages. */
export function parseModelConfig(raw: unknown, file = 'config.json'): ModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError({ file }, 'expected a JSON object');
  const r = raw as Json;
  const modelType = r.model_type;
  if (!(MODEL_TYPES as readonly unknown[]).includes(modelType)) {
    throw new InputError(
      { file, field: 'model_type' },
      `${JSON.stringify(modelType)} is not supported (aha runs ${MODEL_TYPES.map((t) => `"${t}"`).join(', ')} decoder-only models)`,
    );
  }
  const type = modelType as ModelType;
  for (const { field, neutral, why } of REFUSED_FIELDS) {
    if (!neutral(r[field])) throw new InputError({ file, field }, `${JSON.stringify(r[field])}: ${why}`);
  }
  // transformers maps "swish" to the same function as "silu" (x·σ(x)).
  if (present(r.hidden_act) && r.hidden_act !== 'silu' && r.hidden_act !== 'swish') {
    throw new InputError({ file, field: 'hidden_act' }, `${JSON.stringify(r.hidden_act)} is not supported (the SwiGLU MLP uses "silu", also written "swish")`);
  }
  const slidingWindow = checkSlidingWindow(r, type, file);
  const biases = parseBiases(r, type, file);
  const vocab = posInt(r, 'vocab_size', file);
  const hidden = posInt(r, 'hidden_size', file);
  const heads = posInt(r, 'num_attention_heads', file);
  const kvHeads = r.num_key_value_heads === undefined || r.num_key_value_heads === null ? heads : posInt(r, 'num_key_value_heads', file);
  if (heads % kvHeads !== 0) {
    throw new InputError({ file, field: 'num_key_value_heads' }, `${kvHeads} does not divide num_attention_heads ${heads}`);
  }
  let headDim: number | undefined;
  if (r.head_dim !== undefined && r.head_dim !== null) headDim = posInt(r, 'head_dim', file);
  else if (type === 'qwen3') headDim = 128; // Qwen3Config's default, independent of hidden_size
  else if (hidden % heads !== 0) {
    throw new InputError({ file, field: 'hidden_size' }, `${hidden} is not divisible by num_attention_heads ${heads} (set head_dim)`);
  }
  if ((headDim ?? hidden / heads) % 2 !== 0) {
    throw new InputError({ file, field: 'head_dim' }, `per-head size ${headDim ?? hidden / heads} must be even for rotary embeddings`);
  }
  const rope = parseRope(r, file);
  const eos = r.eos_token_id;
  let eosId: number | number[] | null | undefined;
  if (Array.isArray(eos)) {
    // Each entry by its own name (eos_token_id[1]); a null inside the list is no token id.
    eosId = eos.map((e: unknown, i) => {
      const field = `eos_token_id[${i}]`;
      if (e === null) throw new InputError({ file, field }, `must be a token id in [0, ${vocab}), got null`);
      return optTokenId({ [field]: e }, field, file, vocab) as number;
    });
  } else eosId = optTokenId(r, 'eos_token_id', file, vocab);
  const cfg: ModelConfig = {
    model_type: type,
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: posInt(r, 'intermediate_size', file),
    num_hidden_layers: posInt(r, 'num_hidden_layers', file),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    max_position_embeddings: posInt(r, 'max_position_embeddings', file),
    rms_norm_eps: posNum(r, 'rms_norm_eps', file, 1e-6),
    rope_theta: rope.theta,
    tie_word_embeddings: optBool(r, 'tie_word_embeddings', file) ?? false,
    attention_bias: biases.attention,
    bos_token_id: optTokenId(r, 'bos_token_id', file, vocab) ?? null,
    eos_token_id: eosId ?? null,
  };
  if (biases.mlp) cfg.mlp_bias = true;
  if (slidingWindow !== undefined) cfg.sliding_window = slidingWindow;
  if (headDim !== undefined) cfg.head_dim = headDim;
  if (rope.scaling) cfg.rope_scaling = rope.scaling;
  const dtype = r.torch_dtype ?? r.dtype;
  if (typeof dtype === 'string') cfg.torch_dtype = dtype;
  return cfg;
}

/**
 * RoPE from either spelling. transformers 5 writes rope_parameters {rope_theta, rope_type,
 * factor, ...}; transformers 4 wrote rope_theta and rope_scaling {rope_type | type, factor, ...}.
 * When both are present they must agree. theta is required: no silent 10000.
 */
function parseRope(r: Json, file: string): { theta: number; scaling: RopeScaling | null } {
  const legacyScaling = present(r.rope_scaling) ? parseScaling(r.rope_scaling, file, 'rope_scaling') : null;
  const legacyTheta = r.rope_theta === undefined || r.rope_theta === null ? undefined : posNum(r, 'rope_theta', file, 0);
  if (!present(r.rope_parameters)) {
    if (legacyTheta === undefined) {
      throw new InputError({ file, field: 'rope_theta' }, 'missing: set rope_theta (or rope_parameters.rope_theta); aha does not guess the RoPE base');
    }
    return { theta: legacyTheta, scaling: legacyScaling };
  }
  const field = 'rope_parameters';
  const p = r.rope_parameters;
  if (typeof p !== 'object' || Array.isArray(p)) throw new InputError({ file, field }, 'expected an object');
  const params = p as Json;
  if (Object.values(params).some((v) => v !== null && typeof v === 'object')) {
    throw new InputError({ file, field }, 'RoPE parameters per layer type are not supported (one set for all layers)');
  }
  const theta = params.rope_theta;
  if (typeof theta !== 'number' || !Number.isFinite(theta) || theta <= 0) {
    throw new InputError({ file, field: `${field}.rope_theta` }, theta === undefined ? 'missing (required)' : `must be a positive number, got ${JSON.stringify(theta)}`);
  }
  const scaling = parseScaling(params, file, field);
  if (legacyTheta !== undefined && legacyTheta !== theta) {
    throw new InputError({ file, field: 'rope_theta' }, `${legacyTheta} disagrees with rope_parameters.rope_theta ${theta}`);
  }
  if (present(r.rope_scaling) && JSON.stringify(legacyScaling) !== JSON.stringify(scaling)) {
    throw new InputError({ file, field: 'rope_scaling' }, 'disagrees with rope_parameters');
  }
  return { theta, scaling };
}

/**
 * The frequency scaling of a rope_scaling or rope_parameters object: none for rope_type
 * "default", Llama 3's for "llama3", position interpolation for "linear"; every other type
 * (dynamic, yarn, longrope, ...) is refused by name.
 */
function parseScaling(raw: unknown, file: string, field: string): RopeScaling | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError({ file, field }, 'expected an object or null');
  const r = raw as Json;
  const typeField = r.rope_type !== undefined ? 'rope_type' : r.type !== undefined ? 'type' : null;
  const kind = typeField === null ? 'default' : r[typeField];
  if (present(r.partial_rotary_factor) && r.partial_rotary_factor !== 1) {
    throw new InputError({ file, field: `${field}.partial_rotary_factor` }, `${JSON.stringify(r.partial_rotary_factor)}: partial rotary embeddings are not supported`);
  }
  if (kind === 'default') return null;
  if (kind !== 'llama3' && kind !== 'linear') {
    throw new InputError(
      { file, field: `${field}.${typeField ?? 'rope_type'}` },
      `RoPE type ${JSON.stringify(kind)} is not supported (aha implements "default", "linear" and "llama3")`,
    );
  }
  const num = (key: string): number => {
    const v = r[key];
    if (typeof v !== 'number' || !(v > 0)) throw new InputError({ file, field: `${field}.${key}` }, `expected a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (kind === 'linear') return { rope_type: 'linear', factor: num('factor') };
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

/**
 * Refuses a config.json whose `architectures` names a head other than a language-model head (a
 * reward model's or classifier's score head, a bare body without one): its weights have no
 * lm_head, so as a causal LM it would be another model. transformers picks the class by
 * model_type, so an absent or empty list is fine.
 */
function checkCausalLmArchitecture(raw: unknown, file: string): void {
  const arch = (raw as Json | null)?.architectures;
  if (!Array.isArray(arch)) return;
  const other = arch.find((a) => typeof a !== 'string' || !a.endsWith('ForCausalLM'));
  if (other === undefined) return;
  const why = typeof other === 'string' && other.endsWith('ForSequenceClassification')
    ? 'a reward model or classifier (a score head, no language-model head): use it as a reward (--reward rm:DIR), or give the causal LM it was trained from'
    : 'not a causal language model with its lm_head (aha generates and trains …ForCausalLM folders)';
  throw new InputError({ file, field: 'architectures' }, `${JSON.stringify(other)} is ${why}`);
}

/** Reads and validates `dir`/config.json of a causal language model. */
export function readModelConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new AhaError(`${dir}: not a model folder (no config.json)`);
  const raw = readJsonFile(file);
  const config = parseModelConfig(raw, file);
  checkCausalLmArchitecture(raw, file);
  return config;
}

const ARCHITECTURES: Record<ModelType, string> = {
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
  mistral: 'MistralForCausalLM',
};

/**
 * The config.json object for `cfg`, with what transformers needs to pick the right class. RoPE is
 * written in the transformers 4 spelling (rope_theta, rope_scaling), which transformers 5 reads.
 */
export function modelConfigJson(cfg: ModelConfig, dtype: string): Json {
  const out: Json = { architectures: [ARCHITECTURES[cfg.model_type]], ...cfg, torch_dtype: dtype };
  delete out.generation_config; // generation_config.json's, not config.json's
  if (cfg.model_type === 'llama' || cfg.model_type === 'qwen3') out.attention_bias = cfg.attention_bias ?? false;
  else delete out.attention_bias; // Qwen2 always has q/k/v biases, Mistral never: their configs have no such field
  if (cfg.model_type === 'llama') out.mlp_bias = cfg.mlp_bias ?? false;
  else delete out.mlp_bias;
  if (cfg.model_type === 'mistral') out.sliding_window = cfg.sliding_window ?? null;
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
