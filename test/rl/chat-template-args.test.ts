// Conversational GRPO prompts and their chat-template variables (TRL's chat_template_kwargs): a
// data file's "prompt" as a list of messages is rendered with the model's template, the run's
// variables (config file, --chat-template-arg, GRPOConfig) and a row's own change what the policy
// is prompted with, and every bad variable is refused before the model loads, naming where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError } from '../../src/util/errors.js';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { promptEncoder, readPromptFile } from '../../src/rl/prompts.js';
import type { Tokenizer } from '../../src/model/tokenizer.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { promptInExample } from '../../src/rl/learned-rewards.js';
import { fromTrlGrpoConfig } from '../../src/rl/trl-config.js';
import { checkConfig, configFromFlags } from '../../src/cli/commands/train.js';
import type { ChatTemplateArgs } from '../../src/model/chat-template.js';
import { thinkTemplateFolder } from '../model/helpers.js';
import { writeRealFolder, type RealFamily } from '../model/real-folders.js';
import { scratchDir } from '../scratch-dir.js';

const ask = (q: string, extra: object = {}) => JSON.stringify({ prompt: [{ role: 'system', content: 'S' }, { role: 'user', content: q }], answer: '2', ...extra });

function data(lines: string[]): string {
  const file = join(scratchDir('aha-rl-chat-'), 'prompts.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const run = (over: Partial<GrpoConfig>): GrpoConfig => ({
  ...DEFAULT_CONFIG, task: null, max_steps: 1, prompts_per_step: 2, num_generations: 2, max_completion_length: 4, save_steps: 0, log_completions_steps: 1, ...over,
});

test('a conversational prompt is rendered with the model\'s template; the run\'s variables and a row\'s own change it', async () => {
  const root = scratchDir('aha-rl-chat-');
  const model = thinkTemplateFolder(join(root, 'model'));
  const file = data([ask('1+1?'), ask('2+0?', { chat_template_kwargs: { think: true } })]);
  const prompts = (args: ChatTemplateArgs) => {
    const opts = prepareGrpo(run({ model, data: file, chat_template_kwargs: args, output_dir: join(scratchDir('aha-rl-chat-'), 'run') }), { quiet: true });
    return [opts.prompts.next(), opts.prompts.next()].map((it) => it.prompt).sort();
  };
  assert.deepEqual(prompts({}), ['Tsystem: S\nuser: 2+0?\nassistant: ', 'system: S\nuser: 1+1?\nassistant: ']);
  assert.deepEqual(prompts({ mode: 'x' }), ['Tsystem: S\nuser: 2+0?\nassistant: ', 'system: S\nuser: 1+1?\nassistant: '], 'a variable the template ignores changes nothing');
  const same = data([ask('1+1?'), ask('2+0?')]);
  const out = join(root, 'run');
  const opts = prepareGrpo(run({ model, data: same, chat_template_kwargs: { think: true }, output_dir: out }), { quiet: true });
  await runGrpo(opts);
  // The policy was prompted with the rendering, and config.json records the variables.
  const completions = readFileSync(join(out, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
  assert.ok(completions.length === 4 && completions.every((c) => c.prompt.startsWith('Tsystem: S\nuser: ')), JSON.stringify(completions.map((c) => c.prompt)));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).chat_template_kwargs, { think: true });
});

