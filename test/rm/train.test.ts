// Reward-model training end to end at tiny size: a preference model learns a separable preference
// (held-out pairwise accuracy), an outcome model with LoRA (AUC), a process model on step labels;
// data errors name file, line and field before any weights are read; AUC on hand-made cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRewardModel, loadRewardModelSync, rewardInput } from '../../src/model/reward-model.js';
import { noGrad } from '../../src/core/index.js';
import { readSafetensorsHeader } from '../../src/model/safetensors.js';
import { auc, evaluateRewardModel, padBatch, pairwiseAccuracy, readRmData, rewardLoss, trainRewardModel, labelSteps } from '../../src/rm/index.js';
import type { Encoded } from '../../src/rm/train.js';
import { tempDir, tinyLmDir, tok } from './helpers.js';

function jsonl(dir: string, name: string, rows: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

test('AUC and pairwise accuracy on hand-made cases (ties count half)', () => {
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(auc([1, 1], [0, 1]), 0.5);
  assert.ok(Number.isNaN(auc([1, 2], [1, 1])));
  assert.equal(pairwiseAccuracy([2, 1, 3], [1, 1, 4]), 0.5);
});

test('data files are checked record by record, naming file, line and field', () => {
  const dir = tempDir('rm-data');
  const bad = jsonl(dir, 'bad.jsonl', [{ prompt: 'a', chosen: 'x', rejected: 'y' }, { prompt: 'a', chosen: 'x', rejceted: 'y' }]);
  assert.throws(() => readRmData(bad), (e: Error) => e.message.includes(`${bad}:2`) && e.message.includes('rejceted'));
  const label = jsonl(dir, 'label.jsonl', [{ prompt: 'a', completion: 'x', label: 2 }]);
  assert.throws(() => readRmData(label), /label.*0, 1, true or false/);
  const steps = jsonl(dir, 'steps.jsonl', [{ prompt: 'a', steps: ['s1', 's2'], labels: [1] }]);
  assert.throws(() => readRmData(steps), /labels.*one label per step/);
  assert.equal(readRmData(jsonl(dir, 'ok.jsonl', [{ prompt: 'a', steps: ['s'], labels: [true] }])).kind, 'process');
  // A training run refuses bad data before it loads a model (the model folder does not even exist).
  assert.throws(() => trainRewardModel({ model: join(dir, 'nope'), data: bad, output: join(dir, 'out') }), /rejceted/);
});

/** Pairs whose chosen answer is all 7s and rejected all 3s: separable by the last token. */
function sevens(n: number): { prompt: string; chosen: string; rejected: string }[] {
  return Array.from({ length: n }, (_, i) => ({ prompt: `${i}+${i % 5}=`, chosen: '7'.repeat(1 + (i % 4)), rejected: '3'.repeat(1 + ((i + 1) % 4)) }));
}

test('the held-out loss is the training loss (Bradley-Terry for pairs, binary CE for labels) from one scoring pass', () => {
  for (const kind of ['preference', 'outcome'] as const) {
    const rm = createRewardModel(tinyLmDir(), { kind, seed: 3 });
    const items: Encoded[] = ['1+2=', '30*4=', '7='].map((prompt, i) => {
      const a = rewardInput(tok, prompt, `${i}${i}`), b = rewardInput(tok, prompt, 'no');
      return kind === 'preference'
        ? { seqs: [a, b], targets: [{ terms: [[0, a.length - 1, 1], [1, b.length - 1, -1]], cls: 1 }] }
        : { seqs: [a], targets: [{ terms: [[0, a.length - 1, 1]], cls: (i % 2) as 0 | 1 }] };
    });
    // The loss on the tape, one batch of every record, as training computes it.
    const seqs = items.flatMap((e) => e.seqs);
    const { ids, batch, seqLen, start } = padBatch(seqs, tok.padId);
    let base = 0;
    const terms = items.flatMap((e) => {
      const t = e.targets.map((x) => x.terms.map(([si, p, sign]) => ({ at: start(base + si) + p, sign })));
      base += e.seqs.length;
      return t;
    });
    const classes = Int32Array.from(items.flatMap((e) => e.targets.map((t) => t.cls)));
    const expected = noGrad(() => rewardLoss(rm, { ids, batch, seqLen, terms, classes }).data[0]);
    const got = evaluateRewardModel(rm, items);
    assert.ok(Math.abs(got.loss - expected) < 1e-5, `${kind}: held-out loss ${got.loss}, training loss ${expected}`);
  }
});

test('a preference model learns a separable preference: held-out pairwise accuracy 1', () => {
  const dir = tempDir('rm-pref');
  const data = jsonl(dir, 'pairs.jsonl', sevens(48));
  const out = join(dir, 'rm');
  const r = trainRewardModel({ model: tinyLmDir(), data, output: out, epochs: 3, batchSize: 8, learningRate: 3e-3, evalFraction: 0.25, quiet: true });
  assert.equal(r.kind, 'preference');
  assert.equal(r.heldout.n, 12);
  assert.equal(r.heldout.pairwise_accuracy, 1);
  assert.ok(r.heldout.loss < Math.log(2), `held-out loss ${r.heldout.loss}`);
  const saved = JSON.parse(readFileSync(join(out, 'rm_eval.json'), 'utf8')) as { heldout: { pairwise_accuracy: number } };
  assert.equal(saved.heldout.pairwise_accuracy, 1);
  const rm = loadRewardModelSync(out);
  const [good, badScore] = rm.scoreSequences([rewardInput(tok, '9+9=', '777'), rewardInput(tok, '9+9=', '333')]);
  assert.ok(good > badScore);
  assert.throws(() => trainRewardModel({ model: tinyLmDir(), data, output: out }), /already exists/);
});

test('an outcome model trains with LoRA on the body (head in full), saved merged; a process model on step labels', () => {
  const dir = tempDir('rm-orm');
  const rows = Array.from({ length: 40 }, (_, i) => ({ prompt: `${i}:`, completion: i % 2 ? 'yes' : 'no', label: i % 2 }));
  const out = join(dir, 'orm');
  const r = trainRewardModel({ model: tinyLmDir(), data: jsonl(dir, 'o.jsonl', rows), output: out, epochs: 3, learningRate: 5e-3, lora: 'r=4,alpha=8', evalFraction: 0.25, quiet: true });
  assert.equal(r.heldout.auc, 1);
  const names = [...readSafetensorsHeader(join(out, 'model.safetensors')).tensors.keys()];
  assert.ok(names.includes('score.weight') && !names.some((n) => n.includes('lora')), 'merged weights, no adapter tensors');
  const prm = join(dir, 'prm');
  const steps = Array.from({ length: 32 }, (_, i) => ({ prompt: `Q${i}:`, steps: ['a1', i % 2 ? 'b2' : 'c3'], labels: [1, i % 2] }));
  const p = trainRewardModel({ model: tinyLmDir(), data: jsonl(dir, 'p.jsonl', steps), output: prm, epochs: 4, learningRate: 5e-3, evalFraction: 0.25, quiet: true });
  assert.equal(p.kind, 'process');
  assert.ok(p.heldout.auc! > 0.9, `AUC ${p.heldout.auc}`);
  const loaded = loadRewardModelSync(prm);
  assert.equal(loaded.stepSeparator, '\n');
  assert.equal(loaded.kind, 'process');
});

test('Math-Shepherd labelling writes one hard and one soft label per step, from N rollouts per prefix', async () => {
  const dir = tempDir('rm-label');
  const data = jsonl(dir, 's.jsonl', [{ prompt: 'Q: 1+1? ', steps: ['1+1', '<answer>2</answer>'], gold: '2' }, { prompt: 'Q: 2+2? ', completion: 'x\n<answer>5</answer>', gold: '4' }]);
  const output = join(dir, 'labels.jsonl');
  const r = await labelSteps({ model: tinyLmDir(), data, output, rollouts: 2, maxNewTokens: 4, seed: 1 });
  assert.equal(r.records, 2);
  assert.equal(r.steps, 4);
  const rows = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { labels: number[]; soft_labels: number[] });
  // The random tiny policy cannot write an answer in 4 tokens: a prefix that already holds the
  // right answer is the only way to reach it, so the last step of the first solution is the only positive.
  assert.deepEqual(rows.map((x) => x.labels), [[0, 1], [0, 0]]);
  assert.deepEqual(rows[0].soft_labels, [0, 1]);
  assert.ok(existsSync(output));
  assert.equal(readRmData(output).kind, 'process');
});

