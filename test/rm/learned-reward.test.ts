// A reward model as a reward: the rm:<folder>:<weight> spec, batched scoring of a whole step in
// one forward, the kinds' score shapes, the hacking watch's flag logic on hand-made series, and a
// tiny GRPO run with a learned reward logging learned and gold scores side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRewardModel, rewardInput, saveRewardModel, stepInput } from '../../src/model/reward-model.js';
import { parseRewardSpec } from '../../src/rewards/spec.js';
import { DEFAULT_CONFIG } from '../../src/rl/config.js';
import { HackingWatch, hackingTurn, type WatchPoint } from '../../src/rl/hacking-watch.js';
import { rewardModelReward } from '../../src/rl/reward-model-reward.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import type { ScoredRow } from '../../src/rl/rollout.js';
import { tempDir, tinyLmDir, tok } from './helpers.js';

test('reward specs name a reward model as rm:<folder>[:<weight>], the folder may hold colons', () => {
  assert.deepEqual(parseRewardSpec('accuracy,rm:runs/rm:0.5'), [{ name: 'accuracy', weight: 1 }, { name: 'rm:runs/rm', weight: 0.5 }]);
  assert.deepEqual(parseRewardSpec('rm:C:/models/rm'), [{ name: 'rm:C:/models/rm', weight: 1 }]);
  assert.deepEqual(parseRewardSpec(['rm:a:b:-1e-1']), [{ name: 'rm:a:b', weight: -0.1 }]);
  assert.throws(() => parseRewardSpec('rm:'), /give the reward model folder/);
});

test('a learned reward scores a whole step in one batched forward; outcome scores are probabilities, PRM the min over steps', async () => {
  const rm = createRewardModel(tinyLmDir(), { kind: 'preference', seed: 4 });
  let calls = 0;
  const scoreAt = rm.scoreAt.bind(rm);
  rm.scoreAt = (seqs, pos) => {
    calls++;
    return scoreAt(seqs, pos);
  };
  const fn = rewardModelReward(rm, 'rm:x');
  const completions = ['42', '41', '<answer>7</answer>', '9'];
  const got = await Promise.all(completions.map((c) => fn.score(c, { prompt: 'Q: ' })));
  assert.equal(calls, 1);
  const direct = rm.scoreSequences(completions.map((c) => rewardInput(tok, 'Q: ', c)));
  got.forEach((g, i) => assert.ok(Math.abs((g as number) - direct[i]) < 1e-6));
  assert.equal(fn.score('42', {}), null, 'no prompt: declined');

  const orm = createRewardModel(tinyLmDir(), { kind: 'outcome', seed: 4 });
  const o = (await rewardModelReward(orm, 'rm:o').score('42', { prompt: 'Q: ' })) as number;
  assert.ok(Math.abs(o - 1 / (1 + Math.exp(-orm.scoreSequences([rewardInput(tok, 'Q: ', '42')])[0]))) < 1e-6);

  const prm = createRewardModel(tinyLmDir(), { kind: 'process', seed: 4 });
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  // The completion is read as training reads a record's steps: split at the separator (a blank line
  // is no step), each step followed by the separator token, the last one too; the prompt's
  // separator is never a step.
  const s = stepInput(tok, '\n', prm.stepSeparatorId!, 'Q:\n', ['a', 'b', 'c']);
  const stepScores = prm.scoreAt([s.ids], [s.positions])[0];
  const expected = Math.min(...Array.from(stepScores, sig));
  for (const completion of ['a\nb\nc', 'a\nb\n\nc\n']) {
    const p = (await rewardModelReward(prm, 'rm:p').score(completion, { prompt: 'Q:\n' })) as number;
    assert.ok(Math.abs(p - expected) < 1e-6, `${JSON.stringify(completion)}: ${p} vs ${expected}`);
  }
  // The last step is scored at its separator, where training put its label, not at its last character.
  const lastChar = prm.scoreAt([rewardInput(tok, 'Q:\n', 'a\nb\nc')], [[tok.encode('Q:\na\nb\nc').length - 1]])[0][0];
  assert.notEqual(lastChar, stepScores[2]);
  const only = (await rewardModelReward(prm, 'rm:p').score('c', { prompt: 'Q:\n' })) as number;
  const one = stepInput(tok, '\n', prm.stepSeparatorId!, 'Q:\n', ['c']);
  assert.ok(Math.abs(only - sig(prm.scoreAt([one.ids], [one.positions])[0][0])) < 1e-6, 'one step without a separator is one scored step');
});

const pts = (learned: number[], gold: number[]): WatchPoint[] => learned.map((l, i) => ({ step: 10 * i, learned: l, gold: gold[i] }));

