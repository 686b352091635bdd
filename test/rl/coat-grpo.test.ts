// COAT's stage 2 as GRPO options on a real-format model: a Qwen2.5-Instruct folder with the
// meta-action tokens added (non-special, so completions keep them), conversational math prompts,
// LoRA and the math verifier. Restart prompts are the rendered chat prompt + a trajectory's prefix
// ending in <|reflect|>; the reflection bonus and the COAT metrics are logged; bad settings are
// refused before any model loads, naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTokensToFolder } from '../../src/model/added-tokens.js';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import type { Sampler } from '../../src/rl/rollout.js';
import type { Tokenizer } from '../../src/model/tokenizer.js';
import { COAT_RESTARTS_FILE } from '../../src/rl/coat-run.js';
import { checkConfig, configFromFlags } from '../../src/cli/commands/train.js';
import { packageRoot } from '../../src/util/paths.js';
import { writeRealFolder } from '../model/real-folders.js';
import { scratchDir } from '../scratch-dir.js';

const R = '<|reflect|>';
const messages = (q: string) => [{ role: 'system', content: 'Put the final answer in \\boxed{}.' }, { role: 'user', content: q }];

function data(root: string): string {
  const file = join(root, 'math.jsonl');
  writeFileSync(file, [JSON.stringify({ prompt: messages('What is 1+1?'), answer: '2' }), JSON.stringify({ prompt: messages('What is 2+3?'), answer: '5' })].join('\n') + '\n');
  return file;
}

/** A Qwen2.5-Instruct-format folder with the three meta-actions added. */
function coatFolder(root: string): string {
  const base = writeRealFolder(join(root, 'qwen'), 'qwen2.5-instruct').dir;
  addTokensToFolder(base, join(root, 'qwen-coat'));
  return join(root, 'qwen-coat');
}

const coat = (over: Partial<GrpoConfig>): GrpoConfig => ({
  ...DEFAULT_CONFIG, task: null, coat: true, coat_restart_share: 0.5, coat_restart_problems: 2,
  max_steps: 2, prompts_per_step: 2, num_generations: 2, max_completion_length: 40, save_steps: 0, log_completions_steps: 1, ...over,
});

/**
 * The policy's answers, written by hand: 1+1 is first answered wrong, then fixed after a reflection
 * (a right trajectory); 2+3 is first answered right, then broken (a wrong one). A restart prompt
 * (ending in <|reflect|>) is answered with the step after the reflection.
 */
const ANSWERS: Record<string, { whole: string; after: string }> = {
  '1+1': { whole: `Add: \\boxed{3}${R}No, 1+1 is \\boxed{2}.`, after: 'No, 1+1 is \\boxed{2}.' },
  '2+3': { whole: `So \\boxed{5}${R}Hmm, \\boxed{6}.`, after: 'Hmm, \\boxed{6}.' },
};

