// The trainer end to end on a tiny random transformer: SFT lowers the loss and saves a model
// folder that loads back, and a run interrupted then resumed ends with exactly the parameters of
// an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load-model.js';
import { runSft, SFT_DEFAULTS, type SftOptions } from '../../src/sft/sft-run.js';
import { evaluateLoss } from '../../src/sft/loss.js';
import { encodeSftRecords } from '../../src/sft/sft-encode.js';
import { readSftFile } from '../../src/sft/sft-data.js';
import { additionData, tempDir, tinyModelDir } from './helpers.js';

const quiet = { quiet: true, log: () => {} };

function options(model: string, data: string, over: Partial<SftOptions> = {}): SftOptions {
  return { ...SFT_DEFAULTS, model, data, seqLen: 64, batchSize: 4, evalSteps: 0, saveSteps: 0, lr: 3e-3, schedule: 'cosine', warmupSteps: 2, ...over };
}

function metrics(runDir: string): Record<string, number>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
}

test('SFT on a tiny data set lowers the loss and saves a loadable model', async () => {
  const modelDir = tinyModelDir(3);
  const data = additionData(24);
  const runDir = join(tempDir(), 'run');
  const examples = encodeSftRecords(loadModel(modelDir).tokenizer, readSftFile(data), data, 65).examples;
  const before = evaluateLoss(loadModel(modelDir).model, examples, 8, 64, 0);
  const r = await runSft({ runDir, options: options(modelDir, data, { steps: 30, evalFraction: 0.25, evalSteps: 10, saveSteps: 10, saveTotalLimit: 1 }), ...quiet });
  assert.equal(r.interrupted, false);
  assert.equal(r.trainExamples, 18);
  assert.equal(r.heldOutExamples, 6);
  const rows = metrics(runDir);
  assert.deepEqual(rows.map((m) => m.step), Array.from({ length: 30 }, (_, i) => i + 1));
  for (const key of ['loss', 'lr', 'grad_norm', 'tokens_per_s/training']) assert.ok(Number.isFinite(rows[0][key]), key);
  assert.deepEqual(rows.filter((m) => 'eval_loss' in m).map((m) => m.step), [10, 20, 30]);
  assert.ok(r.lastLoss < before * 0.6, `training loss ${r.lastLoss} vs initial ${before}`);
  assert.ok(r.lastEvalLoss! < before, `held-out loss ${r.lastEvalLoss} vs initial ${before}`);
  // The saved model is the trained one.
  const after = evaluateLoss(loadModel(r.modelDir!).model, examples, 8, 64, 0);
  assert.ok(after < before * 0.6);
  assert.ok(existsSync(join(runDir, 'checkpoints', 'step-30', 'trainer_state.json')));
  assert.deepEqual(readdirSync(join(runDir, 'checkpoints')), ['step-30'], 'save_total_limit 1: only the newest checkpoint stays');
  const cfg = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg.steps, 30);
  assert.equal(cfg.lr, 3e-3);
});

test('an interrupted run resumed from its checkpoint ends with the same parameters', async () => {
  const modelDir = tinyModelDir(4);
  const data = additionData(10, 1);
  const o = options(modelDir, data, { steps: 6, gradAccum: 2, evalFraction: 0.2, evalSteps: 3 });
  const straight = join(tempDir(), 'run');
  await runSft({ runDir: straight, options: o, ...quiet });

  const broken = join(tempDir(), 'run');
  const stop = new AbortController();
  const first = await runSft({ runDir: broken, options: o, ...quiet, signal: stop.signal, onStep: (row) => row.step === 4 && stop.abort() });
  assert.equal(first.interrupted, true);
  assert.equal(first.state.step, 4);
  assert.equal(first.modelDir, null);
  assert.ok(existsSync(join(broken, 'checkpoints', 'step-4')));
  const second = await runSft({ runDir: broken, resume: true, ...quiet });
  assert.equal(second.interrupted, false);
  assert.equal(second.state.step, 6);

  const a = loadModel(join(straight, 'model')).model.parameters();
  const b = loadModel(join(broken, 'model')).model.parameters();
  for (const [name, p] of a) assert.deepEqual(b.get(name)!.data, p.data, name);
  const ma = metrics(straight);
  const mb = metrics(broken);
  assert.deepEqual(mb.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(mb.map((m) => [m.loss, m.lr, m.grad_norm, m.eval_loss]), ma.map((m) => [m.loss, m.lr, m.grad_norm, m.eval_loss]));
});

test('a fresh run refuses a folder that already holds one; resume refuses changed data', async () => {
  const modelDir = tinyModelDir(5);
  const data = additionData(6);
  const runDir = join(tempDir(), 'run');
  await runSft({ runDir, options: options(modelDir, data, { steps: 1 }), ...quiet });
  await assert.rejects(runSft({ runDir, options: options(modelDir, data, { steps: 1 }), ...quiet }), /already holds a run; pass --resume/);
  // Resuming needs the same data: a changed file is refused, not silently trained on.
  appendFileSync(data, JSON.stringify({ prompt: 'x', completion: 'y' }) + '\n');
  await assert.rejects(runSft({ runDir, resume: true, steps: 2, ...quiet }), /data of .* changed since the run started/);
});