test('the watch flags the first evaluation after N evaluations past gold\'s peak with learned up and gold down, not before, and not on noise', () => {
  // Gold rises with the proxy, then turns at index 3 while the proxy keeps rising.
  const turn = pts([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], [0.2, 0.4, 0.5, 0.45, 0.4, 0.3, 0.2]);
  assert.equal(hackingTurn(turn, 3), 5);
  assert.equal(hackingTurn(turn, 2), 4);
  assert.equal(hackingTurn(turn, 1), 3);
  // Both rising, or gold wobbling: no flag.
  assert.equal(hackingTurn(pts([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]), 1), null);
  assert.equal(hackingTurn(pts([0.1, 0.2, 0.3, 0.4, 0.5], [0.4, 0.42, 0.39, 0.43, 0.41]), 2), null);
  // One noisy evaluation (the proxy dips, gold bounces) does not hide a sustained turn after gold's peak.
  // The first 7 evaluations of bench:rm seed 1 (docs/reward-models.md).
  const noisy = pts([0.276, 0.338, 0.38, 0.377, 0.415, 0.409, 0.412], [0.32, 0.343, 0.239, 0.255, 0.212, 0.261, 0.196]);
  assert.equal(hackingTurn(noisy, 2), 3);
  assert.equal(hackingTurn(noisy, 2, 0.05), 3);
  assert.equal(hackingTurn(noisy, 2, 0.1), null, 'gold must fall more than minDrop below its peak');
  // The proxy falling with gold is not hacking.
  assert.equal(hackingTurn(pts([0.5, 0.4, 0.3], [0.5, 0.4, 0.3]), 1), null);

  const rows = (learned: number, correct: number): ScoredRow[] =>
    [0, 1].map((i) => ({ scores: [1, learned], correct: i < correct } as unknown as ScoredRow));
  const w = new HackingWatch({ learned: [1], window: 2, quiet: true });
  const series: [number, number][] = [[0.1, 1], [0.2, 2], [0.3, 1], [0.4, 0]];
  const flags = series.map(([l, c], i) => w.observe(i * 5, rows(l, c)).hacking_flag);
  assert.deepEqual(flags, [0, 0, 0, 1]);
  assert.equal(w.flaggedStep, 15);
  assert.deepEqual(w.fields(), { 'watch/learned': 0.4, 'watch/gold': 0, 'watch/hacking_flag': 1, 'watch/flagged_step': 15 });
});

test('a GRPO run with a learned reward logs the learned score beside the verifier on held-out problems', async () => {
  const base = tinyLmDir();
  const rmDir = join(tempDir('rm-grpo'), 'rm');
  saveRewardModel(createRewardModel(base, { kind: 'preference', seed: 1 }), rmDir);
  const run = join(tempDir('rm-grpo-run'), 'run');
  const opts = prepareGrpo({
    ...DEFAULT_CONFIG, task: 'arithmetic', model: base, output_dir: run, rewards: [{ name: 'arithmetic_accuracy', weight: 1 }, { name: `rm:${rmDir}`, weight: 0.5 }],
    max_steps: 2, num_generations: 2, prompts_per_step: 2, max_completion_length: 6, eval_problems: 3, eval_steps: 1, beta: 0, save_steps: 0,
  }, { quiet: true });
  assert.ok(opts.watch, 'a learned reward brings the watch');
  await runGrpo(opts);
  const evals = readFileSync(join(run, 'eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(evals.length, 3);
  for (const e of evals) {
    assert.ok(Number.isFinite(e.learned_score) && e.gold_score === e.accuracy, JSON.stringify(e));
    assert.equal(e.hacking_flag, 0);
  }
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(metrics.length, 2);
  // Each step's line carries the last evaluation's scores (step 1's: the step-0 evaluation).
  metrics.forEach((m, i) => assert.equal(m['watch/learned'], evals[i].learned_score));
});

test('scoped to unverifiable prompts (R1\'s final stage), a learned reward declines prompts with gold or code tests', async () => {
  const rm = createRewardModel(tinyLmDir(), { kind: 'preference', seed: 4 });
  const fn = rewardModelReward(rm, 'rm:x', 'unverifiable');
  assert.equal(fn.score('42', { prompt: 'Q: ', gold: '42' }), null);
  assert.equal(fn.score('42', { prompt: 'Q: ', tests: [{ input: '', output: '1' }], language: 'python' }), null);
  assert.equal(typeof (await fn.score('42', { prompt: 'Q: ' })), 'number');
});

test('a recipe stage trains a reward model, and learned_on needs a learned reward among the rewards', async () => {
  const { parseRecipe } = await import('../../src/pipeline/recipe.js');
  const dir = tempDir('rm-recipe');
  const base = tinyLmDir();
  const pairs = join(dir, 'pairs.jsonl');
  (await import('node:fs')).writeFileSync(pairs, JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' }) + '\n');
  const stage = (extra: string) => `name: r\nstages:\n  - name: rm\n    kind: reward_model\n    config:\n      model: ${base}\n      data: ${pairs}\n      epochs: 1\n  - name: rl\n    kind: grpo\n    config:\n      model: ${base}\n      task: arithmetic\n${extra}`;
  const ok = parseRecipe(stage('      rewards: ["arithmetic_accuracy", "rm:${stages.rm.output}:0.5"]\n      learned_on: unverifiable\n'), 'r.yaml');
  assert.deepEqual(ok.stages.map((s) => s.kind), ['reward_model', 'grpo']);
  assert.throws(() => parseRecipe(stage('      rewards: ["arithmetic_accuracy"]\n      learned_on: unverifiable\n'), 'r.yaml'), /learned_on.*no learned reward/);
  assert.throws(() => parseRecipe(stage('      learned_on: some\n'), 'r.yaml'), /learned_on.*all or unverifiable/);
  assert.throws(() => parseRecipe(stage('').replace('epochs: 1', 'epochs: 0'), 'r.yaml'), /epochs/);
});
