// The character-level tokenizer of the bundled demo model: one id per character, plus a few
// whole-token markers. Ids: <pad> 0, <bos> 1, <eos> 2, <unk> 3, then the markers <think>,
// </think>, <answer>, </answer> (single tokens, so the tiny model emits a tag in one step and
// format rewards see exact tags), then the characters. It is saved as a Hugging Face
// tokenizer.json that the Rust/Python and JS libraries run unchanged (a BPE model with no merges
// and no pre-tokenizer splits text into characters; the markers are added tokens; the Fuse
// decoder joins pieces without spaces), and recognised by that shape when loaded.
import { join } from 'node:path';
import { AhaError, InputError } from '../util/errors.js';
import { atomicWriteFile } from '../util/atomic.js';
import { renderChatTemplate } from './chat-template.js';
import type { ChatMessage, ChatTemplateOptions, EncodeOptions, Tokenizer } from './tokenizer.js';

export const CHAR_SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const CHAR_MARKERS = ['<think>', '</think>', '<answer>', '</answer>'] as const;

/** Newline plus printable ASCII: enough for arithmetic, Countdown and English prompts. */
export const DEFAULT_CHARS = '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/** A plain role-prefixed template, so chat-style inputs work with the demo model too. */
export const CHAR_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}" +
  "{% if add_generation_prompt %}assistant: {% endif %}";

export interface CharTokenizerOptions {
  /** Characters of the vocabulary (duplicates ignored); default DEFAULT_CHARS. */
  chars?: string;
  /** Whole-token markers; default CHAR_MARKERS. */
  markers?: readonly string[];
  /**
   * Whole tokens added after the characters (special, e.g. Satori's meta-actions; model/added-tokens.ts),
   * so the ids of an existing vocabulary stay where they were.
   */
  added?: readonly string[];
  chatTemplate?: string | null;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocabSize: number;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly padId = 0;
  readonly unkId = 3;
  readonly chatTemplate: string | null;
  /** Token string of each id. */
  readonly pieces: readonly string[];
  private readonly ids = new Map<string, number>();
  /** Multi-character tokens by first character, longest first. */
  private readonly multi = new Map<string, string[]>();
  private readonly markers: readonly string[];
  /** Whole tokens after the characters. */
  readonly added: readonly string[];

  constructor(opts: CharTokenizerOptions = {}) {
    this.markers = opts.markers ?? CHAR_MARKERS;
    this.added = opts.added ?? [];
    const chars = [...new Set(Array.from(opts.chars ?? DEFAULT_CHARS))];
    const pieces = [...CHAR_SPECIALS, ...this.markers];
    for (const c of chars) if (!pieces.includes(c)) pieces.push(c);
    for (const a of this.added) {
      if (Array.from(a).length < 2) throw new AhaError(`character tokenizer: an added token must be longer than one character, got ${JSON.stringify(a)}`);
      if (pieces.includes(a)) throw new AhaError(`character tokenizer: ${JSON.stringify(a)} is already in the vocabulary`);
      pieces.push(a);
    }
    this.pieces = pieces;
    pieces.forEach((p, i) => this.ids.set(p, i));
    for (const p of [...CHAR_SPECIALS, ...this.markers, ...this.added]) {
      if (Array.from(p).length < 2) continue;
      const first = Array.from(p)[0];
      if (!this.multi.has(first)) this.multi.set(first, []);
      this.multi.get(first)!.push(p);
    }
    for (const list of this.multi.values()) list.sort((a, b) => b.length - a.length);
    this.vocabSize = pieces.length;
    this.chatTemplate = opts.chatTemplate === undefined ? CHAR_CHAT_TEMPLATE : opts.chatTemplate;
  }

