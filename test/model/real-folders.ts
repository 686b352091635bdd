// Tiny random-init folders shaped like the released small models users bring (the outside
// tester's fixtures): Qwen2.5-Instruct, Qwen3, Llama-3.2 (base and Instruct), Mistral-7B-Instruct
// v0.3, DeepSeek-R1-Distill-Qwen and R1-Distill-Llama. Sizes are tiny; everything else carries the
// published files' facts: config.json fields and value kinds (rope_parameters or rope_theta +
// rope_scaling with Llama 3 scaling, tie_word_embeddings, head_dim, use_sliding_window /
// sliding_window / max_window_layers / layer_types, dtype or torch_dtype, EOS as an id or a list),
// generation_config.json (EOS lists, sampling defaults), tokenizer.json (Qwen's and Llama 3's
// byte-level BPE with their split regexes, Llama 3's ignore_merges and BOS post-processor,
// Mistral's SentencePiece-style BPE with byte fallback), the added tokens with their special
// flags and ids in the families' relative layout, tokenizer_config.json (special tokens as
// strings or AddedToken objects, add_bos_token / legacy flags, added_tokens_decoder),
// special_tokens_map.json and the chat template where each saver puts it.
//
// `saver: 'transformers-4'` is the folder as published on the Hub (transformers 4: rope_theta /
// rope_scaling, torch_dtype, the template inside tokenizer_config.json, special_tokens_map.json);
// 'transformers-5' is the same model saved again by transformers 5 (rope_parameters, dtype,
// layer_types, chat_template.jinja, no special_tokens_map.json, no added_tokens_decoder, no
// add_bos_token).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyHfFolder, type TinyArch, type TinyHfFolder } from './hf-folder.js';
import { LLAMA32_TEMPLATE, MISTRAL_TEMPLATE, QWEN25_TEMPLATE, QWEN3_TEMPLATE, R1_DISTILL_TEMPLATE } from './real-templates.js';

export const REAL_FAMILIES = ['qwen2.5-instruct', 'qwen3', 'llama-3.2', 'llama-3.2-instruct', 'mistral-instruct', 'r1-distill-qwen', 'r1-distill-llama'] as const;
export type RealFamily = (typeof REAL_FAMILIES)[number];
export type Saver = 'transformers-4' | 'transformers-5';

interface Added { content: string; special: boolean; normalized?: boolean }

export interface RealFolder extends TinyHfFolder {
  family: RealFamily;
  /** Token ids by content (base vocabulary and added tokens). */
  ids: Map<string, number>;
  /** Number of ids in tokenizer.json. */
  tokenizerSize: number;
  /** EOS ids generation must stop on (generation_config.json's list). */
  eos: number[];
  /** The tokenizer's special-token strings (tokenizer_config.json). */
  specials: { bos: string | null; eos: string; pad: string | null };
  /** The chat template the folder carries. */
  template: string;
  /** Text a template renders BOS as (the families that start a prompt with it). */
  bosText: string;
}

// ---------- tokenizer.json builders ----------

/** GPT-2's byte-to-character table of byte-level BPE. */
function byteChars(): string[] {
  const keep = new Set<number>();
  for (let b = 33; b <= 126; b++) keep.add(b);
  for (let b = 161; b <= 172; b++) keep.add(b);
  for (let b = 174; b <= 255; b++) keep.add(b);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => (keep.has(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++)));
}

