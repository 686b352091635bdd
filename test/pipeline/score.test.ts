// SCoRe's recipe path (pipeline/score.ts) on the bundled Countdown base model (it ends its answers,
// which a random model does not) at tiny settings: the warm-up samples, pairs and fine-tunes into
// <output>/warmup, the run starts from the warmed-up model, a resumed run reuses the warm-up, and a
// taken folder is refused before anything is sampled; a kept warm-up is reused from a copy of the
// same model and refused for another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelDigest, prepareScoreRun, reuseScoreWarmup, scoreWarmup, WARMUP_DIR } from '../../src/pipeline/score.js';
import { DEFAULT_CONFIG, type GrpoConfig } from '../../src/rl/config.js';
import { SCORE_INSTRUCTION } from '../../src/rl/self-correction.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { packageRoot } from '../../src/util/paths.js';
import { tinyModelDir } from '../sft/helpers.js';
import { tempDir } from './helpers.js';

const countdown = join(packageRoot(), 'models/aha-tiny-countdown');

function tinyScore(model: string, out: string): GrpoConfig {
  return {
    ...DEFAULT_CONFIG, task: 'countdown', difficulty: [0], model, output_dir: out, max_steps: 1, prompts_per_step: 1, num_generations: 2, max_completion_length: 64,
    learning_rate: 1e-3, save_steps: 0, log_completions_steps: 0, eval_problems: 0, self_correction: 'score',
    score_warmup_prompts: 3, score_warmup_epochs: 1, score_warmup_batch_size: 2, score_warmup_learning_rate: 1e-3, seed: 5,
  };
}

test('SCoRe recipe: the warm-up fine-tunes on its own re-attempts, then the run starts from (and is held to) the warmed-up model', { timeout: 120_000 }, async () => {
  const model = countdown;
  const out = join(tempDir('aha-score-recipe-'), 'run');
  const { run, warmup } = await prepareScoreRun(tinyScore(model, out), { quiet: true });
  assert.ok(warmup);
  const dir = join(out, WARMUP_DIR);
  assert.equal(warmup.model, join(dir, 'sft', 'model'));
  assert.equal(warmup.from, model);
  assert.equal(warmup.samples, 6, '3 prompts x 2 samples');
  const transcripts = readJsonl(join(dir, 'reattempts.jsonl')).map((r) => r.value as { prompt: string; completion: string });
  assert.equal(transcripts.length, warmup.pairs);
  assert.equal(warmup.fixes + warmup.breaks + warmup.right_right + warmup.wrong_wrong, warmup.pairs);
  for (const t of transcripts) assert.ok(t.prompt.endsWith(SCORE_INSTRUCTION), 'a transcript is prompt + first answer + instruction');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'warmup.json'), 'utf8')), warmup);
  assert.ok(warmup.sft_steps >= 1 && Number.isFinite(warmup.training_loss));
  // The SCoRe run itself: the warmed-up model is its policy and its Stage I reference.
  assert.equal(run.configRecord!.model, warmup.model);
  assert.ok(run.reference, 'Stage I holds attempt 1 to the warmed-up model');
  await runGrpo(run);
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(saved.model, warmup.model);
  assert.equal(saved.score_warmup_prompts, 3);

  // The folder now holds a run: a fresh start is refused before any sampling (the warm-up is untouched).
  const stamp = statSync(join(dir, 'warmup.json')).mtimeMs;
  await assert.rejects(prepareScoreRun(tinyScore(model, out), { quiet: true }), /already holds a run; pass --resume/);
  assert.equal(statSync(join(dir, 'warmup.json')).mtimeMs, stamp);

  // bench:score --warmup-from: the kept warm-up is reused by a run from a copy of the same model in
  // another folder (its digest, not its path, is compared), and refused for another model or setting.
  assert.equal(warmup.from_digest, modelDigest(model));
  const root = tempDir('aha-score-reuse-');
  const copy = join(root, 'same-model');
  cpSync(model, copy, { recursive: true });
  writeFileSync(join(copy, 'README.md'), 'a note is not the model\n');
  const again = join(root, 'run');
  // The kept run's config.json holds its rewards resolved (the task's defaults); so does a bench config.
  const like = (m: string, o: string): GrpoConfig => ({ ...tinyScore(m, o), rewards: saved.rewards as GrpoConfig['rewards'] });
  const reused = reuseScoreWarmup(out, like(copy, again), again);
  assert.deepEqual(reused, { ...warmup, model: join(again, WARMUP_DIR, 'sft', 'model') });
  const resumed = await prepareScoreRun(like(copy, again), { quiet: true, resume: true });
  assert.deepEqual(resumed.warmup, reused, 'the copied warm-up is found finished, not redone');
  assert.equal(resumed.run.configRecord!.model, reused.model);
  assert.deepEqual(readFileSync(join(again, WARMUP_DIR, 'reattempts.jsonl'), 'utf8'), readFileSync(join(dir, 'reattempts.jsonl'), 'utf8'));
  // One changed weight byte is another model.
  const other = join(root, 'other-model');
  cpSync(model, other, { recursive: true });
  const weights = readFileSync(join(other, 'model.safetensors'));
  weights[weights.length - 1] ^= 1;
  writeFileSync(join(other, 'model.safetensors'), weights);
  assert.throws(() => reuseScoreWarmup(out, like(other, join(root, 'run2')), join(root, 'run2')), /config, weights or tokenizer differ/);
  assert.throws(() => reuseScoreWarmup(out, { ...like(copy, join(root, 'run3')), score_warmup_prompts: 4 }, join(root, 'run3')), /score_warmup_prompts 3, this run has 4/);
  assert.equal(existsSync(join(root, 'run2')) || existsSync(join(root, 'run3')), false, 'a refusal writes nothing');
  // The warm-up's transcripts depend on what attempt 2 reads of y1; a run kept before that key existed read all of it.
  assert.throws(() => reuseScoreWarmup(out, { ...like(copy, join(root, 'run4')), score_first_attempt_context: 'answer' }, join(root, 'run4')), /score_first_attempt_context "full", this run has "answer"/);
  const { score_first_attempt_context: _context, ...older } = saved;
  writeFileSync(join(out, 'config.json'), JSON.stringify(older));
  assert.equal(reuseScoreWarmup(out, like(copy, join(root, 'run5')), join(root, 'run5')).pairs, warmup.pairs);
  assert.throws(() => reuseScoreWarmup(out, { ...like(copy, join(root, 'run6')), score_first_attempt_context: 'answer' }, join(root, 'run6')), /score_first_attempt_context "full", this run has "answer"/);
});

