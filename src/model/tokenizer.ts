// The one Tokenizer interface every part uses, and loading a model folder's tokenizer: a
// Hugging Face tokenizer.json (through @huggingface/tokenizers), or aha's character-level demo
// tokenizer, which is saved as a tokenizer.json too (a BPE with no merges over characters) and
// recognised on load, so both live in the same folder format.
import { readJsonObject } from '../util/json-file.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { CharTokenizer, isCharTokenizerJson } from './char-tokenizer.js';
import { HfTokenizer, specialTokenString } from './hf-tokenizer.js';
import type { ChatTemplateArgs } from './chat-template.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** End with the assistant turn's opening (default true). */
  addGenerationPrompt?: boolean;
  /** Extra template variables (transformers' chat_template_kwargs), e.g. Qwen3's enable_thinking. */
  templateArgs?: ChatTemplateArgs;
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
  /**
   * Renders `messages` with the chat template (throws an AhaError when there is none).
   * `templateArgs` are extra template variables (transformers' chat_template_kwargs), e.g.
   * `{ enable_thinking: false }` for Qwen3.
   */
  applyChatTemplate(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string;
  /** Writes tokenizer.json and tokenizer_config.json into `dir`. */
  save(dir: string): void;
}

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';

/**
 * tokenizer_config.json with special_tokens_map.json's named tokens (transformers 4 wrote both;
 * older saves keep some tokens only in the map) filled in where the config has none. Where both
 * name a token and disagree, transformers 4 and 5 read the folder differently, so it is refused.
 */
function withSpecialTokensMap(cfgJson: Record<string, unknown>, dir: string, cfgFile: string): Record<string, unknown> {
  const mapFile = join(dir, SPECIAL_TOKENS_MAP_FILE);
  if (!existsSync(mapFile)) return cfgJson;
  const map = readJsonObject(mapFile);
  const out = { ...cfgJson };
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
    const fromMap = specialTokenString(map[key]);
    if (fromMap === null) continue;
    const fromCfg = specialTokenString(cfgJson[key]);
    if (cfgJson[key] === undefined || cfgJson[key] === null) out[key] = fromMap;
    else if (fromCfg !== fromMap) {
      throw new InputError(
        { file: cfgFile, field: key },
        `${JSON.stringify(fromCfg)} disagrees with ${mapFile}'s ${JSON.stringify(fromMap)} (transformers versions pick different ones): make them the same`,
      );
    }
  }
  return out;
}

/**
 * Loads the tokenizer of a model folder (tokenizer.json, plus tokenizer_config.json and
 * special_tokens_map.json if present). The chat template comes from chat_template.jinja when the
 * folder has one (where transformers 5 saves it; it wins over tokenizer_config.json's
 * chat_template, as in transformers), else from tokenizer_config.json.
 */
export function loadTokenizer(dir: string): Tokenizer {
  const file = join(dir, TOKENIZER_FILE);
  if (!existsSync(file)) throw new AhaError(`${dir}: no ${TOKENIZER_FILE} (aha needs a Hugging Face fast tokenizer file)`);
  const tokJson = readJsonObject(file);
  const cfgFile = join(dir, TOKENIZER_CONFIG_FILE);
  let cfgJson = withSpecialTokensMap(existsSync(cfgFile) ? readJsonObject(cfgFile) : {}, dir, cfgFile);
  const templateFile = join(dir, CHAT_TEMPLATE_FILE);
  const jinja = existsSync(templateFile);
  if (jinja) cfgJson = { ...cfgJson, chat_template: readFileSync(templateFile, 'utf8') };
  if (isCharTokenizerJson(tokJson)) return CharTokenizer.fromJson(tokJson, cfgJson, file);
  return new HfTokenizer(tokJson, cfgJson, file, { configFile: cfgFile, templateFile: jinja ? templateFile : cfgFile });
}

/** Renders messages with the chat template and encodes them (no extra special tokens). */
export function encodeChat(tok: Tokenizer, messages: readonly ChatMessage[], addGenerationPrompt = true, templateArgs?: ChatTemplateArgs): Int32Array {
  return tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt, templateArgs }), { addSpecialTokens: false });
}