  /** Rebuilds a char tokenizer from its saved tokenizer.json / tokenizer_config.json. */
  static fromJson(tok: Record<string, unknown>, cfg: Record<string, unknown>, file = 'tokenizer.json'): CharTokenizer {
    const model = tok.model as { vocab: Record<string, number> };
    const byId: string[] = [];
    for (const [piece, id] of Object.entries(model.vocab)) byId[id] = piece;
    for (let i = 0; i < CHAR_SPECIALS.length; i++) {
      if (byId[i] !== CHAR_SPECIALS[i]) {
        throw new InputError({ file, field: 'model.vocab' }, `character tokenizer needs "${CHAR_SPECIALS[i]}" at id ${i}, found ${JSON.stringify(byId[i])}`);
      }
    }
    const markers: string[] = [];
    let i = CHAR_SPECIALS.length;
    for (; i < byId.length && byId[i] !== undefined && Array.from(byId[i]).length > 1; i++) markers.push(byId[i]);
    // Whole tokens added after the characters (model/added-tokens.ts) close the list.
    let end = byId.length;
    while (end > i && byId[end - 1] !== undefined && Array.from(byId[end - 1]).length > 1) end--;
    const added = byId.slice(end);
    const rest = byId.slice(i, end);
    if (rest.some((p) => p === undefined || Array.from(p).length !== 1)) {
      throw new InputError({ file, field: 'model.vocab' }, 'character tokenizer ids must be specials, then markers, then single characters, with no gaps');
    }
    const template = typeof cfg.chat_template === 'string' ? cfg.chat_template : null;
    const t = new CharTokenizer({ chars: rest.join(''), markers, added, chatTemplate: template });
    return t;
  }

  /** Ids of `text`. The demo format adds no special tokens, so addSpecialTokens changes nothing. */
  encode(text: string, _opts: EncodeOptions = {}): Int32Array {
    const out: number[] = [];
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const marker = this.multi.get(ch)?.find((m) => text.startsWith(m, i));
      const piece = marker ?? ch;
      out.push(this.ids.get(piece) ?? this.unkId);
      i += piece.length;
    }
    return Int32Array.from(out);
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    const skip = opts.skipSpecialTokens ?? true;
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skip && id < CHAR_SPECIALS.length) continue;
      const p = this.pieces[id];
      if (p === undefined) throw new AhaError(`character tokenizer: id ${id} is outside the vocabulary of ${this.vocabSize}`);
      s += p;
    }
    return s;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
    if (this.chatTemplate === null) throw new AhaError('this tokenizer has no chat template; pass plain prompts instead of messages');
    return renderChatTemplate(this.chatTemplate, messages, {
      ...opts,
      specialTokens: { bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>' },
    });
  }

  /** The tokenizer.json object (Hugging Face format) of this tokenizer. */
  toTokenizerJson(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.pieces.forEach((p, i) => (vocab[p] = i));
    const added = [...CHAR_SPECIALS, ...this.markers, ...this.added].map((content) => ({
      id: this.ids.get(content)!,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: (CHAR_SPECIALS as readonly string[]).includes(content) || this.added.includes(content),
    }));
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    };
  }

  toConfigJson(): Record<string, unknown> {
    return {
      tokenizer_class: 'PreTrainedTokenizerFast',
      bos_token: '<bos>',
      eos_token: '<eos>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      add_bos_token: false,
      clean_up_tokenization_spaces: false,
      model_max_length: 1_000_000,
      chat_template: this.chatTemplate,
    };
  }

  save(dir: string): void {
    atomicWriteFile(join(dir, 'tokenizer.json'), JSON.stringify(this.toTokenizerJson(), null, 1));
    atomicWriteFile(join(dir, 'tokenizer_config.json'), JSON.stringify(this.toConfigJson(), null, 2));
  }
}

/** True for a tokenizer.json written by CharTokenizer (BPE, no merges, Fuse decoder, specials first). */
export function isCharTokenizerJson(tok: Record<string, unknown>): boolean {
  const model = tok.model as { type?: unknown; merges?: unknown; vocab?: unknown } | undefined;
  const decoder = tok.decoder as { type?: unknown } | null | undefined;
  if (!model || model.type !== 'BPE' || !Array.isArray(model.merges) || model.merges.length !== 0) return false;
  if (decoder?.type !== 'Fuse' || tok.pre_tokenizer !== null || tok.normalizer !== null) return false;
  const vocab = model.vocab as Record<string, number> | undefined;
  return !!vocab && CHAR_SPECIALS.every((s, i) => vocab[s] === i);
}