function scriptedSampler(tokenizer: Tokenizer, seen: string[]): Sampler {
  return async (prompts) => prompts.map((ids) => {
    const prompt = tokenizer.decode(ids, { skipSpecialTokens: false });
    seen.push(prompt);
    const q = Object.keys(ANSWERS).find((k) => prompt.includes(`What is ${k}?`))!;
    const text = prompt.endsWith(R) ? ANSWERS[q].after : ANSWERS[q].whole;
    const body = tokenizer.encode(text, { addSpecialTokens: false });
    const out = new Int32Array(body.length + 1);
    out.set(body);
    out[body.length] = tokenizer.eosId!;
    return { ids: out, text, truncated: false };
  });
}

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('COAT with LoRA and the math verifier on a real-format Qwen2.5 folder: restart prompts continue the chat, the bonus and the COAT metrics are logged', { timeout: 120_000 }, async () => {
  const root = scratchDir('aha-coat-grpo-');
  const folder = coatFolder(root);
  const out = join(root, 'run');
  const opts = prepareGrpo(coat({ model: folder, data: data(root), lora: 'r=4', output_dir: out }), { quiet: true });
  assert.deepEqual(opts.rewardNames, ['accuracy', 'format_lenient', 'coat_reflection'], 'the bonus joins the default rewards');
  const seen: string[] = [];
  opts.sampler = scriptedSampler(opts.tokenizer, seen);
  await runGrpo(opts);

  // The buffer: one state per trajectory, cut before the final step, from a right and a wrong trajectory.
  const states = lines(join(out, COAT_RESTARTS_FILE));
  assert.deepEqual(states.map((s) => [s.problem_id, s.from, s.prefix]).sort(), [['line-1', 'correct', `Add: \\boxed{3}${R}`], ['line-2', 'wrong', `So \\boxed{5}${R}`]]);

  // Restart prompts: the rendered chat prompt (ending in the assistant turn's opening) + the prefix.
  const rows = lines(join(out, 'completions.jsonl')) as { prompt: string; completion: string; rewards: Record<string, number>; correct: boolean }[];
  const restarts = rows.filter((r) => r.prompt.endsWith(R));
  assert.ok(restarts.length > 0 && restarts.length < rows.length, `some but not all rows restart (${restarts.length} of ${rows.length})`);
  for (const r of restarts) assert.match(r.prompt, /<\|im_start\|>assistant\n(Add: \\boxed\{3\}|So \\boxed\{5\})<\|reflect\|>$/);
  // The bonus by hand: a fix pays +0.5, a break −0.5, whether the policy wrote the reflection or a restart appended it.
  for (const r of rows) assert.equal(r.rewards.coat_reflection, r.completion.includes('\\boxed{2}') ? 0.5 : -0.5, r.completion);
  for (const r of rows) assert.equal(r.correct, r.completion.endsWith('\\boxed{2}.'));

  const metrics = lines(join(out, 'metrics.jsonl')) as Record<string, number>[];
  assert.equal(metrics.length, 2);
  for (const m of metrics) {
    assert.equal(typeof m['reward/coat_reflection/mean'], 'number');
    assert.equal(m['coat/reflect_per_answer'], 1, 'every answer holds one reflection (a restart\'s in its prefix)');
    assert.equal(m['coat/reflect_changed'], m['coat/reflect_fixed'] + m['coat/reflect_broke']);
    assert.equal(m['coat/reflect_fix_rate'], m['coat/reflect_fixed'] / m['coat/reflect_changed']);
  }
  assert.ok(metrics.some((m) => m['coat/restart_share'] > 0));
  // Restart prompts are encoded as the rendered prompts are: the sampler saw them as written.
  assert.ok(seen.some((p) => /<\|im_start\|>assistant\n(Add: \\boxed\{3\}|So \\boxed\{5\})<\|reflect\|>$/.test(p)));

  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual([config.coat, config.coat_reader, config.coat_restart_share, config.coat_restart_problems, config.coat_reflection_beta], [true, 'math', 0.5, 2, 0.5]);
  assert.ok(['adapter_config.json', 'adapter_model.safetensors'].every((f) => existsSync(join(out, 'checkpoints', 'step-2', f))));
});

test('a policy that never writes a meta-action leaves nothing to restart from: refused before anything is written', { timeout: 60_000 }, async () => {
  const root = scratchDir('aha-coat-grpo-');
  const folder = coatFolder(root);
  const out = join(root, 'run');
  const opts = prepareGrpo(coat({ model: folder, data: data(root), lora: 'r=4', output_dir: out, max_completion_length: 8 }), { quiet: true });
  opts.sampler = async (prompts) => prompts.map(() => ({ ids: Int32Array.of(opts.tokenizer.eosId!), text: '\\boxed{2}', truncated: false }));
  await assert.rejects(runGrpo(opts), /none of the 2 trajectories .* has a step to restart from.*aha sft/);
  assert.equal(existsSync(join(out, 'config.json')), false);
  assert.equal(existsSync(join(out, COAT_RESTARTS_FILE)), false);
});

