// Tokenizing SFT records: the loss mask covers exactly the completion (plus EOS) or the text the
// assistant turns add, and over-long examples are cut or dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { HfTokenizer } from '../../src/model/hf-tokenizer.js';
import { encodeSftRecords } from '../../src/sft/sft-encode.js';
import type { SftRecord } from '../../src/sft/sft-data.js';
import type { TokenExample } from '../../src/sft/examples.js';

const tok = new CharTokenizer();

/** The text under mask 1 and under mask 0 of an example. */
function split(ex: TokenExample): { counted: string; context: string } {
  const on: number[] = [];
  const off: number[] = [];
  ex.ids.forEach((id, i) => (ex.mask[i] ? on : off).push(id));
  return { counted: tok.decode(on, { skipSpecialTokens: false }), context: tok.decode(off, { skipSpecialTokens: false }) };
}

test('prompt/completion: only the completion and EOS count', () => {
  const rec: SftRecord = { kind: 'completion', line: 1, prompt: 'User: 2+3? Assistant:', completion: ' <think>2+3=5</think><answer>5</answer>' };
  const { examples, stats } = encodeSftRecords(tok, [rec], 'd.jsonl', 1000);
  assert.deepEqual(stats, { examples: 1, truncated: 0, dropped: 0, turnByTurn: 0, unopenedThink: 0 });
  const parts = split(examples[0]);
  assert.equal(parts.context, 'User: 2+3? Assistant:');
  assert.equal(parts.counted, ' <think>2+3=5</think><answer>5</answer><eos>');
});

test('prompt/completion: a completion that already ends with EOS is not given a second one', () => {
  const rec: SftRecord = { kind: 'completion', line: 1, prompt: 'Q:', completion: ' 5<eos>' };
  const { examples } = encodeSftRecords(tok, [rec], 'd.jsonl', 1000);
  assert.equal(split(examples[0]).counted, ' 5<eos>');
  assert.equal(examples[0].ids.filter((id) => id === tok.eosId).length, 1);
});

test('chat: only what the assistant turns add counts, every turn of them', () => {
  const rec: SftRecord = {
    kind: 'chat',
    line: 1,
    messages: [
      { role: 'system', content: 'S' },
      { role: 'user', content: 'u1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' },
      { role: 'assistant', content: 'a2' },
    ],
  };
  const { examples } = encodeSftRecords(tok, [rec], 'd.jsonl', 1000);
  const ex = examples[0];
  assert.equal(tok.decode(ex.ids), 'system: S\nuser: u1\nassistant: a1\nuser: u2\nassistant: a2\n');
  const counted = Array.from(ex.ids)
    .map((id, i) => (ex.mask[i] ? tok.decode([id]) : '|'))
    .join('')
    .split('|')
    .filter((s) => s !== '');
  assert.deepEqual(counted, ['a1\n', 'a2\n']);
});

test('chat data needs a chat template, named at the first chat line', () => {
  const plain = new CharTokenizer({ chatTemplate: null });
  const recs: SftRecord[] = [
    { kind: 'completion', line: 1, prompt: 'a', completion: 'b' },
    { kind: 'chat', line: 2, messages: [{ role: 'assistant', content: 'x' }] },
  ];
  assert.throws(() => encodeSftRecords(plain, recs, 'd.jsonl', 100), /d\.jsonl:2, field "messages": the model's tokenizer has no chat template/);
});

test('over-long examples are cut; those with nothing left to learn are dropped', () => {
  const recs: SftRecord[] = [
    { kind: 'completion', line: 1, prompt: 'abcdef', completion: 'ghij' },
    { kind: 'completion', line: 2, prompt: 'abcdefghijkl', completion: 'm' },
    { kind: 'completion', line: 3, prompt: 'ab', completion: 'c' },
  ];
  const { examples, stats } = encodeSftRecords(tok, recs, 'd.jsonl', 8);
  assert.deepEqual(stats, { examples: 2, truncated: 2, dropped: 1, turnByTurn: 0, unopenedThink: 0 });
  assert.equal(split(examples[0]).counted, 'gh');
  assert.equal(split(examples[1]).counted, 'c<eos>');
});

/** A Qwen-style Hugging Face tokenizer: characters as a BPE with no merges, ChatML specials. */
function chatmlTokenizer(): HfTokenizer {
  const chars = ['\n', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const added = specials.map((content, i) => ({ id: chars.length + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const json = {
    version: '1.0',
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    truncation: null,
    padding: null,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
  const template =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  return new HfTokenizer(json, { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: null, chat_template: template });
}

test('chat with a Hugging Face ChatML template: assistant content and <|im_end|> count, the generation prompt does not', () => {
  const hf = chatmlTokenizer();
  const rec: SftRecord = {
    kind: 'chat',
    line: 1,
    messages: [
      { role: 'system', content: 'S' },
      { role: 'user', content: 'u1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' },
      { role: 'assistant', content: 'a2' },
    ],
  };
  const ex = encodeSftRecords(hf, [rec], 'd.jsonl', 1000).examples[0];
  const runs: string[] = [];
  let cur: number[] = [];
  ex.ids.forEach((id, i) => {
    if (ex.mask[i]) cur.push(id);
    else if (cur.length > 0) {
      runs.push(hf.decode(cur, { skipSpecialTokens: false }));
      cur = [];
    }
  });
  if (cur.length > 0) runs.push(hf.decode(cur, { skipSpecialTokens: false }));
  assert.deepEqual(runs, ['a1<|im_end|>\n', 'a2<|im_end|>\n']);
  assert.equal(hf.decode(ex.ids, { skipSpecialTokens: false }), hf.applyChatTemplate(rec.messages, { addGenerationPrompt: false }));

  const pc = encodeSftRecords(hf, [{ kind: 'completion', line: 1, prompt: 'Q', completion: 'A' }], 'd.jsonl', 100).examples[0];
  assert.deepEqual(Array.from(pc.mask), [0, 1, 1]);
  assert.equal(pc.ids[2], hf.eosId);
});
