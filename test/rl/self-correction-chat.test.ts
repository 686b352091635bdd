// SCoRe on a real model's chat: with conversational prompts, attempt 2 continues the chat — y1 as
// the assistant's turn, the instruction as the user's, rendered by the model's own template — and
// trains with LoRA on a Hugging Face folder, graded by the math verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { SCORE_CHAT_INSTRUCTION, SCORE_INSTRUCTION, secondAttemptItem, secondAttemptPrompt } from '../../src/rl/self-correction.js';
import type { ScoredRow } from '../../src/rl/rollout.js';
import { prepareScoreRun } from '../../src/pipeline/score.js';
import { writeRealFolder } from '../model/real-folders.js';
import { scratchDir } from '../scratch-dir.js';

const messages = (q: string) => [{ role: 'system', content: 'Put the final answer in \\boxed{}.' }, { role: 'user', content: q }];

function data(root: string): string {
  const file = join(root, 'math.jsonl');
  writeFileSync(file, [JSON.stringify({ prompt: messages('What is 1+1?'), answer: '2' }), JSON.stringify({ prompt: messages('What is 2+3?'), answer: '5' })].join('\n') + '\n');
  return file;
}

const score = (over: Partial<GrpoConfig>): GrpoConfig => ({
  ...DEFAULT_CONFIG, task: null, rewards: [{ name: 'accuracy', weight: 1 }], self_correction: 'score', score_stage: 'both', score_stage_one_steps: 1,
  max_steps: 2, prompts_per_step: 1, num_generations: 2, max_completion_length: 6, save_steps: 0, log_completions_steps: 1, ...over,
});

test('attempt 2 of a conversational prompt is the chat continued with the model\'s template; a text prompt gets y1 and the instruction appended', () => {
  const root = scratchDir('aha-score-chat-');
  const folder = writeRealFolder(join(root, 'qwen'), 'qwen2.5-instruct').dir;
  const opts = prepareGrpo(score({ model: folder, data: data(root), lora: 'r=4', output_dir: join(root, 'probe') }), { quiet: true });
  assert.equal(opts.config.score_instruction, SCORE_CHAT_INSTRUCTION, 'the default becomes the user turn with a chat');
  const item = opts.prompts.next();
  const second = secondAttemptPrompt(opts.config.score_instruction, opts.tokenizer)(item, 'It is \\boxed{3}.');
  const expected = opts.tokenizer.applyChatTemplate([...item.messages!, { role: 'assistant', content: 'It is \\boxed{3}.' }, { role: 'user', content: SCORE_CHAT_INSTRUCTION }], { addGenerationPrompt: true });
  assert.equal(second, expected);
  // The first answer closes its assistant turn, the instruction is a user turn, and the assistant answers again.
  assert.ok(second.startsWith(item.prompt + 'It is \\boxed{3}.<|im_end|>\n<|im_start|>user\n' + SCORE_CHAT_INSTRUCTION + '<|im_end|>\n<|im_start|>assistant\n'), second);
  const text = { id: 't', prompt: 'Q: 1+1?\nA: ', example: {} };
  assert.equal(secondAttemptPrompt(SCORE_INSTRUCTION)(text, '3'), 'Q: 1+1?\nA: 3' + SCORE_INSTRUCTION);
  assert.throws(() => secondAttemptPrompt('fix it')({ ...item }, 'x'), /list of messages; its second attempt needs the tokenizer's chat template/);
  // An instruction the user sets is kept as given.
  const own = prepareGrpo(score({ model: folder, data: data(root), score_instruction: 'Check again.', output_dir: join(root, 'probe2') }), { quiet: true });
  assert.equal(own.config.score_instruction, 'Check again.');
});

test('SCoRe with LoRA on a real-format Qwen2.5 folder: both stages run on chat prompts, attempt 2 prompted by the template, adapters saved in PEFT\'s layout', { timeout: 120_000 }, async () => {
  const root = scratchDir('aha-score-chat-');
  const folder = writeRealFolder(join(root, 'qwen'), 'qwen2.5-instruct').dir;
  const out = join(root, 'run');
  const opts = prepareGrpo(score({ model: folder, data: data(root), lora: 'r=4', score_beta_first: 0.1, output_dir: out }), { quiet: true });
  await runGrpo(opts);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(metrics.length, 2);
  assert.deepEqual(metrics.map((m) => m['score/stage']), [1, 2]);
  const rows = readFileSync(join(out, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; completion: string });
  const seconds = rows.filter((r) => r.prompt.includes(SCORE_CHAT_INSTRUCTION));
  assert.ok(seconds.length > 0, 'attempt-2 rows are logged with their prompts');
  for (const r of seconds) assert.ok(r.prompt.endsWith(`<|im_start|>user\n${SCORE_CHAT_INSTRUCTION}<|im_end|>\n<|im_start|>assistant\n`), r.prompt);
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).score_instruction, SCORE_CHAT_INSTRUCTION);
  const last = join(out, 'checkpoints', 'step-2');
  assert.ok(['adapter_config.json', 'adapter_model.safetensors'].every((f) => existsSync(join(last, f))), `no adapter in ${last}`);
});

test('attempt 2 is think_prefilled by its own prompt: R1-Distill\'s chat reopens the block; a text instruction that does not leaves it closed', () => {
  const root = scratchDir('aha-score-chat-');
  const opts = prepareGrpo(score({ model: writeRealFolder(join(root, 'r1'), 'r1-distill-qwen').dir, data: data(root), output_dir: join(root, 'probe') }), { quiet: true });
  const item = opts.prompts.next();
  assert.equal(item.example.think_prefilled, '<think>\n');
  const row = (it: typeof item, text: string) => ({ item: it, text }) as unknown as ScoredRow;
  const second = secondAttemptItem(row(item, 'so 3</think> \\boxed{3}'), secondAttemptPrompt(opts.config.score_instruction, opts.tokenizer));
  assert.ok(second.prompt.endsWith('<｜Assistant｜><think>\n'), second.prompt);
  assert.equal(second.example.think_prefilled, '<think>\n');
  const text = { id: 't', prompt: 'Assistant: <think>', example: { think_prefilled: '<think>' } };
  assert.equal(secondAttemptItem(row(text, 'x</think>'), secondAttemptPrompt('\nUser: again.\nAssistant: ')).example.think_prefilled, undefined);
  assert.equal(secondAttemptItem(row(text, 'x</think>'), secondAttemptPrompt(SCORE_INSTRUCTION)).example.think_prefilled, '<think>\n');
});

test('the warm-up (a base model\'s second turn in text) is refused for conversational prompts before anything is sampled or written', async () => {
  const root = scratchDir('aha-score-chat-');
  const out = join(root, 'run');
  await assert.rejects(
    prepareScoreRun(score({ model: writeRealFolder(join(root, 'qwen'), 'qwen2.5-instruct').dir, data: data(root), score_warmup_prompts: 4, output_dir: out }), { quiet: true }),
    /score_warmup_prompts: .*math\.jsonl holds conversational prompts.*Set score_warmup_prompts: 0/,
  );
  assert.equal(existsSync(join(out, 'warmup')), false);
});
