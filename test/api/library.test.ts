// The library API as users call it (src/index.ts, the package root): TRL-named configs mapped
// onto aha's settings with unknown keys refused, TypeScript batch rewards beside the built-in
// ones, callbacks, stop(), user tasks, SFT and evaluation. Tiny random models keep it quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AhaError, GRPO_CONFIG_KEYS, GRPOTrainer, SFTTrainer, defineReward, defineTask, evaluate, frame, getReward, getTask, verifyMath, type Example, type LogMetrics, type Problem } from '../../src/index.js';
import { fromTrlGrpoConfig } from '../../src/rl/trl-config.js';
import { DEFAULT_CONFIG } from '../../src/rl/config.js';
import { additionData, tempDir, tinyModelDir } from '../sft/helpers.js';

const aha = (re: RegExp) => (e: unknown) => e instanceof AhaError && re.test(e.message);

/** A small prompt file in the R1-Zero frame. */
function sumsFile(n = 6): string {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, question: `Compute ${i}+${i + 1}.`, answer: String(2 * i + 1) }));
  const file = join(tempDir('aha-api-data-'), 'sums.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const tiny = { num_generations: 2, max_completion_length: 12, max_steps: 2, save_steps: 0, disable_tqdm: true } as const;

test('GRPOConfig: TRL names map onto aha settings, batch sizes counted in completions', () => {
  const { config, quiet, rewardWeights } = fromTrlGrpoConfig({
    learning_rate: 3e-6, num_generations: 4, per_device_train_batch_size: 8, gradient_accumulation_steps: 2, beta: 0.04,
    epsilon_high: 0.28, loss_type: 'dapo', scale_rewards: false, reward_weights: [1, 0.5], disable_tqdm: true, output_dir: 'out',
  });
  assert.equal(config.learning_rate, 3e-6);
  assert.equal(config.prompts_per_step, 4, '8 completions x 2 micro-batches / 4 per group');
  assert.equal(config.gradient_accumulation_steps, 2);
  assert.equal(config.scale_rewards, 'none');
  assert.equal(config.loss_type, 'dapo');
  assert.equal(config.epsilon_high, 0.28);
  assert.equal(config.output_dir, 'out');
  assert.equal(quiet, true);
  assert.deepEqual(rewardWeights, [1, 0.5]);
  assert.equal(fromTrlGrpoConfig({ num_generations: 4, generation_batch_size: 12 }).config.prompts_per_step, 3);
  assert.equal(fromTrlGrpoConfig({ scale_rewards: true }).config.scale_rewards, 'group');
  // Every setting of `aha train` is there under its own name, but those the trainer takes itself.
  const own = ['model', 'task', 'data', 'rewards'];
  assert.deepEqual(Object.keys(DEFAULT_CONFIG).filter((k) => !own.includes(k) && !GRPO_CONFIG_KEYS.includes(k)), []);
  for (const k of own) assert.throws(() => fromTrlGrpoConfig({ [k]: 'x' } as never), aha(new RegExp(`GRPOConfig(\\.${k} is not supported|: unknown option "${k}")`)));
});

test('GRPOConfig: an unknown key, a TRL option aha lacks, or a batch that splits a group is an error naming it', () => {
  assert.throws(() => fromTrlGrpoConfig({ learning_rte: 1 } as never), aha(/GRPOConfig: unknown option "learning_rte" \(did you mean "learning_rate"\?\); known: .*learning_rate/));
  assert.throws(() => fromTrlGrpoConfig({ num_train_epochs: 1 } as never), aha(/GRPOConfig\.num_train_epochs is not supported: aha trains for max_steps/));
  assert.throws(() => fromTrlGrpoConfig({ num_generations: 4, per_device_train_batch_size: 6 }), aha(/\(6\) must be a multiple of num_generations \(4\)/));
  assert.throws(() => fromTrlGrpoConfig({ num_generations: 2, per_device_train_batch_size: 4, generation_batch_size: 6 }), aha(/generation_batch_size 6 must equal/));
  assert.throws(() => fromTrlGrpoConfig({ num_generations: 2, per_device_train_batch_size: 4, prompts_per_step: 3 }), aha(/prompts_per_step 3 disagrees/));
  // Ranges are checked in the constructor, before any file is opened.
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', args: { num_generations: 1 } }), aha(/group size \(num_generations\) must be an integer >= 2/));
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', reward_funcs: ['nope'] }), aha(/reward_funcs\[0\]: unknown reward "nope"/));
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', train_dataset: 'x.jsonl' }), aha(/give train_dataset .* or task .*, one of them/));
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', reward_funcs: ['accuracy', 'format'], args: { reward_weights: [1] } }), aha(/1 weights for 2 reward functions/));
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', reward_funcs: [(c: string[]) => c.map(() => 1)] }), aha(/anonymous function; give it a name/));
  // Chat-template variables: TRL's chat_template_kwargs, checked at construction (a task's text prompts take none).
  assert.throws(() => new GRPOTrainer({ train_dataset: 'x.jsonl', args: { chat_template_kwargs: { messages: 'x' } } }), aha(/chat_template_kwargs: "messages" is set by aha itself/));
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', args: { chat_template_kwargs: { enable_thinking: false } } }), aha(/chat_template_kwargs: a task's prompts are text/));
  assert.deepEqual(new GRPOTrainer({ train_dataset: 'x.jsonl', args: { chat_template_kwargs: { enable_thinking: false } } }).config.chat_template_kwargs, { enable_thinking: false });
});

