// learned_on (R1's final stage) as a GRPO option: in one run the rule-based rewards score the
// prompts with a verifiable answer and the learned reward the others, each row only by its own
// source's rewards, with per-source metrics in metrics.jsonl; bad values fail with the field named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRewardModel, loadRewardModelSync, rewardInput, saveRewardModel } from '../../src/model/reward-model.js';
import { DEFAULT_CONFIG, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { prepareGrpo } from '../../src/rl/setup.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { tempDir, tinyLmDir } from './helpers.js';

type Line = Record<string, unknown>;
const jsonl = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A tiny base model, a preference reward model on it, and a data file: two prompts with gold, two without. */
function fixture(): { base: string; rmDir: string; data: string } {
  const base = tinyLmDir();
  const dir = tempDir('learned-on');
  const rmDir = join(dir, 'rm');
  saveRewardModel(createRewardModel(base, { kind: 'preference', seed: 3 }), rmDir);
  const data = join(dir, 'mixed.jsonl');
  const recs = [{ prompt: '1+1=', gold: '2' }, { prompt: 'be kind:' }, { prompt: '2+3=', gold: '5' }, { prompt: 'say hi:' }];
  writeFileSync(data, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { base, rmDir, data };
}

function config(f: { base: string; rmDir: string; data: string }, over: Partial<GrpoConfig>): GrpoConfig {
  return {
    ...DEFAULT_CONFIG, task: null, data: f.data, model: f.base, output_dir: join(tempDir('learned-on-run'), 'run'),
    rewards: [{ name: 'format_lenient', weight: 1 }, { name: `rm:${f.rmDir}`, weight: 0.5 }],
    max_steps: 2, prompts_per_step: 4, num_generations: 2, max_completion_length: 6, save_steps: 0, log_completions_steps: 1, beta: 0, ...over,
  };
}

test('learned_on unverifiable: rows of verifiable prompts get only the rule-based rewards, the others only the learned one, with per-source metrics', async () => {
  const f = fixture();
  const cfg = config(f, { learned_on: 'unverifiable', rewards: [{ name: 'accuracy', weight: 1 }, { name: `rm:${f.rmDir}`, weight: 0.5 }] });
  await runGrpo(prepareGrpo(cfg, { quiet: true }));
  const rm = loadRewardModelSync(f.rmDir);
  const name = `rm:${f.rmDir}`;
  const rows = jsonl(join(cfg.output_dir, 'completions.jsonl'));
  assert.equal(rows.length, 2 * 4 * 2, 'every sampled row of both steps');
  const byStep = new Map<number, Line[]>();
  for (const r of rows) {
    const rewards = r.rewards as Record<string, number | null>;
    if (r.gold !== null) {
      assert.ok(rewards.accuracy === 0 || rewards.accuracy === 1, JSON.stringify(r));
      assert.equal(rewards[name], null, 'a prompt with gold is not scored by the learned reward');
      assert.equal(r.reward, rewards.accuracy);
    } else {
      assert.equal(rewards.accuracy, null, 'a prompt without gold is not scored by the verifier');
      // The learned score is the reward model's on prompt + completion, weighted 0.5 in the total.
      const direct = rm.scoreSequences([rewardInput(rm.tokenizer, r.prompt as string, r.completion as string)])[0];
      assert.ok(Math.abs((rewards[name] as number) - direct) < 1e-5, `${rewards[name]} vs ${direct}`);
      assert.ok(Math.abs((r.reward as number) - 0.5 * direct) < 1e-5);
    }
    byStep.set(r.step as number, [...(byStep.get(r.step as number) ?? []), r]);
  }
  const metrics = jsonl(join(cfg.output_dir, 'metrics.jsonl'));
  assert.equal(metrics.length, 2);
  for (const m of metrics) {
    const mine = byStep.get(m.step as number)!;
    const ver = mine.filter((r) => r.gold !== null);
    const unv = mine.filter((r) => r.gold === null);
    assert.ok(ver.length > 0 && unv.length > 0, 'both sources sampled in a step of 4 prompts from 4');
    assert.equal(m['source/verifiable/rows'], ver.length);
    assert.equal(m['source/unverifiable/rows'], unv.length);
    const acc = (r: Line) => (r.rewards as Record<string, number>).accuracy;
    const learned = (r: Line) => (r.rewards as Record<string, number>)[name];
    assert.ok(Math.abs((m['source/verifiable/accuracy/mean'] as number) - mean(ver.map(acc))) < 1e-9);
    assert.ok(Math.abs((m[`source/unverifiable/${name}/mean`] as number) - mean(unv.map(learned))) < 1e-6);
    assert.ok(Math.abs((m['source/unverifiable/reward/mean'] as number) - mean(unv.map((r) => r.reward as number))) < 1e-6);
    assert.equal(m[`source/verifiable/${name}/mean`], undefined, 'the learned reward scored no verifiable row');
    assert.equal(m['source/unverifiable/accuracy/mean'], undefined, 'the verifier scored no unverifiable row');
  }
});

test('learned_on all (the default): the learned reward scores prompts with gold too, and no source metrics are logged', async () => {
  const f = fixture();
  const cfg = config(f, { max_steps: 1 });
  await runGrpo(prepareGrpo(cfg, { quiet: true }));
  const name = `rm:${f.rmDir}`;
  const rows = jsonl(join(cfg.output_dir, 'completions.jsonl'));
  assert.ok(rows.some((r) => r.gold !== null));
  for (const r of rows) assert.equal(typeof (r.rewards as Record<string, unknown>)[name], 'number');
  assert.ok(!Object.keys(jsonl(join(cfg.output_dir, 'metrics.jsonl'))[0]).some((k) => k.startsWith('source/')));
});

test('learned_on errors name the field: an unknown value, no learned reward to scope, prompts that are all verifiable', () => {
  const f = fixture();
  assert.throws(() => validateConfig(config(f, { learned_on: 'some' as never })), /^AhaError: learned_on must be all or unverifiable, got "some"/);
  assert.throws(() => validateConfig(config(f, { learned_on: 'unverifiable', rewards: [{ name: 'accuracy', weight: 1 }] })), /learned_on unverifiable scopes learned rewards, but no learned reward \(rm:<folder>\) is among the rewards \(accuracy\)/);
  assert.throws(() => validateConfig(config(f, { learned_on: 'unverifiable', rewards: [] })), /no learned reward .* \(the defaults\)/);
  // Every arithmetic task prompt has gold: the learned reward would score nothing, so setup refuses before loading the model.
  const task = config(f, { learned_on: 'unverifiable', task: 'arithmetic', data: null, model: '/nonexistent' });
  assert.throws(() => prepareGrpo(task, { quiet: true }), /learned_on unverifiable: every prompt of task:arithmetic has a verifiable answer/);
});

test('aha train --learned-on: refused with one line naming the field, exit 2, nothing written', () => {
  const out = join(tempDir('learned-on-cli'), 'run');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--task', 'arithmetic', '--learned-on', 'verifiable', '--output', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^aha: --learned-on: learned_on must be all or unverifiable, got "verifiable"\n$/);
  const noRm = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--task', 'arithmetic', '--learned-on', 'unverifiable', '--output', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(noRm.status, 2, noRm.stderr);
  assert.match(noRm.stderr, /^aha: --learned-on: learned_on unverifiable scopes learned rewards, but no learned reward/);
  assert.equal(existsSync(out), false, 'nothing written');
});
