// `aha train` as a user runs it: a model folder, a task, held-out evaluation, and the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModel } from '../../src/model/load-model.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { createTransformer } from '../../src/model/transformer.js';
import { CHARSET } from '../../src/tasks/charset.js';
import { scratchDir } from '../scratch-dir.js';

test('aha train on a model folder writes metrics, held-out evaluations before and after, and the report', () => {
  const dir = scratchDir('aha-train-cli-');
  const tokenizer = new CharTokenizer({ chars: CHARSET });
  const model = createTransformer({
    model_type: 'llama', vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 192, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: true, eos_token_id: tokenizer.eosId,
  }, { seed: 3 });
  saveModel(model, tokenizer, join(dir, 'model'));
  const run = join(dir, 'run');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--model', join(dir, 'model'), '--task', 'arithmetic',
    '--steps', '2', '--prompts-per-step', '2', '--group-size', '2', '--max-completion-length', '16', '--eval-problems', '3',
    '--save-steps', '1', '--save-total-limit', '1', '--output', run, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /report: .*report\.html/);
  assert.match(r.stderr, /held-out \(3 problems\), step 0 -> 2: accuracy \d\.\d{3} -> \d\.\d{3}, mean length [\d.]+ -> [\d.]+ tokens/);
  const lines = (f: string) => readFileSync(join(run, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines('metrics.jsonl').map((l) => l.step), [1, 2]);
  assert.deepEqual(lines('eval.jsonl').map((l) => [l.step, l.split, l.n]), [[0, 'heldout', 3], [2, 'heldout', 3]]);
  assert.ok(existsSync(join(run, 'report.html')));
  assert.ok(existsSync(join(run, 'checkpoints', 'step-2', 'model.safetensors')));
  assert.deepEqual(readdirSync(join(run, 'checkpoints')), ['step-2'], '--save-total-limit 1 keeps only the newest checkpoint');
  assert.equal((JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as Record<string, unknown>).save_total_limit, 1);
  assert.ok(existsSync(join(run, 'curves')) && readdirSync(join(run, 'curves')).some((f) => f.endsWith('.png')), 'curves as pictures');
  assert.deepEqual(lines('eval_completions.jsonl').map((l) => l.step), [0, 0, 0, 2, 2, 2]);
  // The same command again refuses to overwrite the run.
  const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--model', join(dir, 'model'), '--steps', '1', '--output', run, '--quiet'], { encoding: 'utf8' });
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stderr, /already holds a run; pass --resume to continue it, or choose another --output/);
  const zero = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--model', join(dir, 'model'), '--save-total-limit', '0', '--output', join(dir, 'run0'), '--quiet'], { encoding: 'utf8' });
  assert.equal(zero.status, 2, zero.stderr);
  assert.match(zero.stderr, /^aha: --save-total-limit: save_total_limit must be an integer >= 1/);
  assert.equal(existsSync(join(dir, 'run0')), false, 'nothing written');
});

/** `aha train` with only small-budget flags (and `extra`), in a scratch run folder; returns the run's config.json. */
function trainDemo(extra: string[]): Record<string, unknown> {
  const run = join(scratchDir('aha-train-demo-'), 'run');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', ...extra, '--steps', '1', '--prompts-per-step', '2', '--group-size', '2',
    '--max-completion-length', '24', '--eval-problems', '2', '--save-steps', '0', '--output', run, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /held-out \(2 problems\), step 0 -> 1/);
  return JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
}

test('aha train with no model, data or config trains the bundled Countdown model on the demo settings', () => {
  const config = trainDemo([]);
  assert.match(String(config.model), /models[\\/]aha-tiny-countdown$/);
  assert.equal(config.task, 'countdown');
  assert.deepEqual(config.difficulty, [0]);
  // Rule-based rewards only: the task's exact check and the format; nothing pays for length or reflection.
  assert.deepEqual((config.rewards as { name: string }[]).map((x) => x.name), ['countdown_accuracy', 'format_lenient']);
});

test('aha train --task arithmetic trains the arithmetic base model on the arithmetic demo settings', () => {
  const config = trainDemo(['--task', 'arithmetic']);
  assert.match(String(config.model), /models[\\/]aha-tiny-base$/);
  assert.equal(config.task, 'arithmetic');
  assert.deepEqual(config.difficulty, [2, 3]);
  assert.deepEqual((config.rewards as { name: string }[]).map((x) => x.name), ['arithmetic_accuracy', 'format_lenient']);
});
