// A Hugging Face tokenizer.json, run by @huggingface/tokenizers (a maintained pure-JS
// implementation of the Rust library's models, normalizers, pre-tokenizers and decoders), with
// the special tokens, BOS/EOS flags, decode clean-up and chat template of tokenizer_config.json
// read as transformers 5 reads them.
import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { basename, join } from 'node:path';
import { pickChatTemplate, renderChatTemplate } from './chat-template.js';
import type { ChatMessage, ChatTemplateOptions, EncodeOptions, Tokenizer } from './tokenizer.js';

/** A special token in tokenizer files: a string or an AddedToken object {content: …}. */
export function specialTokenString(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (raw !== null && typeof raw === 'object' && typeof (raw as { content?: unknown }).content === 'string') {
    return (raw as { content: string }).content;
  }
  return null;
}

/** Where the tokenizer's files are, for errors and for saving in the same layout. */
export interface HfTokenizerFiles {
  /** tokenizer_config.json (named in errors about its fields). */
  configFile: string;
  /** The file the chat template came from: chat_template.jinja, or tokenizer_config.json. */
  templateFile: string;
}

/** Whether tokenizer.json's pre-tokenizer already adds a prefix space (ByteLevel's flag, Metaspace's prepend). */
function addsPrefixSpace(pre: unknown): boolean {
  const p = pre as { type?: unknown; add_prefix_space?: unknown; prepend_scheme?: unknown; pretokenizers?: unknown[] } | null;
  if (p === null || typeof p !== 'object') return false;
  if (p.type === 'Sequence') return (p.pretokenizers ?? []).some(addsPrefixSpace);
  if (p.type === 'ByteLevel') return p.add_prefix_space === true;
  if (p.type === 'Metaspace') return p.prepend_scheme !== 'never';
  return false;
}

/**
 * tokenizer_config.json flags with which transformers encodes differently from tokenizer.json as
 * it is, and which aha does not follow: refused rather than tokenizing differently.
 */
function checkEncodingFlags(tokenizerJson: Record<string, unknown>, configJson: Record<string, unknown>, cfgFile: string): void {
  if (configJson.split_special_tokens === true) {
    throw new InputError({ file: cfgFile, field: 'split_special_tokens' }, 'true (special tokens written in text encoded as plain text) is not supported; set it to false');
  }
  if (configJson.add_prefix_space === true && !addsPrefixSpace(tokenizerJson.pre_tokenizer)) {
    throw new InputError(
      { file: cfgFile, field: 'add_prefix_space' },
      "true, but tokenizer.json's pre-tokenizer adds no prefix space: transformers rebuilds it from this flag and aha does not; save the tokenizer again with transformers (so tokenizer.json carries it) or set the flag to false",
    );
  }
}

/** transformers' escape hatch that forces the clean-up on a BPE tokenizer anyway. */
const FORCE_BPE_CLEAN_UP = 'clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output';

/**
 * Whether decode removes spaces before punctuation (" ," → ","), as transformers 5 decides: only
 * when tokenizer_config.json's clean_up_tokenization_spaces is true (its default is false; the JS
 * library's is true) and the model is not BPE. Since transformers 5.7 a BPE model (Llama 3, Qwen,
 * Mistral) skips the step whatever the flag says, because its tokens carry their spaces and the
 * step would delete real ones ("x != y" → "x!= y"); Llama 3's files all set the flag. vLLM's
 * detokenizer never applies it. FORCE_BPE_CLEAN_UP true applies it to BPE anyway.
 */
