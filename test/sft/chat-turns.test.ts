// SFT on {"messages"} lines for templates that rewrite earlier turns when a later one is added
// (R1-Distill drops old reasoning and opens <think> in the generation prompt; Mistral moves the
// system message to the last user turn): each assistant turn becomes its own example, trained in
// exactly the context the model sees when it writes that turn. Real-format folders (test/model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load-model.js';
import type { Tokenizer } from '../../src/model/tokenizer.js';
import { encodeSftRecords } from '../../src/sft/sft-encode.js';
import type { TokenExample } from '../../src/sft/examples.js';
import { readSftFile, type ChatRole, type SftRecord } from '../../src/sft/sft-data.js';
import { writeRealFolder, type RealFamily } from '../model/real-folders.js';
import { tempDir } from './helpers.js';

function tokenizerOf(family: RealFamily): Tokenizer {
  const dir = join(tempDir(), family);
  writeRealFolder(dir, family);
  return loadModel(dir).tokenizer;
}

/** The example's text before the first counted token, and the counted text. */
function parts(tok: Tokenizer, ex: TokenExample): { context: string; counted: string } {
  const first = ex.mask.indexOf(1);
  assert.ok(first > 0 && ex.mask.subarray(first).every((m) => m === 1), 'one counted run at the end');
  return { context: tok.decode(ex.ids.subarray(0, first), { skipSpecialTokens: false }), counted: tok.decode(ex.ids.subarray(first), { skipSpecialTokens: false }) };
}

const chat = (line: number, ...messages: [ChatRole, string][]): SftRecord => ({ kind: 'chat', line, messages: messages.map(([role, content]) => ({ role, content })) });

test('R1-Distill: the reasoning is trained after the template-opened <think>, and a later turn sees the earlier one as the template shows history', () => {
  const tok = tokenizerOf('r1-distill-qwen');
  const one = chat(1, ['user', 'What is 2+3?'], ['assistant', '<think>\n2+3=5\n</think>\n\nThe answer is 5.']);
  const r1 = encodeSftRecords(tok, [one], 'd.jsonl', 1000);
  assert.equal(r1.stats.turnByTurn, 1);
  assert.equal(r1.examples.length, 1);
  const p = parts(tok, r1.examples[0]);
  assert.equal(p.context, tok.applyChatTemplate(one.kind === 'chat' ? one.messages.slice(0, 1) : [], { addGenerationPrompt: true }));
  assert.match(p.context, /<｜Assistant｜><think>\n$/);
  assert.equal(p.counted, '2+3=5\n</think>\n\nThe answer is 5.<｜end▁of▁sentence｜>');

  const two = chat(2, ['user', 'What is 2+3?'], ['assistant', '<think>\n2+3=5\n</think>\n\n5'], ['user', 'And 4+4?'], ['assistant', '<think>\n4+4=8\n</think>\n\n8']);
  const r2 = encodeSftRecords(tok, [two], 'd.jsonl', 1000);
  assert.equal(r2.examples.length, 2);
  const second = parts(tok, r2.examples[1]);
  assert.ok(second.context.includes('<｜Assistant｜>\n\n5<｜end▁of▁sentence｜>'), 'the first turn appears as history, without its reasoning');
  assert.ok(!second.context.includes('2+3=5'));
  assert.equal(second.counted, '4+4=8\n</think>\n\n8<｜end▁of▁sentence｜>');

  // An answer with no reasoning block is trained as written, and counted for the note.
  const bare = encodeSftRecords(tok, [chat(3, ['user', 'Hi'], ['assistant', 'Hello.'])], 'd.jsonl', 1000);
  assert.equal(bare.stats.unopenedThink, 1);
  assert.equal(parts(tok, bare.examples[0]).counted, 'Hello.<｜end▁of▁sentence｜>');
});

test('Mistral with a system message: the turn is trained after the prompt the template renders for generation', () => {
  const tok = tokenizerOf('mistral-instruct');
  const rec = chat(1, ['system', 'Be brief.'], ['user', 'What is 4+4?'], ['assistant', '8']);
  const r = encodeSftRecords(tok, [rec], 'd.jsonl', 1000);
  assert.equal(r.examples.length, 1);
  const p = parts(tok, r.examples[0]);
  assert.equal(p.context, tok.applyChatTemplate(rec.kind === 'chat' ? rec.messages.slice(0, 2) : [], { addGenerationPrompt: true }));
  assert.ok(p.context.includes('Be brief.'));
  assert.equal(p.counted.trimStart(), '8</s>');
});

test('a template that renders incrementally keeps one example with every assistant turn counted (Qwen2.5)', () => {
  const tok = tokenizerOf('qwen2.5-instruct');
  const rec = chat(1, ['user', 'a'], ['assistant', 'b'], ['user', 'c'], ['assistant', 'd']);
  const r = encodeSftRecords(tok, [rec], 'd.jsonl', 1000);
  assert.equal(r.stats.turnByTurn, 0);
  assert.equal(r.examples.length, 1);
  assert.equal(tok.decode(r.examples[0].ids, { skipSpecialTokens: false }), tok.applyChatTemplate(rec.kind === 'chat' ? rec.messages : [], { addGenerationPrompt: false }));
});

test("TRL's conversational prompt/completion lines: the prompt's turns are context, only the completion trains; bad pairs are named", () => {
  const dir = tempDir();
  const file = join(dir, 'pairs.jsonl');
  const line = (v: unknown) => JSON.stringify(v);
  writeFileSync(
    file,
    [
      line({ prompt: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }], completion: [{ role: 'assistant', content: 'd' }] }),
      line({ prompt: [{ role: 'user', content: 'What is 2+3?' }], completion: [{ role: 'assistant', content: '<think>\n2+3=5\n</think>\n\n5' }] }),
    ].join('\n') + '\n',
  );
  const records = readSftFile(file);
  const qwen = tokenizerOf('qwen2.5-instruct');
  const q = encodeSftRecords(qwen, records.slice(0, 1), file, 1000).examples;
  assert.equal(q.length, 1);
  const p = parts(qwen, q[0]);
  assert.equal(p.counted, 'd<|im_end|>\n', 'the assistant turn inside the prompt is not trained');
  assert.ok(p.context.endsWith('<|im_start|>assistant\n') && p.context.includes('<|im_start|>assistant\nb<|im_end|>'));
  const r1 = tokenizerOf('r1-distill-qwen');
  assert.equal(parts(r1, encodeSftRecords(r1, records.slice(1), file, 1000).examples[0]).counted, '2+3=5\n</think>\n\n5<｜end▁of▁sentence｜>');

  const bad = (v: unknown, re: RegExp) => {
    writeFileSync(file, line(v) + '\n');
    assert.throws(() => readSftFile(file), re);
  };
  bad({ prompt: [{ role: 'user', content: 'a' }], completion: 'b' }, /pairs\.jsonl:1, field "completion": must be a list of messages like the other field/);
  bad({ prompt: [{ role: 'user', content: 'a' }], completion: [{ role: 'user', content: 'b' }] }, /field "completion\[0\]\.role": must be one of assistant \(got "user"\)/);
  bad({ prompt: [{ role: 'user', content: 'a' }], completion: [] }, /field "completion": is empty/);
  bad({ prompt: [{ role: 'user', content: 'a' }], completion: [{ role: 'assistant', content: '' }] }, /field "completion": has only empty messages \(nothing to learn from\)/);
});