/** Qwen2's pre-tokenizer split (digits one at a time); Llama 3's groups up to 3 digits. */
const QWEN_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const BYTE_MERGES: [string, string][] = [
  ['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['i', 'n'], ['Ġ', 'a'], ['1', '2'], ['12', '3'], ['Ġ', 'i'], ['Ġi', 's'], ['Ċ', 'Ċ'], ['a', 'n'], ['Ġ', 'w'],
];

function addedJson(start: number, added: Added[]): Record<string, unknown>[] {
  return added.map((a, i) => ({
    id: start + i, content: a.content, single_word: false, lstrip: false, rstrip: false, normalized: a.normalized ?? false, special: a.special,
  }));
}

function byteLevelTokenizer(split: string, added: Added[], o: { ignoreMerges: boolean; nfc: boolean; bos: string | null }): { json: Record<string, unknown>; ids: Map<string, number> } {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  BYTE_MERGES.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  const base = 256 + BYTE_MERGES.length;
  const ids = new Map(Object.entries(vocab));
  added.forEach((a, i) => ids.set(a.content, base + i));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const bosId = o.bos === null ? null : ids.get(o.bos)!;
  const post = bosId === null
    ? byteLevel
    : {
        type: 'Sequence',
        processors: [
          byteLevel,
          {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: o.bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [{ SpecialToken: { id: o.bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: o.bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: { [o.bos!]: { id: o.bos, ids: [bosId], tokens: [o.bos] } },
          },
        ],
      };
  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: addedJson(base, added),
    normalizer: o.nfc ? { type: 'NFC' } : null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: split }, behavior: 'Isolated', invert: false }, byteLevel] },
    post_processor: post,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false,
      ignore_merges: o.ignoreMerges, vocab, merges: BYTE_MERGES.map(([a, b]) => [a, b]),
    },
  };
  return { json, ids };
}

const MISTRAL_CONTROL = ['<unk>', '<s>', '</s>', '[INST]', '[/INST]', '[TOOL_CALLS]', '[AVAILABLE_TOOLS]', '[/AVAILABLE_TOOLS]', '[TOOL_RESULTS]', '[/TOOL_RESULTS]'];
const SP_MERGES: [string, string][] = [['▁', 't'], ['h', 'e'], ['▁t', 'he'], ['i', 'n'], ['▁', 'a'], ['1', '2'], ['▁', 'i'], ['▁i', 's']];

/**
 * A SentencePiece-converted BPE as Mistral v0.3 ships it: control tokens first, then the 256
 * <0xNN> byte pieces (byte fallback for characters outside the vocabulary), then pieces over "▁"
 * words; Metaspace pre-tokenizer (prepend "▁" to the first section only), BOS post-processor, and
 * the Replace / ByteFallback / Fuse / Strip decoder.
 */
function sentencePieceTokenizer(): { json: Record<string, unknown>; ids: Map<string, number> } {
  const vocab: Record<string, number> = {};
  MISTRAL_CONTROL.forEach((t, i) => (vocab[t] = i));
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = MISTRAL_CONTROL.length + b;
  const pieces = ['▁', ...Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)), ...SP_MERGES.map(([a, b]) => a + b)];
  for (const p of pieces) vocab[p] ??= Object.keys(vocab).length;
  const ids = new Map(Object.entries(vocab));
  return {
    ids,
    json: {
      version: '1.0', truncation: null, padding: null,
      added_tokens: addedJson(0, MISTRAL_CONTROL.map((content) => ({ content, special: true }))),
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
      },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: {
        type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true,
        ignore_merges: false, vocab, merges: SP_MERGES.map(([a, b]) => `${a} ${b}`),
      },
    },
  };
}

// ---------- the families' added tokens (relative layout of the published ids) ----------

const S = (content: string, normalized = false): Added => ({ content, special: true, normalized });
const N = (content: string, normalized = false): Added => ({ content, special: false, normalized });