function decodeCleanUp(tokenizerJson: Record<string, unknown>, configJson: Record<string, unknown>, cfgFile: string): boolean {
  const flag = (field: string): boolean => {
    const v = configJson[field] ?? false;
    if (typeof v !== 'boolean') throw new InputError({ file: cfgFile, field }, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const cleanUp = flag('clean_up_tokenization_spaces');
  const force = flag(FORCE_BPE_CLEAN_UP);
  const bpe = (tokenizerJson.model as { type?: unknown } | null | undefined)?.type === 'BPE';
  return cleanUp && (!bpe || force);
}

export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf' as const;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number;
  readonly chatTemplate: string | null;
  private readonly inner: HfJsTokenizer;
  private readonly specials: Record<string, string | null>;
  /**
   * Special tokens encode adds when tokenizer_config.json sets add_bos_token / add_eos_token:
   * transformers 5 (and transformers 4's Llama tokenizers) then rebuild the post-processor from
   * these flags, replacing tokenizer.json's. Null: tokenizer.json's post-processor decides.
   */
  private readonly addSpecial: { bos: boolean; eos: boolean } | null;
  private readonly files: HfTokenizerFiles;

  constructor(
    private readonly tokenizerJson: Record<string, unknown>,
    private readonly configJson: Record<string, unknown>,
    file = 'tokenizer.json',
    files?: HfTokenizerFiles,
  ) {
    this.files = files ?? { configFile: 'tokenizer_config.json', templateFile: 'tokenizer_config.json' };
    const cfgFile = this.files.configFile;
    const dropout = (tokenizerJson.model as { dropout?: unknown } | null | undefined)?.dropout;
    if (dropout !== undefined && dropout !== null && dropout !== 0) {
      // The Rust library (transformers, vLLM) applies BPE dropout on every encode, so the same
      // text gets a different split each time; the JS one ignores it.
      throw new InputError({ file, field: 'model.dropout' }, `${JSON.stringify(dropout)}: BPE dropout makes transformers and vLLM split text at random on every encode, and aha would not; set it to null (dropout is a training-time augmentation)`);
    }
    const cleanUp = decodeCleanUp(tokenizerJson, configJson, cfgFile);
    try {
      this.inner = new HfJsTokenizer(tokenizerJson, { ...configJson, clean_up_tokenization_spaces: cleanUp });
    } catch (err) {
      throw new InputError({ file }, `cannot build the tokenizer: ${(err as Error).message}`);
    }
    const vocab = this.inner.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.specials = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      this.specials[key] = specialTokenString(configJson[key]);
    }
    const idOf = (key: string): number | null => {
      const s = this.specials[key];
      if (s === null) return null;
      const id = this.inner.token_to_id(s);
      // transformers would add a missing BOS / EOS as a new id the model has no row for: prompts
      // and stops would differ. A missing pad or unk token changes nothing aha computes (padding
      // only fills masked positions), so those fall back.
      if (id === undefined && (key === 'bos_token' || key === 'eos_token')) throw new InputError({ file: cfgFile, field: key }, `${JSON.stringify(s)} is not a token of ${file}`);
      return id ?? null;
    };
    this.bosId = idOf('bos_token');
    this.eosId = idOf('eos_token');
    this.padId = idOf('pad_token') ?? this.eosId ?? 0;
    this.addSpecial = this.readAddFlags(cfgFile);
    checkEncodingFlags(tokenizerJson, configJson, cfgFile);
    this.chatTemplate = pickChatTemplate(configJson.chat_template);
  }

  private readAddFlags(cfgFile: string): { bos: boolean; eos: boolean } | null {
    const flag = (field: string): boolean => {
      const v = this.configJson[field];
      if (v === undefined || v === null) return false;
      if (typeof v !== 'boolean') throw new InputError({ file: cfgFile, field }, `must be true or false, got ${JSON.stringify(v)}`);
      return v;
    };
    if (!('add_bos_token' in this.configJson) && !('add_eos_token' in this.configJson)) return null;
    // As transformers 5: a flag whose token is unset adds nothing.
    return { bos: flag('add_bos_token') && this.bosId !== null, eos: flag('add_eos_token') && this.eosId !== null };
  }

  /** A tokenizer built from edited files (e.g. with added tokens) that keeps this one's file layout for errors and saving. */
  derive(tokenizerJson: Record<string, unknown>, configJson: Record<string, unknown>): HfTokenizer {
    return new HfTokenizer(tokenizerJson, configJson, 'tokenizer.json', this.files);
  }

  encode(text: string, opts: EncodeOptions = {}): Int32Array {
    const add = opts.addSpecialTokens ?? true;
    if (!add || this.addSpecial === null) return Int32Array.from(this.inner.encode(text, { add_special_tokens: add }).ids);
    const ids = this.inner.encode(text, { add_special_tokens: false }).ids;
    if (this.addSpecial.bos) ids.unshift(this.bosId!);
    if (this.addSpecial.eos) ids.push(this.eosId!);
    return Int32Array.from(ids);
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    // Ids without a token (a model's padded vocabulary rows) decode to nothing, as in the Rust
    // library; the JS one would print the unknown token for them.
    const known = Array.from(ids).filter((id) => this.inner.id_to_token(id) !== undefined);
    if (known.length === 0) return ''; // the library's decoders throw on an empty list
    return this.inner.decode(known, { skip_special_tokens: opts.skipSpecialTokens ?? true });
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
    if (this.chatTemplate === null) {
      throw new InputError(
        { file: this.files.configFile, field: 'chat_template' },
        'this tokenizer has no chat template (neither chat_template.jinja nor tokenizer_config.json has one); pass plain prompts instead of messages',
      );
    }
    try {
      return renderChatTemplate(this.chatTemplate, messages, { ...opts, specialTokens: this.specials });
    } catch (err) {
      if (!(err instanceof AhaError)) throw err;
      const where = basename(this.files.templateFile) === basename(this.files.configFile) ? { file: this.files.templateFile, field: 'chat_template' } : { file: this.files.templateFile };
      throw new InputError(where, err.message);
    }
  }

  /**
   * Writes tokenizer.json and tokenizer_config.json, and the chat template to chat_template.jinja
   * when it came from one (transformers 5's layout), else inside tokenizer_config.json.
   */
  save(dir: string): void {
    atomicWriteFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizerJson));
    const cfg = { ...this.configJson };
    if (basename(this.files.templateFile) === 'chat_template.jinja' && typeof cfg.chat_template === 'string') {
      atomicWriteFile(join(dir, 'chat_template.jinja'), cfg.chat_template);
      delete cfg.chat_template;
    }
    atomicWriteFile(join(dir, 'tokenizer_config.json'), JSON.stringify(cfg, null, 2));
  }
}
