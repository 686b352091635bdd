// Training checkpoints: one atomic folder with the model, optimizer state and trainer state;
// latestCheckpoint finds the newest complete one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  saveTrainingCheckpoint,
  loadTrainingCheckpoint,
  latestCheckpoint,
  checkpointDir,
  listCheckpoints,
  pruneCheckpoints,
} from '../../src/model/training-checkpoint.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { Rng } from '../../src/util/rng.js';
import { tinyModel, tempDir, logitsOf } from './helpers.js';

const tok = new CharTokenizer();

test('a training checkpoint round-trips model, optimizer state and trainer state', () => {
  const model = tinyModel();
  const run = tempDir('run');
  const rng = new Rng(42);
  rng.next();
  const m = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const v = Float32Array.from({ length: 7 }, (_, i) => i * 1e-8);
  const trainerState = { step: 12, rng: rng.state(), data_position: 96, best: { reward: 0.5 } };
  const dir = checkpointDir(run, 12);
  saveTrainingCheckpoint(dir, { model, tokenizer: tok, optimizerState: { step: 12, tensors: { 'm.x': m, 'v.y': v } }, trainerState });
  const back = loadTrainingCheckpoint(dir);
  assert.deepEqual(back.trainerState, trainerState);
  assert.equal(back.optimizerState!.step, 12);
  assert.deepEqual(back.optimizerState!.tensors['m.x'], m);
  assert.deepEqual(back.optimizerState!.tensors['v.y'], v);
  const ids = tok.encode('1+1=2');
  assert.deepEqual(logitsOf(back.model, ids), logitsOf(model, ids));
  assert.equal(back.tokenizer.kind, 'char');
  // The saved RNG state resumes the same stream.
  const resumed = new Rng(back.trainerState.rng as [number, number, number, number]);
  assert.equal(resumed.next(), rng.next());
});

test('without optimizer state the checkpoint says so', () => {
  const dir = join(tempDir('noopt'), 'step-1');
  saveTrainingCheckpoint(dir, { model: tinyModel(), tokenizer: tok, optimizerState: null, trainerState: { step: 1 } });
  assert.equal(loadTrainingCheckpoint(dir).optimizerState, null);
});

test('latestCheckpoint picks the highest complete step and ignores partial or foreign folders', () => {
  const run = tempDir('latest');
  assert.equal(latestCheckpoint(run), null);
  const model = tinyModel();
  for (const step of [2, 10]) {
    saveTrainingCheckpoint(checkpointDir(run, step), { model, tokenizer: tok, optimizerState: null, trainerState: { step } });
  }
  // A crashed write of step 30 would be a temp folder; a hand-made step-20 lacks trainer_state.json.
  mkdirSync(join(run, 'checkpoints', '.aha-tmp-123-1-step-30'), { recursive: true });
  mkdirSync(join(run, 'checkpoints', 'step-20'));
  writeFileSync(join(run, 'checkpoints', 'step-20', 'config.json'), '{}');
  mkdirSync(join(run, 'checkpoints', 'step-x'));
  assert.equal(latestCheckpoint(run), checkpointDir(run, 10));
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [2, 10]);
  saveTrainingCheckpoint(checkpointDir(run, 9), { model, tokenizer: tok, optimizerState: null, trainerState: { step: 9 } });
  assert.equal(latestCheckpoint(run), checkpointDir(run, 10)); // numeric, not lexical, order
  pruneCheckpoints(run, 1);
  assert.deepEqual(listCheckpoints(run).map((c) => c.step), [10]);
  assert.ok(readdirSync(join(run, 'checkpoints')).includes('step-20')); // incomplete folders are left alone
});

test('a checkpoint write that fails leaves no step folder behind', () => {
  const run = tempDir('crash');
  const bad = Object.assign(Object.create(tok) as CharTokenizer, {
    save: () => {
      throw new Error('killed');
    },
  });
  assert.throws(() =>
    saveTrainingCheckpoint(checkpointDir(run, 5), { model: tinyModel(), tokenizer: bad, optimizerState: null, trainerState: {} }),
  );
  assert.equal(latestCheckpoint(run), null);
  assert.deepEqual(readdirSync(join(run, 'checkpoints')), []);
});
