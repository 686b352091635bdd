// Adding whole tokens to a model and its tokenizer (Satori's meta-actions <|continue|>,
// <|reflect|>, <|explore|>): the tokenizer gets one new id per token after its last id (a Hugging
// Face tokenizer as `added_tokens`; the character tokenizer as whole tokens after its characters),
// and the embedding matrix (and an untied lm_head) grows by as many rows.
//
// In a Hugging Face tokenizer the new tokens are added tokens that are *not* special (what
// transformers' `tokenizer.add_tokens` makes): every added token is matched whole before the
// pre-tokenizer either way, but decoding with special tokens skipped (how completions are turned
// into text) drops special ones, and the meta-actions are text the rewards and metrics read. Old ids
// keep their rows, so the logits of old ids on any input are unchanged; a saved folder reloads with
// config.json's vocab_size updated.
//
// New rows start at the mean of the old rows (Hewitt 2021, "Initializing new word embeddings"; what
// transformers' resize_token_embeddings does, without its noise). A random N(0, σ) row can give a new
// token a logit far above or below the trained ones; the mean keeps its logit, h·mean(e), the average
// of the old tokens' logits, so before any training a new token is neither favoured nor impossible,
// and the KL to the old model stays small (it is bounded by log(1 + n·e^{mean−max})).
import { join } from 'node:path';
import { AhaError } from '../util/errors.js';
import type { CausalLM } from './causal-lm.js';
import { CharTokenizer } from './char-tokenizer.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { loadModel, saveModel } from './load-model.js';
import { createTransformer } from './transformer.js';
import { frozenWeightsOf } from './weights.js';
import type { Tokenizer } from './tokenizer.js';
import { readJsonObject } from '../util/json-file.js';
import { existsSync } from 'node:fs';
import { META_ACTIONS, type MetaAction } from '../util/meta-actions.js';

export { META_ACTIONS, type MetaAction };

const EMBED = 'model.embed_tokens.weight';
const LM_HEAD = 'lm_head.weight';

/** Checks the list: non-empty strings, no repeats, none already a token (one clear error). */
function checkNewTokens(tokenizer: Tokenizer, tokens: readonly string[]): void {
  if (tokens.length === 0) throw new AhaError('add tokens: no tokens given');
  const seen = new Set<string>();
  for (const t of tokens) {
    if (typeof t !== 'string' || t.length === 0) throw new AhaError(`add tokens: ${JSON.stringify(t)} is not a non-empty string`);
    if (/\s/.test(t)) throw new AhaError(`add tokens: ${JSON.stringify(t)} contains white space`);
    if (seen.has(t)) throw new AhaError(`add tokens: ${JSON.stringify(t)} is listed twice`);
    seen.add(t);
    if (tokenizer.tokenToId(t) !== undefined) throw new AhaError(`add tokens: ${JSON.stringify(t)} is already token ${tokenizer.tokenToId(t)}`);
  }
}

/** The tokenizer with `tokens` added as whole (non-special) tokens, ids vocabSize, vocabSize+1, … */
export function tokenizerWithTokens(tokenizer: Tokenizer, tokens: readonly string[], configDir?: string): Tokenizer {
  checkNewTokens(tokenizer, tokens);
  if (tokenizer instanceof CharTokenizer) {
    const chars = tokenizer.pieces.slice(4).filter((p) => Array.from(p).length === 1).join('');
    const markers = tokenizer.pieces.slice(4).filter((p) => Array.from(p).length > 1 && !tokenizer.added.includes(p));
    return new CharTokenizer({ chars, markers, added: [...tokenizer.added, ...tokens], chatTemplate: tokenizer.chatTemplate });
  }
  if (tokenizer instanceof HfTokenizer) {
    const { tokenizerJson, configJson } = hfJsons(tokenizer, configDir);
    const first = tokenizer.vocabSize;
    const added = [...((tokenizerJson.added_tokens as unknown[] | undefined) ?? [])];
    const decoder = { ...((configJson.added_tokens_decoder as Record<string, unknown> | undefined) ?? {}) };
    tokens.forEach((content, k) => {
      const entry = { content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false };
      added.push({ id: first + k, ...entry });
      decoder[String(first + k)] = entry;
    });
    return tokenizer.derive({ ...tokenizerJson, added_tokens: added }, { ...configJson, added_tokens_decoder: decoder });
  }
  throw new AhaError('add tokens: unknown tokenizer kind');
}

