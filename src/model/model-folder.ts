// A model folder in Hugging Face layout: config.json, model.safetensors (or shards with an index),
// generation_config.json, tokenizer.json and tokenizer_config.json. Reading builds the model with
// a given constructor and fills its weights; writing puts the whole folder in place atomically.
import { readJsonObject } from '../util/json-file.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteDir, atomicWriteFile } from '../util/atomic.js';
import type { CausalLM } from './causal-lm.js';
import type { ModelConfig } from './transformer-config.js';
import { eosIds, modelConfigJson, readModelConfig } from './config-json.js';
import { loadTokenizer, TOKENIZER_FILE, type Tokenizer } from './tokenizer.js';
import { writeAdapterFiles } from './adapter-files.js';
import { isLoraModel } from './lora.js';
import { frozenWeightsOf, loadWeights, locateTensors, saveWeights, type Bf16Like, type ParamLike } from './weights.js';
import type { StoredDType } from './safetensors.js';

export interface LoadedModel {
  model: CausalLM;
  tokenizer: Tokenizer;
  config: ModelConfig;
  /** Every id that ends a completion: config.json, generation_config.json and the tokenizer's EOS. */
  eosIds: number[];
  dir: string;
}

export interface SaveModelOptions {
  /** Stored precision of the weights (default F32; BF16 halves the size, lossy). */
  dtype?: StoredDType;
}

const TORCH_DTYPE: Record<StoredDType, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

const GENERATION_CONFIG_FILE = 'generation_config.json';

/** A token id field of generation_config.json: absent, null, one id or a list of ids, each in [0, vocab). */
function generationIds(raw: Record<string, unknown>, field: string, file: string, vocab: number): number[] {
  const v = raw[field];
  const list = Array.isArray(v) ? (v as unknown[]) : v === undefined || v === null ? [] : [v];
  for (const id of list) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new InputError({ file, field }, `${JSON.stringify(id)} is not a token id in [0, ${vocab}) (config.json's vocab_size)`);
    }
  }
  return list as number[];
}

/**
 * The folder's generation_config.json (checked: its token ids fit the model), or undefined when
 * it has none. Its EOS ids end completions along with config.json's and the tokenizer's (Qwen's
 * instruct models list <|endoftext|> only there).
 */
function readGenerationConfig(dir: string, vocab: number): Record<string, unknown> | undefined {
  const file = join(dir, GENERATION_CONFIG_FILE);
  if (!existsSync(file)) return undefined;
  const raw = readJsonObject(file);
  for (const field of ['eos_token_id', 'bos_token_id', 'pad_token_id']) generationIds(raw, field, file, vocab);
  return raw;
}

/** Reads a model folder, building the network with `build` (random init) and loading weights. */
export function readModelFolder(dir: string, build: (config: ModelConfig) => CausalLM): LoadedModel {
  if (!existsSync(dir)) throw new AhaError(`model folder ${dir} does not exist`);
  const config = readModelConfig(dir);
  const tokenizer = loadTokenizer(dir);
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new InputError(
      { file: join(dir, TOKENIZER_FILE) },
      `token ids go up to ${tokenizer.vocabSize - 1}, but ${join(dir, 'config.json')} field "vocab_size" is ${config.vocab_size}: ` +
        'the tokenizer does not belong to this model',
    );
  }
  const generation = readGenerationConfig(dir, config.vocab_size);
  if (generation) config.generation_config = generation;
  const where = locateTensors(dir); // no usable weights: refused before the model is built
  const model = build(config);
  // A LoRA base built with frozen BF16 matrices lists them apart from its f32 parameters.
  const frozen = frozenWeightsOf(model);
  loadWeights(dir, new Map<string, ParamLike | Bf16Like>([...model.parameters(), ...frozen]), { tiedEmbeddings: config.tie_word_embeddings, where });
  const ids = new Set([...eosIds(config), ...generationEos(config)]);
  if (tokenizer.eosId !== null) ids.add(tokenizer.eosId);
  return { model, tokenizer, config, eosIds: [...ids], dir };
}

/** Writes the model folder's files into an existing folder `dir` (not atomic on its own). */
export function writeModelFiles(dir: string, model: CausalLM, tokenizer: Tokenizer, opts: SaveModelOptions = {}): void {
  // A model with LoRA adapters is saved as its adapter folder (PEFT layout), not the frozen base.
  if (isLoraModel(model)) {
    writeAdapterFiles(dir, model);
    tokenizer.save(dir);
    return;
  }
  if (frozenWeightsOf(model).size > 0) {
    throw new AhaError('this model keeps frozen BF16 weights (a LoRA base); save its adapter, or merge it with `aha merge`');
  }
  const dtype = opts.dtype ?? 'F32';
  const cfg = model.config;
  atomicWriteFile(join(dir, 'config.json'), JSON.stringify(modelConfigJson(cfg, TORCH_DTYPE[dtype]), null, 2) + '\n');
  atomicWriteFile(join(dir, GENERATION_CONFIG_FILE), JSON.stringify(generationConfigJson(cfg, tokenizer), null, 2) + '\n');
  saveWeights(dir, model.parameters(), dtype);
  tokenizer.save(dir);
}

/** EOS ids of the generation config a model carries. */
function generationEos(cfg: ModelConfig): number[] {
  const e = cfg.generation_config?.eos_token_id;
  return Array.isArray(e) ? (e as number[]) : typeof e === 'number' ? [e] : [];
}

/**
 * generation_config.json for a saved model: the one it was loaded with, as it was (sampling
 * defaults and all its EOS ids, so a trained or merged Qwen still stops at <|endoftext|> under
 * transformers and vLLM) plus any EOS id of config.json it lacked; for a model without one, BOS,
 * EOS and pad from the config and the tokenizer.
 */
function generationConfigJson(cfg: ModelConfig, tokenizer: Tokenizer): Record<string, unknown> {
  const eos = [...new Set([...generationEos(cfg), ...eosIds(cfg)])];
  if (cfg.generation_config) {
    const out = { ...cfg.generation_config };
    if (eos.length > 0) out.eos_token_id = eos.length === 1 ? eos[0] : eos;
    return out;
  }
  if (eos.length === 0 && tokenizer.eosId !== null) eos.push(tokenizer.eosId);
  return {
    bos_token_id: cfg.bos_token_id ?? tokenizer.bosId ?? undefined,
    eos_token_id: eos.length === 0 ? undefined : eos.length === 1 ? eos[0] : eos,
    pad_token_id: tokenizer.padId,
  };
}

/**
 * Saves `model` and `tokenizer` as a Hugging Face folder at `dir`, atomically: after a crash the
 * folder is either the old one or the complete new one.
 */
export function saveModel(model: CausalLM, tokenizer: Tokenizer, dir: string, opts: SaveModelOptions = {}): void {
  atomicWriteDir(dir, (tmp) => writeModelFiles(tmp, model, tokenizer, opts));
}
