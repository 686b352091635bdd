// Tokenizers: a byte-level BPE tokenizer.json built here (Qwen-like, with a chat template), and
// the character-level demo tokenizer, whose saved tokenizer.json must tokenize identically under
// the Hugging Face implementation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';
import { loadTokenizer, encodeChat } from '../../src/model/tokenizer.js';
import { HfTokenizer } from '../../src/model/hf-tokenizer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';

/** GPT-2's reversible byte-to-character table used by byte-level BPE. */
function byteChars(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return out;
}

const CHAT = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** A small Qwen-style tokenizer folder: byte-level BPE with a few merges and three specials. */
export function writeBpeTokenizer(dir: string): void {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  const merges = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld'];
  for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const added = specials.map((content, i) => ({ id: 256 + merges.length + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const tok = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const cfg = { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: null, chat_template: CHAT, tokenizer_class: 'Qwen2Tokenizer' };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(cfg));
}

const bpeDir = tempDir('tok');
writeBpeTokenizer(bpeDir);

test('a Hugging Face byte-level BPE tokenizer.json encodes with its merges and round-trips any text', () => {
  const tok = loadTokenizer(bpeDir);
  assert.equal(tok.kind, 'hf');
  const ids = tok.encode('hello world');
  assert.deepEqual(Array.from(ids), [tok.tokenToId('hello'), tok.tokenToId('Ġworld')]);
  for (const text of ['hello world', 'héllo, 世界! 12+3=15\n<think> x </think>', '  spaces\tand\ttabs ']) {
    assert.equal(tok.decode(tok.encode(text)), text);
  }
  assert.equal(tok.eosId, tok.tokenToId('<|im_end|>'));
  assert.equal(tok.padId, tok.tokenToId('<|endoftext|>'));
  assert.equal(tok.bosId, null);
  assert.equal(tok.vocabSize, 256 + 9 + 3);
});

test('special tokens are single ids, dropped by decode unless asked', () => {
  const tok = loadTokenizer(bpeDir);
  const ids = tok.encode('<|im_start|>hello<|im_end|>');
  assert.deepEqual(Array.from(ids), [tok.tokenToId('<|im_start|>'), tok.tokenToId('hello'), tok.tokenToId('<|im_end|>')]);
  assert.equal(tok.decode(ids), 'hello');
  assert.equal(tok.decode(ids, { skipSpecialTokens: false }), '<|im_start|>hello<|im_end|>');
});

test('the chat template from tokenizer_config.json renders with Jinja', () => {
  const tok = loadTokenizer(bpeDir);
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hello world' },
  ];
  const text = tok.applyChatTemplate(messages);
  assert.equal(text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello world<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(tok.applyChatTemplate(messages, { addGenerationPrompt: false }).endsWith('<|im_end|>\n'), true);
  const ids = encodeChat(tok, messages);
  assert.equal(ids[0], tok.tokenToId('<|im_start|>'));
  assert.equal(tok.decode(ids, { skipSpecialTokens: false }), text);
});

test('a saved Hugging Face tokenizer loads back identical', () => {
  const tok = loadTokenizer(bpeDir);
  const out = tempDir('tok-save');
  tok.save(out);
  const back = loadTokenizer(out);
  const text = 'hello world, héllo <|im_end|>';
  assert.deepEqual(back.encode(text), tok.encode(text));
  assert.equal(back.chatTemplate, tok.chatTemplate);
});

test('the character tokenizer: one id per character, markers as single tokens, unknowns as <unk>', () => {
  const tok = new CharTokenizer();
  const ids = tok.encode('<think>2+2</think>\n<answer>4</answer>');
  assert.equal(ids.length, 1 + 3 + 1 + 1 + 1 + 1 + 1);
  assert.equal(ids[0], tok.tokenToId('<think>'));
  assert.equal(tok.decode(ids), '<think>2+2</think>\n<answer>4</answer>');
  assert.deepEqual(Array.from(tok.encode('a€<b')), [tok.tokenToId('a'), tok.unkId, tok.tokenToId('<'), tok.tokenToId('b')]);
  assert.equal(tok.decode([tok.bosId, tok.tokenToId('x')!, tok.eosId, tok.padId]), 'x');
  assert.equal(tok.decode([tok.eosId], { skipSpecialTokens: false }), '<eos>');
  assert.equal(tok.applyChatTemplate([{ role: 'user', content: '1+1?' }]), 'user: 1+1?\nassistant: ');
});

test('the character tokenizer saved as tokenizer.json tokenizes identically under Hugging Face', () => {
  const char = new CharTokenizer({ chars: 'abc 0123456789+-*/=()\n<>' });
  const dir = tempDir('char');
  char.save(dir);
  const loaded = loadTokenizer(dir);
  assert.equal(loaded.kind, 'char');
  assert.equal(loaded.vocabSize, char.vocabSize);
  const hf = new HfTokenizer(char.toTokenizerJson(), char.toConfigJson());
  assert.equal(hf.eosId, char.eosId);
  for (const text of ['<think>1+2=3</think> <answer>3</answer>', 'abc <thin <answer< x?y', '12*(3-4)\n=-12', '</think></think>']) {
    const ours = Array.from(loaded.encode(text, { addSpecialTokens: false }));
    assert.deepEqual(Array.from(hf.encode(text, { addSpecialTokens: false })), ours, text);
    assert.equal(hf.decode(ours), loaded.decode(ours), text);
  }
});

test('a tokenizer whose post-processor adds BOS (Llama 3 style) adds it only when asked', () => {
  const dir = tempDir('tok-bos');
  writeBpeTokenizer(dir);
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const added = tok.added_tokens as { id: number; content: string }[];
  const bosId = added[added.length - 1].id + 1;
  added.push({ ...added[0], id: bosId, content: '<|begin_of_text|>' });
  tok.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [bosId], tokens: ['<|begin_of_text|>'] } },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));
  const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...cfg, bos_token: '<|begin_of_text|>' }));
  const t = loadTokenizer(dir);
  assert.equal(t.bosId, bosId);
  assert.deepEqual(Array.from(t.encode('hello')), [bosId, t.tokenToId('hello')]);
  assert.deepEqual(Array.from(t.encode('hello', { addSpecialTokens: false })), [t.tokenToId('hello')]);
});