const QWEN25_ADDED: Added[] = [
  S('<|endoftext|>'), S('<|im_start|>'), S('<|im_end|>'), S('<|object_ref_start|>'), S('<|object_ref_end|>'), S('<|box_start|>'), S('<|box_end|>'),
  S('<|quad_start|>'), S('<|quad_end|>'), S('<|vision_start|>'), S('<|vision_end|>'), S('<|vision_pad|>'), S('<|image_pad|>'), S('<|video_pad|>'),
  N('<tool_call>'), N('</tool_call>'), N('<|fim_prefix|>'), N('<|fim_middle|>'), N('<|fim_suffix|>'), N('<|fim_pad|>'), N('<|repo_name|>'), N('<|file_sep|>'),
];
const QWEN3_ADDED: Added[] = [...QWEN25_ADDED, N('<tool_response>'), N('</tool_response>'), N('<think>'), N('</think>')];
const R1_QWEN_ADDED: Added[] = [
  S('<｜end▁of▁sentence｜>'), N('<｜User｜>', true), N('<｜Assistant｜>', true), S('<｜begin▁of▁sentence｜>'), N('<|EOT|>', true), N('<think>', true), N('</think>', true),
  S('<|quad_start|>'), S('<|quad_end|>'), S('<|vision_start|>'), S('<|vision_end|>'), S('<|vision_pad|>'), S('<|image_pad|>'), S('<|video_pad|>'),
  N('<tool_call>'), N('</tool_call>'), N('<|fim_prefix|>'), N('<|fim_middle|>'), N('<|fim_suffix|>'), N('<|fim_pad|>'), N('<|repo_name|>'), N('<|file_sep|>'),
];
const reserved = (from: number, to: number): Added[] => Array.from({ length: to - from + 1 }, (_, i) => S(`<|reserved_special_token_${from + i}|>`));
const LLAMA3_ADDED: Added[] = [
  S('<|begin_of_text|>'), S('<|end_of_text|>'), ...reserved(0, 1), S('<|finetune_right_pad_id|>'), ...reserved(2, 2), S('<|start_header_id|>'), S('<|end_header_id|>'),
  S('<|eom_id|>'), S('<|eot_id|>'), S('<|python_tag|>'), ...reserved(3, 7),
];
const R1_LLAMA_ADDED: Added[] = [
  S('<｜begin▁of▁sentence｜>'), S('<｜end▁of▁sentence｜>'), ...reserved(0, 1), S('<|finetune_right_pad_id|>'), ...reserved(2, 2), S('<|start_header_id|>'), S('<|end_header_id|>'),
  S('<|eom_id|>'), S('<|eot_id|>'), S('<|python_tag|>'), N('<｜User｜>'), N('<｜Assistant｜>'), N('<think>'), N('</think>'), S('<｜▁pad▁｜>'),
];

// ---------- the families ----------

interface FamilySpec {
  arch: TinyArch;
  tokenizer: () => { json: Record<string, unknown>; ids: Map<string, number> };
  added: Added[];
  /** config.json vocab_size: Qwen pads it past the tokenizer; the others match it. */
  padVocabTo?: number;
  tie: boolean;
  dtype: 'F32' | 'BF16';
  rope: { theta: number; llama3: boolean };
  /** bos / eos as config.json has them (token strings, resolved to ids). */
  configBos: string | null;
  configEos: string | string[];
  generation: { bos: string | null; eos: string[]; pad?: string; sampling: Record<string, unknown> };
  specials: { bos: string | null; eos: string; pad: string | null; unk?: string | null };
  /** tokenizer_config.json fields beyond the special tokens (transformers 4 form). */
  tokConfig: Record<string, unknown>;
  template: string;
  /** Where the Hub folder keeps its template; transformers 5 always writes chat_template.jinja. */
  templateInTokenizerConfig: boolean;
  extraConfig: Record<string, unknown>;
  headDim?: number;
}

const qwenTokConfig = { add_bos_token: false, add_prefix_space: false, clean_up_tokenization_spaces: false, errors: 'replace', model_max_length: 131072, split_special_tokens: false, tokenizer_class: 'Qwen2Tokenizer' };
const llama3TokConfig = { clean_up_tokenization_spaces: true, model_input_names: ['input_ids', 'attention_mask'], model_max_length: 131072, tokenizer_class: 'PreTrainedTokenizerFast' };
const r1TokConfig = { add_bos_token: true, add_eos_token: false, clean_up_tokenization_spaces: false, legacy: true, model_max_length: 16384, sp_model_kwargs: {}, tokenizer_class: 'LlamaTokenizerFast' };
const sampling = (temperature: number, top_p: number, more: Record<string, unknown> = {}): Record<string, unknown> => ({ do_sample: true, temperature, top_p, ...more });

