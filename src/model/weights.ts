// Model weights in a Hugging Face folder: model.safetensors, or shards listed by
// model.safetensors.index.json. Loading fills a model's parameters in place and refuses missing,
// unexpected or misshapen tensors with an error naming the tensor and the file.
import { readJsonFile } from '../util/json-file.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import type { CausalLM } from './causal-lm.js';
import { SafetensorsReader, writeSafetensors, type StoredDType } from './safetensors.js';

/** What a parameter needs to be loaded or saved: its shape and its values. */
export interface ParamLike {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A frozen matrix kept as BF16 bits (LoRA base): loaded as stored, from BF16 tensors only. */
export interface Bf16Like {
  readonly shape: readonly number[];
  readonly bits: Uint16Array;
}

/**
 * The frozen BF16 matrices of a model built to keep them (a LoRA base; `Transformer.frozenWeights`),
 * by Hugging Face name; empty for any other model. They are not among its `parameters()`.
 */
export function frozenWeightsOf(model: CausalLM): ReadonlyMap<string, Bf16Like> {
  return (model as { frozenWeights?: () => ReadonlyMap<string, Bf16Like> }).frozenWeights?.() ?? new Map();
}

export const WEIGHTS_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/**
 * Tensors some checkpoints carry that are not parameters (older Llama exports store the rotary
 * inverse frequencies); they are recomputed from the config, so skipping them loses nothing.
 */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/**
 * Which file holds each tensor: one file, or the shards of an index. Reads headers only, so it
 * is cheap enough to run before a model is built (a folder without usable weights fails early).
 */
export function locateTensors(dir: string): Map<string, string> {
  const single = join(dir, WEIGHTS_FILE);
  const index = join(dir, INDEX_FILE);
  const where = new Map<string, string>();
  if (existsSync(single)) {
    const reader = new SafetensorsReader(single);
    for (const name of reader.names()) where.set(name, single);
    reader.close();
    return where;
  }
  if (!existsSync(index)) {
    for (const pickle of ['pytorch_model.bin', 'pytorch_model.bin.index.json']) {
      if (existsSync(join(dir, pickle))) {
        throw new InputError(
          { file: join(dir, pickle) },
          `PyTorch pickle weights are not read (loading a pickle can run code); aha needs ${WEIGHTS_FILE} or ${INDEX_FILE} (save with safe_serialization=True)`,
        );
      }
    }
    throw new AhaError(`${dir}: no weights (neither ${WEIGHTS_FILE} nor ${INDEX_FILE})`);
  }
  const raw = readJsonFile(index);
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new InputError({ file: index, field: 'weight_map' }, 'missing or not an object');
  }
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
      throw new InputError({ file: index, field: `weight_map.${name}` }, `not a shard file name: ${JSON.stringify(shard)}`);
    }
    where.set(name, join(dir, shard));
  }
  for (const file of new Set(where.values())) {
    if (!existsSync(file)) throw new InputError({ file: index, field: 'weight_map' }, `shard ${file} does not exist`);
  }
  return where;
}

/**
 * Fills `params` (by Hugging Face name) from the weights in `dir`. With tied embeddings the file
 * may omit lm_head.weight (or carry a copy, which is ignored).
 */
export function loadWeights(
  dir: string,
  params: ReadonlyMap<string, ParamLike | Bf16Like>,
  opts: { tiedEmbeddings: boolean; /** locateTensors(dir), when the caller already has it. */ where?: Map<string, string> },
): void {
  const where = opts.where ?? locateTensors(dir);
  for (const name of params.keys()) {
    if (!where.has(name)) {
      throw new AhaError(`${dir}: tensor "${name}" is missing from the weights (${[...new Set(where.values())].join(', ')})`);
    }
  }
  const unexpected = [...where.keys()].filter(
    (n) => !params.has(n) && !IGNORED.test(n) && !(opts.tiedEmbeddings && n === 'lm_head.weight'),
  );
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 5).map((n) => `"${n}"`).join(', ');
    throw new AhaError(
      `${where.get(unexpected[0])}: unexpected tensor${unexpected.length > 1 ? 's' : ''} ${shown}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''} (does config.json match these weights?)`,
    );
  }
  const byFile = new Map<string, string[]>();
  for (const name of params.keys()) {
    const file = where.get(name)!;
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file)!.push(name);
  }
  for (const [file, names] of byFile) {
    const reader = new SafetensorsReader(file);
    try {
      for (const name of names) {
        const p = params.get(name)!;
        const entry = reader.header.tensors.get(name);
        if (!entry) throw new AhaError(`${file}: tensor "${name}" is listed in ${INDEX_FILE} but not in this shard`);
        if (entry.shape.length !== p.shape.length || entry.shape.some((d, i) => d !== p.shape[i])) {
          throw new AhaError(
            `${file}: tensor "${name}" has shape [${entry.shape.join(', ')}] but the config needs [${p.shape.join(', ')}]`,
          );
        }
        if ('bits' in p) reader.readBf16Into(name, p.bits);
        else reader.readInto(name, p.data);
      }
    } finally {
      reader.close();
    }
  }
}

/** Writes `params` to `dir`/model.safetensors (not atomic by itself: call inside atomicWriteDir). */
export function saveWeights(dir: string, params: ReadonlyMap<string, ParamLike>, dtype: StoredDType = 'F32'): void {
  const tensors = [...params].map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
  // transformers refuses safetensors files whose metadata lacks format "pt".
  writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { dtype, metadata: { format: 'pt' } });
}