test('COAT settings are refused before any model loads, each error naming the field', () => {
  const base = coat({ data: 'x.jsonl' });
  const refused: [Partial<GrpoConfig>, RegExp][] = [
    [{ coat: false, coat_restart_share: 0.3 }, /coat_restart_share: is a COAT option: set coat: true/],
    [{ coat: false, coat_reader: 'math' }, /coat_reader: is a COAT option/],
    [{ coat_restart_share: 1 }, /coat_restart_share: must be in \[0, 1\)/],
    [{ coat_restart_share: -0.1 }, /coat_restart_share: must be in \[0, 1\)/],
    [{ coat_restart_problems: 0 }, /coat_restart_problems: must be an integer >= 1/],
    [{ coat_restart_max_drop: 1.5 }, /coat_restart_max_drop: must be an integer >= 0/],
    [{ coat_reflection_beta: -1 }, /coat_reflection_beta: must be a number >= 0/],
    [{ coat_reader: 'regex' as never }, /coat_reader: unknown reader "regex"; choose countdown or math/],
    [{ coat_reader: 'countdown' }, /coat_reader: countdown reads Countdown candidate expressions.*data file: use coat_reader: math/],
    [{ data: null, task: 'countdown', coat_reader: 'math' }, /coat_reader: math judges an answer against one gold answer/],
    [{ self_correction: 'score' }, /coat: conflicts with self_correction score/],
    [{ coat: 'yes' as never }, /coat: must be true or false/],
  ];
  // With coat off, every other setting at its default: only the one under test is set.
  const plain: GrpoConfig = { ...DEFAULT_CONFIG, task: null, data: 'x.jsonl' };
  for (const [over, re] of refused) assert.throws(() => validateConfig({ ...(over.coat === false ? plain : base), ...over }), re, JSON.stringify(over));
  assert.equal(validateConfig({ ...base, data: null, task: 'countdown' }).coat_reader, 'countdown', 'the reader follows the task');
  assert.equal(validateConfig(base).coat_reader, 'math');
});