const FAMILIES: Record<RealFamily, FamilySpec> = {
  'qwen2.5-instruct': {
    arch: 'qwen2', tokenizer: () => byteLevelTokenizer(QWEN_SPLIT, QWEN25_ADDED, { ignoreMerges: false, nfc: true, bos: null }), added: QWEN25_ADDED, padVocabTo: 320,
    tie: true, dtype: 'BF16', rope: { theta: 1000000, llama3: false }, configBos: '<|endoftext|>', configEos: '<|im_end|>',
    generation: { bos: '<|endoftext|>', eos: ['<|im_end|>', '<|endoftext|>'], pad: '<|endoftext|>', sampling: sampling(0.7, 0.8, { top_k: 20, repetition_penalty: 1.05 }) },
    specials: { bos: null, eos: '<|im_end|>', pad: '<|endoftext|>', unk: null }, tokConfig: qwenTokConfig, template: QWEN25_TEMPLATE, templateInTokenizerConfig: true,
    extraConfig: { max_window_layers: 21, sliding_window: 32768, use_sliding_window: false },
  },
  qwen3: {
    arch: 'qwen3', tokenizer: () => byteLevelTokenizer(QWEN_SPLIT, QWEN3_ADDED, { ignoreMerges: false, nfc: true, bos: null }), added: QWEN3_ADDED, padVocabTo: 320,
    tie: true, dtype: 'BF16', rope: { theta: 1000000, llama3: false }, configBos: '<|endoftext|>', configEos: '<|im_end|>',
    generation: { bos: '<|endoftext|>', eos: ['<|im_end|>', '<|endoftext|>'], pad: '<|endoftext|>', sampling: sampling(0.6, 0.95, { top_k: 20 }) },
    specials: { bos: null, eos: '<|im_end|>', pad: '<|endoftext|>', unk: null }, tokConfig: qwenTokConfig, template: QWEN3_TEMPLATE, templateInTokenizerConfig: true,
    extraConfig: { max_window_layers: 28, sliding_window: null, use_sliding_window: false, attention_bias: false }, headDim: 16,
  },
  'llama-3.2': {
    arch: 'llama', tokenizer: () => byteLevelTokenizer(LLAMA3_SPLIT, LLAMA3_ADDED, { ignoreMerges: true, nfc: false, bos: '<|begin_of_text|>' }), added: LLAMA3_ADDED,
    tie: true, dtype: 'BF16', rope: { theta: 500000, llama3: true }, configBos: '<|begin_of_text|>', configEos: '<|end_of_text|>',
    generation: { bos: '<|begin_of_text|>', eos: ['<|end_of_text|>'], sampling: sampling(0.6, 0.9) },
    specials: { bos: '<|begin_of_text|>', eos: '<|end_of_text|>', pad: null }, tokConfig: llama3TokConfig, template: LLAMA32_TEMPLATE, templateInTokenizerConfig: true,
    extraConfig: { attention_bias: false, mlp_bias: false, pretraining_tp: 1 },
  },
  'llama-3.2-instruct': {
    arch: 'llama', tokenizer: () => byteLevelTokenizer(LLAMA3_SPLIT, LLAMA3_ADDED, { ignoreMerges: true, nfc: false, bos: '<|begin_of_text|>' }), added: LLAMA3_ADDED,
    tie: true, dtype: 'BF16', rope: { theta: 500000, llama3: true }, configBos: '<|begin_of_text|>', configEos: ['<|end_of_text|>', '<|eom_id|>', '<|eot_id|>'],
    generation: { bos: '<|begin_of_text|>', eos: ['<|end_of_text|>', '<|eom_id|>', '<|eot_id|>'], sampling: sampling(0.6, 0.9) },
    specials: { bos: '<|begin_of_text|>', eos: '<|eot_id|>', pad: null }, tokConfig: llama3TokConfig, template: LLAMA32_TEMPLATE, templateInTokenizerConfig: true,
    extraConfig: { attention_bias: false, mlp_bias: false, pretraining_tp: 1 },
  },
  'mistral-instruct': {
    arch: 'mistral', tokenizer: sentencePieceTokenizer, added: [],
    tie: false, dtype: 'BF16', rope: { theta: 1000000, llama3: false }, configBos: '<s>', configEos: '</s>',
    generation: { bos: '<s>', eos: ['</s>'], sampling: {} },
    specials: { bos: '<s>', eos: '</s>', pad: null, unk: '<unk>' },
    tokConfig: { add_bos_token: true, add_eos_token: false, clean_up_tokenization_spaces: false, legacy: false, model_max_length: 1e30, spaces_between_special_tokens: false, sp_model_kwargs: {}, tokenizer_class: 'LlamaTokenizer', use_default_system_prompt: false },
    template: MISTRAL_TEMPLATE, templateInTokenizerConfig: true, extraConfig: { sliding_window: null },
  },
  'r1-distill-qwen': {
    arch: 'qwen2', tokenizer: () => byteLevelTokenizer(QWEN_SPLIT, R1_QWEN_ADDED, { ignoreMerges: false, nfc: true, bos: '<｜begin▁of▁sentence｜>' }), added: R1_QWEN_ADDED, padVocabTo: 320,
    tie: false, dtype: 'BF16', rope: { theta: 10000, llama3: false }, configBos: '<｜end▁of▁sentence｜>', configEos: '<｜end▁of▁sentence｜>',
    generation: { bos: '<｜begin▁of▁sentence｜>', eos: ['<｜end▁of▁sentence｜>'], sampling: sampling(0.6, 0.95) },
    specials: { bos: '<｜begin▁of▁sentence｜>', eos: '<｜end▁of▁sentence｜>', pad: '<｜end▁of▁sentence｜>', unk: null }, tokConfig: r1TokConfig, template: R1_DISTILL_TEMPLATE,
    templateInTokenizerConfig: true, extraConfig: { max_window_layers: 21, sliding_window: 4096, use_sliding_window: false, use_mrope: false },
  },
  'r1-distill-llama': {
    arch: 'llama', tokenizer: () => byteLevelTokenizer(LLAMA3_SPLIT, R1_LLAMA_ADDED, { ignoreMerges: true, nfc: false, bos: '<｜begin▁of▁sentence｜>' }), added: R1_LLAMA_ADDED,
    tie: false, dtype: 'BF16', rope: { theta: 500000, llama3: true }, configBos: '<｜begin▁of▁sentence｜>', configEos: '<｜end▁of▁sentence｜>',
    generation: { bos: '<｜begin▁of▁sentence｜>', eos: ['<｜end▁of▁sentence｜>'], sampling: sampling(0.6, 0.95) },
    specials: { bos: '<｜begin▁of▁sentence｜>', eos: '<｜end▁of▁sentence｜>', pad: '<｜end▁of▁sentence｜>', unk: null }, tokConfig: r1TokConfig, template: R1_DISTILL_TEMPLATE,
    templateInTokenizerConfig: true, extraConfig: { attention_bias: false, mlp_bias: false, pretraining_tp: 1 },
  },
};