test('aha rm train refuses a missing flag, an unknown kind and bad data before writing anything', async () => {
  const { runCommand } = await import('../cli/in-process.js');
  const { register } = await import('../../src/cli/commands/rm.js');
  const dir = tempDir('rm-cli');
  const out = join(dir, 'out');
  await assert.rejects(runCommand(register, 'rm', ['train', '--data', 'x.jsonl', '--output', out]), /--model <dir> is required/);
  await assert.rejects(runCommand(register, 'rm', ['train', '--model', 'm', '--data', 'x.jsonl', '--output', out, '--kind', 'vibes']), /--kind must be one of preference, outcome, process/);
  const bad = jsonl(dir, 'bad.jsonl', [{ prompt: 'a', chosen: 'b' }]);
  await assert.rejects(runCommand(register, 'rm', ['train', '--model', tinyLmDir(), '--data', bad, '--output', out]), /bad\.jsonl:1.*rejected.*missing/);
  // Flags that would be ignored are refused: a separator for non-step data, a fraction beside a held-out file.
  const pairs = jsonl(dir, 'pairs.jsonl', sevens(4));
  await assert.rejects(runCommand(register, 'rm', ['train', '--model', tinyLmDir(), '--data', pairs, '--output', out, '--step-separator', ';']), /--step-separator applies to process reward models.*preference data/);
  await assert.rejects(runCommand(register, 'rm', ['train', '--model', tinyLmDir(), '--data', pairs, '--eval-data', pairs, '--eval-fraction', '0.2', '--output', out]), /--eval-fraction holds out a share of --data; with --eval-data/);
  assert.ok(!existsSync(out));
});
