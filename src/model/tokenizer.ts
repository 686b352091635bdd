// The one Tokenizer interface every part uses, and loading a model folder's tokenizer: a
// Hugging Face tokenizer.json (through @huggingface/tokenizers), or aha's character-level demo
// tokenizer, which is saved as a tokenizer.json too (a BPE with no merges over characters) and
// recognised on load, so both live in the same folder format.
import { readJsonObject } from '../util/json-file.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError } from '../util/errors.js';
import { CharTokenizer, isCharTokenizerJson } from './char-tokenizer.js';
import { HfTokenizer } from './hf-tokenizer.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface EncodeOptions {
  /**
   * Add the tokenizer's own special tokens (e.g. Llama 3's <|begin_of_text|>), as Hugging Face
   * does by default. Default true. Use false for text that already carries them (a rendered chat
   * template) and for completions appended to a prompt.
   */
  addSpecialTokens?: boolean;
}

export interface Tokenizer {
  readonly kind: 'hf' | 'char';
  /** Number of ids (the model's vocab_size may be larger, e.g. padded for speed). */
  readonly vocabSize: number;
  readonly bosId: number | null;
  /** The end-of-sequence id from the tokenizer's config (generation may add more, see eosIds). */
  readonly eosId: number | null;
  /** Padding id (the pad token, else EOS, else 0); only fills positions that are masked. */
  readonly padId: number;
  /** The Jinja chat template, or null when the tokenizer has none. */
  readonly chatTemplate: string | null;
  encode(text: string, opts?: EncodeOptions): Int32Array;
  /** Text of `ids`; special tokens (pad, bos, eos…) are dropped unless skipSpecialTokens is false. */
  decode(ids: ArrayLike<number>, opts?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  /** Renders `messages` with the chat template (throws an AhaError when there is none). */
  applyChatTemplate(messages: readonly ChatMessage[], opts?: { addGenerationPrompt?: boolean }): string;
  /** Writes tokenizer.json and tokenizer_config.json into `dir`. */
  save(dir: string): void;
}

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

function readJson(file: string): Record<string, unknown> {
  return readJsonObject(file);
}

/**
 * Loads the tokenizer of a model folder (tokenizer.json, plus tokenizer_config.json if present).
 * The chat template comes from chat_template.jinja when the folder has one (where transformers 5
 * saves it; it wins over tokenizer_config.json's chat_template, as in transformers), else from
 * tokenizer_config.json.
 */
export function loadTokenizer(dir: string): Tokenizer {
  const file = join(dir, TOKENIZER_FILE);
  if (!existsSync(file)) throw new AhaError(`${dir}: no ${TOKENIZER_FILE} (aha needs a Hugging Face fast tokenizer file)`);
  const tokJson = readJson(file);
  const cfgFile = join(dir, TOKENIZER_CONFIG_FILE);
  let cfgJson = existsSync(cfgFile) ? readJson(cfgFile) : {};
  const templateFile = join(dir, CHAT_TEMPLATE_FILE);
  if (existsSync(templateFile)) cfgJson = { ...cfgJson, chat_template: readFileSync(templateFile, 'utf8') };
  if (isCharTokenizerJson(tokJson)) return CharTokenizer.fromJson(tokJson, cfgJson, file);
  return new HfTokenizer(tokJson, cfgJson, file);
}

/** Renders messages with the chat template and encodes them (no extra special tokens). */
export function encodeChat(tok: Tokenizer, messages: readonly ChatMessage[], addGenerationPrompt = true): Int32Array {
  return tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt }), { addSpecialTokens: false });
}