/** An AddedToken object as transformers 4 wrote special tokens into tokenizer_config.json. */
const addedTokenObject = (content: string, normalized: boolean): Record<string, unknown> => ({ __type: 'AddedToken', content, lstrip: false, normalized, rstrip: false, single_word: false });

/** Writes the family's folder at `dir` as `saver` leaves it. */
export function writeRealFolder(dir: string, family: RealFamily, saver: Saver = 'transformers-5', seed = 1): RealFolder {
  const f = FAMILIES[family];
  const { json: tokJson, ids } = f.tokenizer();
  const tokenizerSize = Math.max(...ids.values()) + 1;
  const id = (t: string): number => {
    const v = ids.get(t);
    if (v === undefined) throw new Error(`fixture: no token ${t}`);
    return v;
  };
  const v4 = saver === 'transformers-4';
  const written = writeTinyHfFolder(dir, {
    arch: f.arch, configSpelling: v4 ? 'v4' : 'v5', dtype: f.dtype, seed, tieWordEmbeddings: f.tie, vocabSize: f.padVocabTo ?? tokenizerSize,
    ropeScaling: f.rope.llama3 ? 'llama3' : null, ropeTheta: f.rope.theta, headDim: f.headDim, chatTemplate: 'none', shape: { maxPos: 1024 },
    configOverrides: {
      ...f.extraConfig,
      bos_token_id: f.configBos === null ? null : id(f.configBos),
      eos_token_id: Array.isArray(f.configEos) ? f.configEos.map(id) : id(f.configEos),
      rms_norm_eps: f.arch === 'llama' || f.arch === 'mistral' ? 1e-5 : 1e-6,
      transformers_version: v4 ? '4.45.0' : '5.0.0',
      ...(v4 ? {} : transformers5Fields(f)),
    },
  });
  if (v4 && (f.arch === 'qwen2' || f.arch === 'mistral')) {
    // The Hub's Qwen2 and Mistral configs have no head_dim (it follows from hidden_size / heads).
    delete written.config.head_dim;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(written.config, null, 2) + '\n');
  }
  const gen: Record<string, unknown> = {
    bos_token_id: f.generation.bos === null ? undefined : id(f.generation.bos),
    ...f.generation.sampling,
    eos_token_id: f.generation.eos.length === 1 ? id(f.generation.eos[0]) : f.generation.eos.map(id),
    pad_token_id: f.generation.pad === undefined ? undefined : id(f.generation.pad),
    transformers_version: v4 ? '4.45.0' : '5.0.0',
  };
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(gen, null, 2) + '\n');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokJson, null, 2));
  const addedById = new Map(((tokJson.added_tokens as { id: number; content: string; special: boolean; normalized: boolean }[])).map((a) => [a.id, a]));
  const r1 = family.startsWith('r1-');
  const special = (t: string | null | undefined): unknown => {
    if (t === null || t === undefined) return t;
    // The distills wrote their special tokens as AddedToken objects, the others as strings.
    return r1 && v4 ? addedTokenObject(t, true) : t;
  };
  const tokCfg: Record<string, unknown> = {
    ...f.tokConfig,
    bos_token: special(f.specials.bos), eos_token: special(f.specials.eos), pad_token: special(f.specials.pad),
  };
  if (f.specials.unk !== undefined) tokCfg.unk_token = special(f.specials.unk);
  if (v4) {
    tokCfg.added_tokens_decoder = Object.fromEntries([...addedById].map(([i, a]) => [String(i), { content: a.content, lstrip: false, normalized: a.normalized, rstrip: false, single_word: false, special: a.special }]));
    if (family === 'qwen2.5-instruct' || family === 'qwen3') tokCfg.additional_special_tokens = QWEN25_ADDED.filter((a) => a.special && a.content !== '<|endoftext|>').map((a) => a.content);
    if (f.templateInTokenizerConfig) tokCfg.chat_template = f.template;
    const map: Record<string, unknown> = {};
    for (const [k, v] of [['bos_token', f.specials.bos], ['eos_token', f.specials.eos], ['pad_token', f.specials.pad], ['unk_token', f.specials.unk]] as const) {
      if (v !== null && v !== undefined) map[k] = { content: v, lstrip: false, normalized: r1, rstrip: false, single_word: false };
    }
    if (tokCfg.additional_special_tokens) map.additional_special_tokens = tokCfg.additional_special_tokens;
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(map, null, 2));
  } else {
    // transformers 5: no add_bos_token / add_eos_token, no added_tokens_decoder (tokenizer.json has them), extra_special_tokens.
    delete tokCfg.add_bos_token;
    delete tokCfg.add_eos_token;
    tokCfg.tokenizer_class = 'TokenizersBackend';
    if (family === 'qwen2.5-instruct' || family === 'qwen3') tokCfg.extra_special_tokens = QWEN25_ADDED.filter((a) => a.special && a.content !== '<|endoftext|>').map((a) => a.content);
    writeFileSync(join(dir, 'chat_template.jinja'), f.template);
    if (existsSync(join(dir, 'special_tokens_map.json'))) rmSync(join(dir, 'special_tokens_map.json'));
  }
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokCfg, null, 2));
  return {
    ...written, family, ids, tokenizerSize, eos: f.generation.eos.map(id),
    specials: { bos: f.specials.bos, eos: f.specials.eos, pad: f.specials.pad }, template: f.template,
    bosText: f.template.includes('bos_token') ? (f.specials.bos ?? '') : '',
  };
}

/** Fields transformers 5 adds when it saves config.json again. */
function transformers5Fields(f: FamilySpec): Record<string, unknown> {
  const out: Record<string, unknown> = { pad_token_id: null };
  if (f.arch === 'qwen2' || f.arch === 'qwen3') {
    // sliding_window is dropped to null when use_sliding_window is false; every layer is full attention.
    Object.assign(out, { sliding_window: null, layer_types: ['full_attention', 'full_attention'] });
  }
  return out;
}