test('bad prompts and template variables in a data file are refused with file, line and field', () => {
  const bad: [string[], ChatTemplateArgs, RegExp][] = [
    [[ask('a'), ask('b', { chat_template_kwargs: { think: { deep: true } } })], {}, /prompts\.jsonl:2, field "chat_template_kwargs\.think": must be a string, number, boolean or null/],
    [[ask('a', { chat_template_kwargs: { tools: [] } })], {}, /prompts\.jsonl:1, field "chat_template_kwargs": "tools" is set by aha itself/],
    [[ask('a', { chat_template_kwargs: { think: true } })], { think: false }, /prompts\.jsonl:1, field "chat_template_kwargs\.think": is set for the whole run too/],
    [[ask('a'), JSON.stringify({ prompt: 'text', answer: '1' })], {}, /prompts\.jsonl:2, field "prompt": must be a list of messages, as line 1's is/],
    [[JSON.stringify({ prompt: 'text', answer: '1' }), ask('a')], {}, /prompts\.jsonl:2, field "prompt": is a list of messages, as line 1's is not/],
    [[JSON.stringify({ prompt: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] })], {}, /prompts\.jsonl:1, field "prompt\[1\]\.role": the last message must be the user's/],
    [[JSON.stringify({ prompt: [{ role: 'robot', content: 'q' }] })], {}, /prompts\.jsonl:1, field "prompt\[0\]\.role": must be one of system, user, assistant/],
    [[JSON.stringify({ prompt: 'text', answer: '1', chat_template_kwargs: { think: true } })], {}, /prompts\.jsonl:1, field "chat_template_kwargs": applies to a "prompt" given as a list of messages/],
    [[JSON.stringify({ prompt: 'text', answer: '1' })], { think: true }, /prompts\.jsonl: chat_template_kwargs are given, but the prompts are text/],
  ];
  for (const [lines, args, message] of bad) assert.throws(() => readPromptFile(data(lines), args), message);
});

test('the run\'s variables are checked before anything loads: type, reserved names, a task\'s text prompts; the config file and flag are named', () => {
  const aha = (re: RegExp) => (e: unknown) => e instanceof AhaError && re.test(e.message);
  assert.throws(() => validateConfig(run({ data: 'd.jsonl', chat_template_kwargs: { think: [true] } as never })), aha(/^chat_template_kwargs\.think must be a string, number, boolean or null, got \[true\]/));
  assert.throws(() => validateConfig(run({ data: 'd.jsonl', chat_template_kwargs: { messages: 'x' } })), aha(/^chat_template_kwargs: "messages" is set by aha itself/));
  assert.throws(() => validateConfig(run({ data: 'd.jsonl', chat_template_kwargs: 'think' as never })), aha(/^chat_template_kwargs: must be an object/));
  assert.throws(() => validateConfig(run({ task: 'arithmetic', chat_template_kwargs: { think: true } })), aha(/chat_template_kwargs: a task's prompts are text/));
  // The model folder does not exist: the refusal comes before any load.
  assert.throws(() => prepareGrpo(run({ model: '/nonexistent', data: data([ask('a')]), chat_template_kwargs: { raise_exception: 1 } })), aha(/"raise_exception" is set by aha itself/));
  assert.throws(() => prepareGrpo(run({ model: '/nonexistent', data: data([JSON.stringify({ prompt: 'x', answer: '1' })]), chat_template_kwargs: { think: true } })), aha(/the prompts are text/));

  const dir = scratchDir('aha-rl-chat-');
  const yaml = join(dir, 'c.yaml');
  writeFileSync(yaml, 'data: d.jsonl\nchat_template_kwargs:\n  think: true\n  mode: fast\n');
  const flags = configFromFlags({ config: yaml, chatTemplateArg: ['think=false', 'n=3'] });
  assert.deepEqual(flags.chat_template_kwargs, { think: false, mode: 'fast', n: 3 }, 'each flag sets one variable over the file\'s');
  writeFileSync(yaml, 'data: d.jsonl\nchat_template_kwargs:\n  think: [1]\n');
  const sources = new Map<string, string>();
  assert.throws(() => checkConfig(configFromFlags({ config: yaml }, undefined, sources), sources), aha(new RegExp(`^${yaml}, field "chat_template_kwargs": chat_template_kwargs\\.think must be`)));
  assert.throws(() => configFromFlags({ chatTemplateArg: ['add_generation_prompt=false'] }), aha(/--chat-template-arg: "add_generation_prompt" is set by aha itself/));
  assert.deepEqual(fromTrlGrpoConfig({ chat_template_kwargs: { enable_thinking: false } }).config.chat_template_kwargs, { enable_thinking: false });
});

test('a learned reward reads the rendered prompt of a conversational row, not its message list', () => {
  const messages = [{ role: 'user', content: 'q' }];
  const item = { id: 'a', prompt: 'user: q\nassistant: ', messages, example: { id: 'a', prompt: messages } };
  assert.equal(promptInExample(item, true).example.prompt, 'user: q\nassistant: ');
  assert.equal(promptInExample({ ...item, example: { id: 'a', prompt: 'given' } }, true).example.prompt, 'given');
  assert.deepEqual(promptInExample(item, false).example.prompt, messages);
});

test('rendered chat prompts are encoded without the tokenizer\'s own special tokens (the template wrote them); text prompts with them', () => {
  const seen: (boolean | undefined)[] = [];
  const tokenizer = { encode: (_: string, o?: { addSpecialTokens?: boolean }) => (seen.push(o?.addSpecialTokens), new Int32Array(1)) } as unknown as Tokenizer;
  const text = { id: 't', prompt: 'p', example: { id: 't' } };
  promptEncoder(tokenizer, [{ ...text, messages: [{ role: 'user', content: 'q' }] }])('p');
  promptEncoder(tokenizer, [text])('p');
  promptEncoder(tokenizer, null)('p');
  assert.deepEqual(seen, [false, true, true]);
});

test('real-format folders: Qwen3\'s enable_thinking: false pre-fills an empty think block; R1-Distill\'s open think block marks the item think_prefilled; a Llama 3 template\'s BOS is not doubled', () => {
  const root = scratchDir('aha-rl-chat-real-');
  const file = data([ask('What is 1+1?')]);
  const first = (family: RealFamily, args: ChatTemplateArgs) => {
    const opts = prepareGrpo(run({ model: writeRealFolder(join(root, `${family}-${Object.keys(args).length}`), family).dir, data: file, chat_template_kwargs: args, output_dir: join(root, `run-${family}-${Object.keys(args).length}`) }), { quiet: true });
    const prompt = opts.prompts.next().prompt;
    return { prompt, ids: Array.from(opts.encodePrompt!(prompt)), tokenizer: opts.tokenizer };
  };
  assert.ok(first('qwen3', {}).prompt.endsWith('<|im_start|>assistant\n'));
  assert.ok(first('qwen3', { enable_thinking: false }).prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
  // R1-Distill's template opens the think block: the item says so, with the tail the format rewards put back.
  const r1 = prepareGrpo(run({ model: writeRealFolder(join(root, 'r1'), 'r1-distill-qwen').dir, data: file, output_dir: join(root, 'run-r1') }), { quiet: true }).prompts.next();
  assert.ok(r1.prompt.endsWith('<｜Assistant｜><think>\n'));
  assert.equal(r1.example.think_prefilled, '<think>\n');
  const q3 = prepareGrpo(run({ model: writeRealFolder(join(root, 'q3'), 'qwen3').dir, data: file, output_dir: join(root, 'run-q3') }), { quiet: true }).prompts.next();
  assert.equal(q3.example.think_prefilled, undefined, 'Qwen3\'s generation prompt does not open the block');
  const llama = first('llama-3.2-instruct', {});
  assert.ok(llama.prompt.startsWith('<|begin_of_text|>'));
  const bos = llama.tokenizer.bosId!;
  assert.deepEqual([llama.ids[0] === bos, llama.ids[1] === bos], [true, false], 'one BOS: the template\'s');
});
