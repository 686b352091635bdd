// Applying LoRA adapters: the base model loaded in its file precision (a BF16 folder stays BF16),
// a PEFT adapter folder's tensors attached to it (F32/F16/BF16, every tensor accounted for),
// adapters saved atomically, and merging W + scale·BA (and trained token rows) into a plain model (`aha merge`).
// The folder format and its config checks are in adapter-files.ts.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteDir } from '../util/atomic.js';
import type { CausalLM } from './causal-lm.js';
import { LoraModel, assertTrainable, resolveLoraTokens, writeTokenRows, type FrozenAdapters, type LoraConfig } from './lora.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, checkAdapterFlag, isAdapterDir, readAdapterConfig, writeAdapterFiles } from './adapter-files.js';
import { loadModel } from './load-model.js';
import { readModelFolder, type LoadedModel } from './model-folder.js';
import { readModelConfig } from './config-json.js';
import { loadTokenizer } from './tokenizer.js';
import { SafetensorsReader, readSafetensorsHeader, type StoredDType } from './safetensors.js';
import { Transformer } from './transformer.js';
import { locateTensors } from './weights.js';

export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, checkAdapterFlag, isAdapterDir, readAdapterConfig, writeAdapterFiles };

/** Saves the adapter folder at `dir` atomically. */
export function saveAdapter(dir: string, model: LoraModel): void {
  atomicWriteDir(dir, (tmp) => writeAdapterFiles(tmp, model));
}

/** Applies the PEFT adapter in `dir` to `base` (whose weights stay frozen), loaded from `baseModelPath`. */
export function loadAdapter(base: CausalLM, dir: string, baseModelPath = ''): LoraModel {
  const { lora } = readAdapterConfig(dir);
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(file)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'));
    throw new AhaError(`${dir}: no ${ADAPTER_WEIGHTS_FILE}${bin ? ' (only adapter_model.bin, a pickle aha does not read; re-save it with safe_serialization=True)' : ''}`);
  }
  const vocab = base.config.vocab_size;
  const outside = [...(lora.trainableTokens ?? []), ...(lora.lmHeadTokens ?? [])].find((t) => typeof t !== 'number' || t >= vocab);
  if (outside !== undefined) {
    throw new InputError({ file: join(dir, ADAPTER_CONFIG_FILE), field: 'trainable_token_indices' }, `token ${outside} is outside the model's vocabulary [0, ${vocab}) (is this the right base model?)`);
  }
  if ((lora.lmHeadTokens ?? []).length > 0 && base.config.tie_word_embeddings) {
    throw new InputError({ file: join(dir, ADAPTER_CONFIG_FILE), field: 'trainable_token_indices' }, '"lm_head": this base ties lm_head to its embedding, so it has no lm_head rows of its own (is this the right base model?)');
  }
  const model = new LoraModel(base, lora, { baseModelPath });
  const reader = new SafetensorsReader(file);
  try {
    const wanted = model.parameters();
    const extra = reader.names().filter((n) => !wanted.has(n));
    if (extra.length > 0) {
      throw new InputError({ file }, `tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 3).map((n) => `"${n}"`).join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''} match no adapted projection of the model (does adapter_config.json's target_modules match, and is this the right base model?)`);
    }
    model.loadAdapterTensors((name) => {
      const e = reader.header.tensors.get(name);
      return e ? { shape: e.shape, data: reader.read(name) } : undefined;
    }, file);
  } finally {
    reader.close();
  }
  return model;
}

/** The precision the model folder `dir` stores its matrices in (F32 when mixed). */
export function storedMatrixDtype(dir: string): StoredDType {
  const kinds = new Set<StoredDType>();
  // locateTensors finds the files (one, or an index's shards) and refuses folders without usable weights.
  for (const f of new Set(locateTensors(dir).values())) for (const e of readSafetensorsHeader(f).tensors.values()) if (e.shape.length === 2) kinds.add(e.dtype);
  return kinds.size === 1 ? [...kinds][0] : 'F32';
}

/**
 * Loads a model folder as a frozen base for adapters: a BF16 folder keeps its matrices in BF16
 * (half the memory of f32, widened per product); others load as f32.
 */
export function loadFrozenBase(dir: string): LoadedModel {
  const bf16 = storedMatrixDtype(dir) === 'BF16';
  return readModelFolder(dir, (config) => new Transformer(config, { skipInit: true, frozenBf16: bf16 }));
}

/**
 * Adds scale · B A of every adapter into the f32 weights of `lora.base` (loaded without frozen
 * BF16 matrices) and detaches the adapters: the base becomes the merged model.
 */