test('a model without the meta-action tokens, data the reader cannot judge, or the bonus without coat is refused before the weights load', () => {
  const root = scratchDir('aha-coat-grpo-');
  const plain = writeRealFolder(join(root, 'qwen'), 'qwen2.5-instruct').dir;
  // The bonus without coat: no COAT run made it (runCoat hands its own in).
  assert.throws(() => prepareGrpo({ ...DEFAULT_CONFIG, task: null, model: plain, data: data(root), rewards: [{ name: 'coat_reflection', weight: 1 }], output_dir: join(root, 'c') }, { quiet: true }), /rewards: coat_reflection is COAT's reflection bonus: set coat: true/);
  assert.throws(() => prepareGrpo(coat({ model: plain, data: data(root), output_dir: join(root, 'a') }), { quiet: true }), /coat: the tokenizer of .* has no <\|continue\|> token.*aha tokens add/);
  const noGold = join(root, 'nogold.jsonl');
  writeFileSync(noGold, JSON.stringify({ prompt: messages('Say hi.') }) + '\n');
  assert.throws(() => prepareGrpo(coat({ model: coatFolder(root), data: noGold, rewards: [{ name: 'format_lenient', weight: 1 }], output_dir: join(root, 'b') }), { quiet: true }), /coat_reader: math judges intermediate answers against a gold answer .* no prompt of data:.*nogold.jsonl has one/);
});

test('aha train flags and a config file set the COAT keys; a bad one is refused naming the flag or the file\'s field', () => {
  const cfg = configFromFlags({ data: 'x.jsonl', coat: true, coatRestartShare: '0.4', coatRestartProblems: '8', coatRestartMaxDrop: '1', coatReflectionBeta: '0.25', coatReader: 'math' });
  assert.deepEqual([cfg.coat, cfg.coat_restart_share, cfg.coat_restart_problems, cfg.coat_restart_max_drop, cfg.coat_reflection_beta, cfg.coat_reader], [true, 0.4, 8, 1, 0.25, 'math']);
  const sources = new Map<string, string>();
  const bad = configFromFlags({ data: 'x.jsonl', coatRestartShare: '0.4' }, undefined, sources);
  assert.throws(() => checkConfig(bad, sources), /--coat-restart-share: is a COAT option: set coat: true/);
  const file = join(scratchDir('aha-coat-grpo-'), 'coat.yaml');
  writeFileSync(file, 'data: x.jsonl\ncoat: true\ncoat_restart_share: 1.5\n');
  const fromFile = new Map<string, string>();
  assert.throws(() => checkConfig(configFromFlags({ config: file }, undefined, fromFile), fromFile), (err: Error) => err.message.includes('coat.yaml') && err.message.includes('coat_restart_share') && /must be in \[0, 1\)/.test(err.message));
});

test('meta-actions that are special tokens (a folder extended by an older aha) are refused: completions would lose them', () => {
  const root = scratchDir('aha-coat-grpo-');
  const folder = coatFolder(root);
  const file = join(folder, 'tokenizer.json');
  const tok = JSON.parse(readFileSync(file, 'utf8')) as { added_tokens: { content: string; special: boolean }[] };
  for (const t of tok.added_tokens) if (['<|continue|>', '<|reflect|>', '<|explore|>'].includes(t.content)) t.special = true;
  writeFileSync(file, JSON.stringify(tok));
  assert.throws(() => prepareGrpo(coat({ model: folder, data: data(root), output_dir: join(root, 'run') }), { quiet: true }), /coat: <\|continue\|> is a special token in .*completions decoded with special tokens skipped lose it/);
});

test('a resumed COAT run restarts from the states its buffer recorded, not from new trajectories', { timeout: 120_000 }, async () => {
  const root = scratchDir('aha-coat-grpo-');
  const folder = coatFolder(root);
  const out = join(root, 'run');
  const config = coat({ model: folder, data: data(root), output_dir: out, coat_restart_share: 0.9, save_steps: 1 });
  const first = prepareGrpo({ ...config, max_steps: 1 }, { quiet: true });
  first.sampler = scriptedSampler(first.tokenizer, []);
  await runGrpo(first);
  const recorded = readFileSync(join(out, COAT_RESTARTS_FILE), 'utf8');
  // After the resume the policy would answer otherwise: a buffer sampled again would hold other prefixes.
  const resumed = prepareGrpo(config, { quiet: true, resume: true });
  const seen: string[] = [];
  const scripted = scriptedSampler(resumed.tokenizer, seen);
  resumed.sampler = async (prompts, rng) => (await scripted(prompts, rng)).map((s) => (s.text.includes(R) ? { ...s, text: s.text.replace('\\boxed{3}', '\\boxed{4}') } : s));
  await runGrpo(resumed);
  assert.equal(readFileSync(join(out, COAT_RESTARTS_FILE), 'utf8'), recorded);
  assert.equal(seen.length, 4, 'the resumed run sampled its one step only');
  const step2 = (lines(join(out, 'completions.jsonl')) as { step: number; prompt: string }[]).filter((r) => r.step === 2 && r.prompt.endsWith(R));
  assert.ok(step2.length > 0, 'step 2 has restart rows');
  for (const r of step2) assert.match(r.prompt, /(Add: \\boxed\{3\}|So \\boxed\{5\})<\|reflect\|>$/);
});

test('on the Countdown task the reader follows the task and held-out evaluations carry the COAT metrics', { timeout: 120_000 }, async () => {
  const root = scratchDir('aha-coat-grpo-');
  addTokensToFolder(join(packageRoot(), 'models/aha-tiny-countdown'), join(root, 'cd'));
  const out = join(root, 'run');
  const opts = prepareGrpo(coat({ task: 'countdown', difficulty: [0], model: join(root, 'cd'), coat_restart_share: 0, eval_problems: 2, max_steps: 1, max_completion_length: 16, output_dir: out }), { quiet: true });
  assert.equal(opts.config.coat_reader, 'countdown');
  assert.deepEqual(opts.rewardNames, ['countdown_accuracy', 'format_lenient', 'coat_reflection']);
  await runGrpo(opts);
  const evals = lines(join(out, 'eval.jsonl'));
  assert.equal(evals.length, 2);
  for (const e of evals) for (const k of ['coat/reflect_per_answer', 'coat/reflect_changed', 'coat/restart_share']) assert.equal(typeof e[k], 'number', k);
  assert.equal(existsSync(join(out, COAT_RESTARTS_FILE)), false, 'no buffer with coat_restart_share 0');
});
