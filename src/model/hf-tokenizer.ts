// A Hugging Face tokenizer.json, run by @huggingface/tokenizers (a maintained pure-JS
// implementation of the Rust library's models, normalizers, pre-tokenizers and decoders), with
// the special tokens and chat template of tokenizer_config.json.
import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { InputError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { join } from 'node:path';
import { pickChatTemplate, renderChatTemplate } from './chat-template.js';
import type { ChatMessage, EncodeOptions, Tokenizer } from './tokenizer.js';

/** A special token in tokenizer_config.json: a string or an AddedToken object {content: …}. */
function tokenString(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (raw !== null && typeof raw === 'object' && typeof (raw as { content?: unknown }).content === 'string') {
    return (raw as { content: string }).content;
  }
  return null;
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

  constructor(
    private readonly tokenizerJson: Record<string, unknown>,
    private readonly configJson: Record<string, unknown>,
    file = 'tokenizer.json',
  ) {
    try {
      this.inner = new HfJsTokenizer(tokenizerJson, configJson);
    } catch (err) {
      throw new InputError({ file }, `cannot build the tokenizer: ${(err as Error).message}`);
    }
    const vocab = this.inner.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.specials = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      this.specials[key] = tokenString(configJson[key]);
    }
    const idOf = (key: string): number | null => {
      const s = this.specials[key];
      return s === null ? null : (this.inner.token_to_id(s) ?? null);
    };
    this.bosId = idOf('bos_token');
    this.eosId = idOf('eos_token');
    this.padId = idOf('pad_token') ?? this.eosId ?? 0;
    this.chatTemplate = pickChatTemplate(configJson.chat_template);
  }

  encode(text: string, opts: EncodeOptions = {}): Int32Array {
    const enc = this.inner.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true });
    return Int32Array.from(enc.ids);
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return ''; // the library's decoders throw on an empty list
    return this.inner.decode(Array.from(ids), { skip_special_tokens: opts.skipSpecialTokens ?? true });
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  applyChatTemplate(messages: readonly ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): string {
    if (this.chatTemplate === null) {
      throw new InputError(
        { file: 'tokenizer_config.json', field: 'chat_template' },
        'this tokenizer has no chat template (neither chat_template.jinja nor tokenizer_config.json has one); pass plain prompts instead of messages',
      );
    }
    return renderChatTemplate(this.chatTemplate, messages, { ...opts, specialTokens: this.specials });
  }

  save(dir: string): void {
    atomicWriteFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizerJson));
    atomicWriteFile(join(dir, 'tokenizer_config.json'), JSON.stringify(this.configJson, null, 2));
  }
}