export function mergeInto(lora: LoraModel): CausalLM {
  const params = lora.base.parameters();
  const weightOf = (module: string) => {
    const w = params.get(`${module}.weight`);
    if (!w) throw new AhaError(`cannot merge into ${module}: its weight is not an f32 parameter (load the base without frozen BF16 weights)`);
    return w;
  };
  for (const [module, delta] of lora.deltas()) {
    const w = weightOf(module);
    for (let i = 0; i < delta.length; i++) w.data[i] += delta[i];
  }
  // Trained token rows replace the embedding's rows (a tied lm_head is the same matrix) and an
  // untied lm_head's, as PEFT's merge does.
  for (const [module, tr] of [['model.embed_tokens', lora.tokenRows], ['lm_head', lora.lmHeadRows]] as const) {
    if (tr) writeTokenRows(weightOf(module).data, tr);
  }
  lora.base.setLinearHook(null);
  return lora.base;
}

/**
 * A model folder with, when `adapterDir` is given, a PEFT adapter applied (the base frozen in its
 * file precision): what `aha generate`, `aha eval` and `aha sample` run with `--adapter`.
 */
export function loadWithAdapter(modelDir: string, adapterDir: string | undefined): LoadedModel {
  if (adapterDir === undefined) return loadModel(modelDir);
  readAdapterConfig(adapterDir); // its errors before the base's weights are read
  const loaded = loadFrozenBase(modelDir);
  return { ...loaded, model: loadAdapter(loaded.model, adapterDir, resolve(modelDir)) };
}


/**
 * A LoRA training checkpoint or output (an adapter folder written by aha, with the tokenizer):
 * its base model, named by base_model_name_or_path, with the adapter applied.
 */
export function loadAdapterCheckpoint(dir: string): LoadedModel {
  const { baseModel } = readAdapterConfig(dir);
  const file = join(dir, ADAPTER_CONFIG_FILE);
  if (!baseModel) throw new InputError({ file, field: 'base_model_name_or_path' }, 'missing: aha needs the base model folder to load this adapter');
  if (!existsSync(join(baseModel, 'config.json'))) throw new InputError({ file, field: 'base_model_name_or_path' }, `${baseModel} is not a model folder here (a Hub name, or a moved base): give the base folder with --model and this folder with --adapter`);
  return loadWithAdapter(baseModel, dir);
}

/**
 * An adapter folder given as the model to train (a LoRA run's output or checkpoint, or a PEFT
 * adapter): its base, named by base_model_name_or_path, with the adapter applied and trainable,
 * as TRL trains a PeftModel it is given. `loraSpec` (new adapters asked for with `flag`) is
 * refused: new adapters on top of this one need it merged into the base first.
 */
export function adapterToTrain(dir: string, loraSpec: string | null, flag = '--lora'): LoadedModel {
  if (loraSpec !== null) {
    throw new AhaError(`${flag} ${loraSpec}: ${dir} is a LoRA adapter folder, and training goes on with its own adapters; drop ${flag} to train them further, ` +
      `or merge them into the base first (npx aha merge --model BASE --adapter ${dir} --out MERGED) and train new adapters on the merged folder`);
  }
  assertTrainable(readAdapterConfig(dir).lora, `${join(dir, ADAPTER_CONFIG_FILE)}, field "lora_dropout"`);
  return loadAdapterCheckpoint(dir);
}

/** The values of the adapter folder `dir` (of `model`'s shapes: the adapter it was loaded from, or one trained from it), held fixed. */
export function frozenAdaptersOf(model: LoraModel, dir: string): FrozenAdapters {
  const reader = new SafetensorsReader(join(dir, ADAPTER_WEIGHTS_FILE));
  try {
    return model.frozenCopy((name) => (reader.header.tensors.has(name) ? reader.read(name) : undefined));
  } finally {
    reader.close();
  }
}

/** The model folder `dir` as a frozen base (file precision) with fresh adapters seeded by `seed`: LoRA training's start. */
export function withNewAdapters(dir: string, lora: LoraConfig, seed: number): LoadedModel {
  let spec = lora;
  if ((lora.trainableTokens ?? []).length > 0) {
    // Token strings and id ranges are checked against the folder's tokenizer and config before its weights load.
    const tokenizer = loadTokenizer(dir), config = readModelConfig(dir);
    spec = resolveLoraTokens(lora, config.vocab_size, (t) => tokenizer.tokenToId(t));
    if (spec.trainableTokensLmHead && config.tie_word_embeddings) {
      throw new AhaError('--lora: trainable_tokens_lm_head=true: this model\'s lm_head is tied to its embedding, so its trainable_tokens rows already serve as lm_head rows (drop the key)');
    }
  }
  const loaded = loadFrozenBase(dir);
  return { ...loaded, model: new LoraModel(loaded.model, spec, { seed, baseModelPath: resolve(dir) }) };
}

/**
 * What a command given a folder runs: `modelDir` with the adapter `adapterDir` applied; or, when
 * `modelDir` itself is an adapter folder (a LoRA run's checkpoint or output), its base with it.
 */
export function loadModelOrAdapter(modelDir: string, adapterDir?: string): LoadedModel {
  if (adapterDir === undefined && isAdapterDir(modelDir)) return loadAdapterCheckpoint(modelDir);
  return loadWithAdapter(modelDir, adapterDir);
}