test('SCoRe warm-up with score_first_attempt_context answer: each transcript shows the first attempt\'s answer without its think block', { timeout: 120_000 }, async () => {
  const out = join(tempDir('aha-score-answer-'), 'run');
  const warmup = await scoreWarmup({ ...tinyScore(countdown, out), score_first_attempt_context: 'answer' }, { quiet: true });
  const transcripts = readJsonl(join(out, WARMUP_DIR, 'reattempts.jsonl')).map((r) => r.value as { prompt: string; completion: string });
  assert.equal(transcripts.length, warmup.pairs);
  const firsts = transcripts.map((t) => t.prompt.slice(t.prompt.lastIndexOf('Assistant: ', t.prompt.length - SCORE_INSTRUCTION.length) + 'Assistant: '.length, -SCORE_INSTRUCTION.length));
  for (const y1 of firsts) assert.doesNotMatch(y1, /think>/, y1);
  assert.ok(firsts.some((y1) => /^<answer>[^]*<\/answer>$/.test(y1)), 'the first answers that closed their think block are their answer blocks');
  assert.ok(transcripts.every((t) => t.completion.includes('</think>') || !t.completion.includes('<answer>')), 'the second answers keep their reasoning');
});

test('SCoRe recipe: a run stopped after its warm-up resumes with the same warmed-up model and starts its GRPO stage', { timeout: 120_000 }, async () => {
  const out = join(tempDir('aha-score-resume-'), 'run');
  const config = tinyScore(countdown, out);
  const first = await scoreWarmup(config, { quiet: true });
  assert.equal(existsSync(join(out, 'config.json')), false);
  // Not resumed: the finished warm-up is another run's work.
  await assert.rejects(prepareScoreRun(config, { quiet: true }), /is not empty; choose another --output/);
  const { run, warmup } = await prepareScoreRun(config, { quiet: true, resume: true });
  assert.deepEqual(warmup, first, 'the warm-up is reused, not redone');
  assert.equal(run.resume, undefined, 'no GRPO checkpoint yet: its stage starts fresh');
  assert.equal(run.configRecord!.model, first.model);
});

test('SCoRe recipe: without a warm-up it is prepareGrpo; a warm-up needs SCoRe, and samples that never end are refused', async () => {
  const model = tinyModelDir(8);
  // A random model on arithmetic prompts (the tiny context fits them), 8 tokens per answer.
  const random = (out: string): GrpoConfig => ({ ...tinyScore(model, out), task: 'arithmetic', difficulty: null, max_completion_length: 8, score_instruction: '\nAgain:\n' });
  const off = { score_warmup_prompts: 0, score_warmup_epochs: 3, score_warmup_batch_size: 16, score_warmup_learning_rate: 3e-4 };
  const out = join(tempDir('aha-score-plain-'), 'run');
  const { run, warmup } = await prepareScoreRun({ ...random(out), ...off }, { quiet: true });
  assert.equal(warmup, null);
  assert.equal(run.configRecord!.model, model);
  assert.equal(existsSync(join(out, WARMUP_DIR)), false);
  await assert.rejects(scoreWarmup({ ...random(out), ...off }), /score_warmup_prompts: the warm-up needs self_correction: score/);
  // prepareGrpo (GRPOTrainer's way in) cannot run the warm-up, so it refuses rather than skip it.
  assert.throws(() => prepareGrpo(random(out), { quiet: true }), /score_warmup_prompts: the warm-up runs in `aha train`/);
  // It does not end its answers within 8 tokens: no second answer to learn, refused before any SFT.
  const cut = join(tempDir('aha-score-cut-'), 'run');
  await assert.rejects(scoreWarmup(random(cut)), /score_warmup_prompts: every one of the 6 warm-up samples ran to max_completion_length \(8\)/);
  assert.equal(existsSync(join(cut, WARMUP_DIR, 'sft')), false);
});

test('modelDigest: a copy elsewhere has the same digest; the chat template and the weights each change it; a README does not', () => {
  const root = tempDir();
  const a = join(root, 'a');
  cpSync(tinyModelDir(), a, { recursive: true });
  const digest = modelDigest(a);
  const b = join(root, 'b');
  cpSync(a, b, { recursive: true });
  assert.equal(modelDigest(b), digest);
  writeFileSync(join(b, 'README.md'), 'notes\n');
  assert.equal(modelDigest(b), digest, 'files that are not loaded do not count');
  writeFileSync(join(b, 'chat_template.jinja'), '{{ messages[0].content }}');
  assert.notEqual(modelDigest(b), digest, 'the chat template decides how prompts are rendered');
});
