// Chat-template variables in SFT (TRL's chat_template_kwargs): the run's (--chat-template-arg,
// SFTConfig.chat_template_kwargs) and a line's own reach the template that renders {"messages"}
// lines, and bad ones are refused before the model loads, naming file, line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load-model.js';
import { readSftFile } from '../../src/sft/sft-data.js';
import type { ChatTemplateArgs } from '../../src/model/chat-template.js';
import { encodeSftRecords } from '../../src/sft/sft-encode.js';
import { fromTrlSftConfig } from '../../src/sft/sft-trainer.js';
import { register } from '../../src/cli/commands/sft.js';
import { runCommand } from '../cli/in-process.js';
import { thinkTemplateFolder } from '../model/helpers.js';
import { tempDir } from './helpers.js';

const chat = (extra: object = {}) => JSON.stringify({ messages: [{ role: 'user', content: '1+1?' }, { role: 'assistant', content: '2' }], ...extra });

function data(lines: string[]): string {
  const file = join(tempDir(), 'chat.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

test('the run\'s template arguments and a line\'s own change the rendered conversation', () => {
  const dir = thinkTemplateFolder(join(tempDir(), 'model'), { max_position_embeddings: 128 });
  const { tokenizer } = loadModel(dir);
  const file = data([chat(), chat({ chat_template_kwargs: { think: true } })]);
  const text = (runArgs = {}) => encodeSftRecords(tokenizer, readSftFile(file, runArgs), file, 100).examples.map((e) => tokenizer.decode(e.ids));
  assert.deepEqual(text(), ['user: 1+1?\nassistant: 2\n', 'Tuser: 1+1?\nassistant: 2\n']);
  assert.deepEqual(text({ mode: 'x' }), ['user: 1+1?\nassistant: 2\n', 'Tuser: 1+1?\nassistant: 2\n'], 'a variable the template ignores changes nothing');
  const both = data([chat(), chat()]);
  const texts = encodeSftRecords(tokenizer, readSftFile(both, { think: true }), both, 100).examples.map((e) => tokenizer.decode(e.ids));
  assert.deepEqual(texts, ['Tuser: 1+1?\nassistant: 2\n', 'Tuser: 1+1?\nassistant: 2\n']);
});

test('bad template arguments are refused with file, line and field', () => {
  const bad: [string[], ChatTemplateArgs, RegExp][] = [
    [[chat(), chat({ chat_template_kwargs: { think: [1] } })], {}, /chat\.jsonl:2, field "chat_template_kwargs\.think": must be a string, number, boolean or null, got \[1\]/],
    [[chat({ chat_template_kwargs: { messages: 'x' } })], {}, /chat\.jsonl:1, field "chat_template_kwargs": "messages" is set by aha itself/],
    [[chat({ chat_template_kwargs: 'think' })], {}, /chat\.jsonl:1, field "chat_template_kwargs": must be an object/],
    [[chat({ chat_template_kwargs: { think: true } })], { think: false }, /chat\.jsonl:1, field "chat_template_kwargs\.think": is set for the whole run too/],
    [[JSON.stringify({ prompt: 'a', completion: 'b', chat_template_kwargs: { think: true } })], {}, /chat\.jsonl:1, field "chat_template_kwargs": applies to \{"messages"\} lines/],
    [[JSON.stringify({ prompt: 'a', completion: 'b' })], { think: true }, /chat\.jsonl: chat template arguments .* no line is a conversation \(\{"messages"\}, or prompt\/completion lists of messages\)/],
  ];
  for (const [lines, runArgs, message] of bad) assert.throws(() => readSftFile(data(lines), runArgs), message);
  assert.throws(() => fromTrlSftConfig({ chat_template_kwargs: { add_generation_prompt: true } }, 'm', 'd', null), /SFTConfig\.chat_template_kwargs: "add_generation_prompt" is set by aha itself/);
  assert.throws(() => fromTrlSftConfig({ chat_template_kwargs: ['think'] as never }, 'm', 'd', null), /SFTConfig\.chat_template_kwargs: must be an object/);
  assert.deepEqual(fromTrlSftConfig({ chat_template_kwargs: { think: true } }, 'm', 'd', null).options.chatTemplateArgs, { think: true });
});

test('aha sft --chat-template-arg trains with the variable and records it in config.json; refused on --resume and before the model loads', async () => {
  const dir = thinkTemplateFolder(join(tempDir(), 'model'), { max_position_embeddings: 64 });
  const out = join(tempDir(), 'run');
  const file = data([chat(), chat(), chat()]);
  await runCommand(register, 'sft', ['--model', dir, '--data', file, '--out', out, '--steps', '1', '--batch-size', '2', '--eval-fraction', '0', '--chat-template-arg', 'think=true', '--quiet']);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).chatTemplateArgs, { think: true });
  await assert.rejects(runCommand(register, 'sft', ['--out', out, '--resume', '--chat-template-arg', 'think=false']), /drop --chat-template-arg/);
  await assert.rejects(runCommand(register, 'sft', ['--model', '/nonexistent', '--data', file, '--chat-template-arg', 'messages=1']), /"messages" is set by aha itself/);
  const pc = data([JSON.stringify({ prompt: 'a', completion: 'b' })]);
  await assert.rejects(runCommand(register, 'sft', ['--model', '/nonexistent', '--data', pc, '--out', join(tempDir(), 'r2'), '--chat-template-arg', 'think=true']), /no line is a conversation \(\{"messages"\}, or prompt\/completion lists of messages\)/);
});