/** The two JSON objects of a Hugging Face tokenizer (its own copy, by the save/reload round trip's fields). */
function hfJsons(tokenizer: HfTokenizer, dir?: string): { tokenizerJson: Record<string, unknown>; configJson: Record<string, unknown> } {
  const inner = tokenizer as unknown as { tokenizerJson: Record<string, unknown>; configJson: Record<string, unknown> };
  if (inner.tokenizerJson && inner.configJson) return { tokenizerJson: inner.tokenizerJson, configJson: inner.configJson };
  if (!dir) throw new AhaError('add tokens: the tokenizer files are not at hand');
  const cfgFile = join(dir, 'tokenizer_config.json');
  return { tokenizerJson: readJsonObject(join(dir, 'tokenizer.json')), configJson: existsSync(cfgFile) ? readJsonObject(cfgFile) : {} };
}

/** Mean of the rows of a [rows, width] matrix. */
function meanRow(data: Float32Array, rows: number, width: number): Float32Array {
  const mean = new Float64Array(width);
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) mean[j] += data[r * width + j];
  return Float32Array.from(mean, (x) => x / rows);
}

/** Copies `old` [oldRows, width] into `grown` [newRows, width]; rows past oldRows get the old mean. */
function growRows(old: Float32Array, grown: Float32Array, oldRows: number, newRows: number, width: number): void {
  grown.set(old.subarray(0, oldRows * width));
  const mean = meanRow(old, oldRows, width);
  for (let r = oldRows; r < newRows; r++) grown.set(mean, r * width);
}

/**
 * A copy of `model` with vocab_size `newVocab`: every parameter copied, the embedding (and an
 * untied lm_head) grown with mean rows. A model already at least that large is returned as is.
 */
export function resizeTokenEmbeddings(model: CausalLM, newVocab: number): CausalLM {
  const cfg = model.config;
  if (newVocab <= cfg.vocab_size) return model;
  if (frozenWeightsOf(model).size > 0) throw new AhaError('add tokens: this model keeps frozen BF16 weights (a LoRA base); merge it first with `aha merge`');
  const grown = createTransformer({ ...cfg, vocab_size: newVocab }, { skipInit: true });
  const oldParams = model.parameters();
  for (const [name, p] of grown.parameters()) {
    const old = oldParams.get(name);
    if (!old) throw new AhaError(`add tokens: the model has no parameter "${name}" (not an aha transformer?)`);
    if (name === EMBED || name === LM_HEAD) growRows(old.data, p.data, cfg.vocab_size, newVocab, cfg.hidden_size);
    else p.data.set(old.data);
  }
  return grown;
}

export interface AddedTokens {
  model: CausalLM;
  tokenizer: Tokenizer;
  /** The id of each added token, in order. */
  ids: number[];
}

/**
 * Adds `tokens` (default the meta-actions) to a tokenizer and grows the model to fit: the model's
 * vocab_size becomes max(its own, the tokenizer's new size), so a model with spare rows (padded
 * vocabularies) keeps them and the new ids take rows that were unused.
 */
export function addTokens(model: CausalLM, tokenizer: Tokenizer, tokens: readonly string[] = META_ACTIONS, tokenizerDir?: string): AddedTokens {
  const tok = tokenizerWithTokens(tokenizer, tokens, tokenizerDir);
  const ids = tokens.map((t) => tok.tokenToId(t)!);
  for (const [k, id] of ids.entries()) {
    const enc = tok.encode(tokens[k], { addSpecialTokens: false });
    if (enc.length !== 1 || enc[0] !== id) throw new AhaError(`add tokens: ${JSON.stringify(tokens[k])} does not encode as the one id ${id}`);
  }
  return { model: resizeTokenEmbeddings(model, tok.vocabSize), tokenizer: tok, ids };
}

/** Reads the model folder `from`, adds `tokens`, and saves the result as a folder at `to`. */
export function addTokensToFolder(from: string, to: string, tokens: readonly string[] = META_ACTIONS): AddedTokens {
  const loaded = loadModel(from);
  const out = addTokens(loaded.model, loaded.tokenizer, tokens, from);
  saveModel(out.model, out.tokenizer, to);
  return out;
}