test('a TypeScript reward sees each step\'s completions in one call, declines with null, and trains beside built-ins; callbacks see every step', async () => {
  const batches: number[] = [];
  function evenLength(completions: string[], examples: Example[]): (number | null)[] {
    batches.push(completions.length);
    assert.equal(examples.length, completions.length);
    // Declines the first problem's completions: their rows get no score from this reward.
    return completions.map((c, i) => (examples[i].id === 'q0' ? null : c.length % 2 === 0 ? 1 : 0));
  }
  const logged: number[] = [];
  const ended: number[] = [];
  const saved: string[] = [];
  const out = join(tempDir('aha-api-run-'), 'run');
  const trainer = new GRPOTrainer({
    model: tinyModelDir(),
    train_dataset: sumsFile(),
    reward_funcs: [evenLength, 'format_lenient'],
    args: { ...tiny, per_device_train_batch_size: 6, reward_weights: [1, 0.2], output_dir: out, seed: 3 },
    callbacks: [
      { onLog: (m: LogMetrics, step: number) => void logged.push(step), onStepEnd: (step: number) => void ended.push(step) },
      { onSave: (dir: string) => void saved.push(dir) },
    ],
  });
  assert.deepEqual(trainer.config.rewards, [{ name: 'evenLength', weight: 1 }, { name: 'format_lenient', weight: 0.2 }]);
  const result = await trainer.train();
  assert.equal(result.global_step, 2);
  assert.equal(result.interrupted, false);
  assert.deepEqual(batches, [6, 6], 'one call per step with its 3 prompts x 2 completions');
  assert.deepEqual(logged, [1, 2]);
  assert.deepEqual(ended, [1, 2]);
  assert.deepEqual(saved, [result.checkpoint_dir]);
  const rows = readFileSync(join(out, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { problem_id: string; rewards: Record<string, number | null> });
  for (const r of rows) assert.equal(r.rewards.evenLength === null, r.problem_id === 'q0', `declined exactly for q0 (${r.problem_id})`);
});

test('a batch reward must return one finite score or null per completion: anything else names the reward', async () => {
  const { batchReward } = await import('../../src/rewards/define.js');
  const short = batchReward('short', () => [1]);
  await assert.rejects(Promise.all([short.score('a', {}), short.score('b', {})]), aha(/reward "short" returned 1 scores for 2 completions/));
  const nan = batchReward('nan', (c) => c.map(() => NaN));
  await assert.rejects(Promise.resolve(nan.score('a', {})), aha(/reward "nan" returned NaN for completion 0/));
  const asyncOk = batchReward('later', async (c) => c.map((s) => (s === 'skip' ? undefined : s.length)));
  assert.deepEqual(await Promise.all([asyncOk.score('abc', {}), asyncOk.score('skip', {})]), [3, null]);
});

test('defineReward registers a reward usable by name (with a weight) beside the built-ins; names are checked', () => {
  const fn = defineReward('api_test_len', (completions) => completions.map((c) => c.length / 100), { description: 'length / 100' });
  assert.equal(getReward('api_test_len'), fn);
  assert.throws(() => defineReward('api_test_len', () => []), aha(/a reward named "api_test_len" already exists/));
  assert.throws(() => defineReward('accuracy', () => []), aha(/already exists/));
  assert.throws(() => defineReward('Bad Name', () => []), aha(/name "Bad Name" is not valid/));
  const trainer = new GRPOTrainer({ task: 'arithmetic', reward_funcs: ['arithmetic_accuracy', 'api_test_len:0.5'] });
  assert.deepEqual(trainer.config.rewards, [{ name: 'arithmetic_accuracy', weight: 1 }, { name: 'api_test_len', weight: 0.5 }]);
  assert.deepEqual(new GRPOTrainer({ task: 'arithmetic', reward_funcs: fn }).config.rewards, [{ name: 'api_test_len', weight: 1 }]);
  const impostor = { name: 'accuracy', description: 'not the built-in', score: () => 1 };
  assert.throws(() => new GRPOTrainer({ task: 'arithmetic', reward_funcs: [impostor] }), aha(/a different reward named "accuracy" already exists/));
});

test('stop() from a callback ends the run after that step with a checkpoint, and train({ resume_from_checkpoint }) continues it', async () => {
  const out = join(tempDir('aha-api-run-'), 'run');
  const model = tinyModelDir();
  const data = sumsFile();
  const opts = { model, train_dataset: data, reward_funcs: ['accuracy'], args: { ...tiny, max_steps: 3, output_dir: out } };
  const first: GRPOTrainer = new GRPOTrainer({ ...opts, callbacks: [{ onStepEnd: (step: number) => (step === 1 ? first.stop() : undefined) }] });
  const stopped = await first.train();
  assert.equal(stopped.interrupted, true);
  assert.equal(stopped.global_step, 1);
  assert.match(stopped.checkpoint_dir ?? '', /step-1$/);
  const steps: number[] = [];
  const resumed = await new GRPOTrainer({ ...opts, callbacks: [{ onLog: (_m: LogMetrics, step: number) => void steps.push(step) }] }).train({ resume_from_checkpoint: true });
  assert.equal(resumed.global_step, 3);
  assert.deepEqual(steps, [2, 3]);
});

test('defineTask: a user task trains by name with its verifier as <name>_accuracy and held-out evaluation; a bad problem is named', async () => {
  const generate = ({ split, count, seed }: { split: string; count: number; seed: number }): Problem[] =>
    Array.from({ length: count }, (_, i) => {
      const a = (seed + i * 7) % 10;
      const b = split === 'train' ? 1 : 2; // the splits never share a problem
      return { id: `twice-${split}-${a}-${b}`, prompt: frame(`Compute ${a}+${a}+${b}.`), gold: String(2 * a + b), difficulty: 1, meta: { a, b } };
    }).filter((p, i, all) => all.findIndex((q) => q.id === p.id) === i);
  const task = defineTask({ name: 'api_twice', description: 'a+a+b', generate });
  assert.equal(getTask('api_twice'), task);
  const verdict = task.verify('<think>\n2+2+1\n</think>\n<answer>\n5\n</answer>', task.generate({ split: 'train', count: 1, seed: 2, difficulty: 1 })[0]);
  assert.deepEqual(verdict, { correct: true, extracted: '5' });
  assert.equal(await getReward('api_twice_accuracy').score('<answer>5</answer>', { gold: '5', id: 'x', a: 2, b: 1 }), 1);
  assert.throws(() => defineTask({ name: 'api_twice', generate }), aha(/a task named "api_twice" already exists/));

  const evals: number[] = [];
  const trainer = new GRPOTrainer({
    model: tinyModelDir(), task: 'api_twice', args: { ...tiny, max_steps: 1, eval_problems: 3, output_dir: join(tempDir('aha-api-run-'), 'run') },
    callbacks: [{ onEvaluate: (m: LogMetrics, step: number) => void evals.push(step, m.n) }],
  });
  assert.deepEqual(trainer.config.rewards, []);
  const r = await trainer.train();
  assert.equal(r.global_step, 1);
  assert.deepEqual(evals, [0, 3, 1, 3], 'held-out evaluation before and after training, 3 problems each');

  defineTask({ name: 'api_broken', generate: ({ count }) => Array.from({ length: count }, (_, i) => ({ id: `b${i}`, prompt: 'x', gold: '', difficulty: 1, meta: {} })) });
  await assert.rejects(new GRPOTrainer({ model: tinyModelDir(), task: 'api_broken', args: { ...tiny, output_dir: join(tempDir('aha-api-run-'), 'run') } }).train(), aha(/task "api_broken": generate\(\) problem 0, field "gold": must be a non-empty string/));
});

test('SFTTrainer: SFTConfig under TRL names trains, calls back every step and evaluates; unknown keys and bad values are named', async () => {
  assert.throws(() => new SFTTrainer({ model: 'm', train_dataset: 'd', args: { num_epochs: 1 } as never }), aha(/SFTConfig: unknown option "num_epochs"; known: .*num_train_epochs/));
  assert.throws(() => new SFTTrainer({ model: 'm', train_dataset: 'd', args: { learning_rate: -1 } }), aha(/SFTConfig\.learning_rate must be a number > 0, got -1/));
  assert.throws(() => new SFTTrainer({ model: 'm', train_dataset: 'd', args: { lr_scheduler_type: 'step' as never } }), aha(/lr_scheduler_type must be constant, linear or cosine/));
  // The same bound as `aha sft --max-length`: a one-token window has nothing to predict.
  assert.throws(() => new SFTTrainer({ model: 'm', train_dataset: 'd', args: { max_length: 1 } }), aha(/SFTConfig\.max_length must be an integer >= 2, got 1/));
  const logged: number[] = [];
  const evalLoss: number[] = [];
  const saved: string[] = [];
  const trainer = new SFTTrainer({
    model: tinyModelDir(), train_dataset: additionData(16),
    args: { output_dir: join(tempDir('aha-api-sft-'), 'run'), max_steps: 2, per_device_train_batch_size: 4, learning_rate: 1e-3, max_length: 64, eval_fraction: 0.25, packing: true, disable_tqdm: true },
    callbacks: [{ onLog: (_m: LogMetrics, step: number) => void logged.push(step), onEvaluate: (m: LogMetrics) => void evalLoss.push(m.eval_loss), onSave: (dir: string) => void saved.push(dir) }],
  });
  assert.equal(trainer.options.batching, 'packed');
  assert.equal(trainer.options.seqLen, 64);
  const r = await trainer.train();
  assert.equal(r.global_step, 2);
  assert.deepEqual(logged, [1, 2]);
  assert.equal(evalLoss.length, 1);
  assert.deepEqual(saved, [r.checkpoint_dir]);
  assert.ok(Number.isFinite(r.training_loss) && evalLoss[0] === r.eval_loss);
  assert.ok(r.model_dir !== null && readFileSync(join(r.model_dir, 'config.json'), 'utf8').includes('llama'));
});

test('evaluate() runs a local model on a JSON Lines file; verifyMath judges answers', async () => {
  const file = join(tempDir('aha-api-eval-'), 'two.jsonl');
  writeFileSync(file, '{"id":"a","problem":"1+1?","answer":"2"}\n{"id":"b","problem":"2+2?","answer":"4"}\n');
  const result = await evaluate({ data: file, model: tinyModelDir(), api: 'completions', samples: 2, maxTokens: 6, out: join(tempDir('aha-api-eval-'), 'samples.jsonl') });
  assert.equal(result.problems, 2);
  assert.equal(result.samples, 2);
  assert.deepEqual(result.perProblem.map((p) => [p.id, p.samples]), [['a', 2], ['b', 2]]);
  assert.ok(result.metrics['pass@1'] >= 0 && result.metrics['pass@1'] <= 1);
  await assert.rejects(evaluate({ data: 'no-such-benchmark', model: 'm' }), aha(/not a bundled benchmark/));
  await assert.rejects(evaluate({ data: file, model: 'm', sample: 3 } as never), aha(/evaluate: unknown option "sample" \(did you mean "samples"\?\); known: .*samples/));
  await assert.rejects(evaluate({ data: file, model: 'm', samples: 0 }), aha(/evaluate: samples must be an integer from 1 to 1024, got 0/));
  // Chat-template variables: only for the chat API, and only values a template can take.
  await assert.rejects(evaluate({ data: file, model: 'm', api: 'completions', chatTemplateArgs: { enable_thinking: false } }), aha(/evaluate: chatTemplateArgs apply to the chat API/));
  await assert.rejects(evaluate({ data: file, model: 'm', chatTemplateArgs: { think: [] } as never }), aha(/evaluate: chatTemplateArgs\.think must be a string, number, boolean or null, got \[\]/));
  await assert.rejects(evaluate({ data: file, model: 'm', chatTemplateArgs: { messages: 'x' } }), aha(/evaluate: chatTemplateArgs: "messages" is set by aha itself/));
  assert.equal(verifyMath('so the answer is \\boxed{\\frac{1}{2}}', '0.5').equal, true);
});
