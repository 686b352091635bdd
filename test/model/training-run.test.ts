// The training-loop shell every trainer shares: leftovers of an interrupted checkpoint are removed
// on start (only ours), logs are cut back on resume, save_total_limit keeps the newest complete
// checkpoints, and a stop request ends the loop with the current step saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { checkpointDir, listCheckpoints, saveTrainingCheckpoint } from '../../src/model/training-checkpoint.js';
import { TrainingLoop, zeroGradients, type TrainingLoopOptions } from '../../src/model/training-run.js';
import { Tensor } from '../../src/core/index.js';
import { tinyModel, tempDir } from './helpers.js';
import { captureStderr } from '../stderr-capture.js';

const tok = new CharTokenizer();
const model = tinyModel();

/** Runs the shell alone, as a trainer would, over steps that do nothing but count. */
async function drive(over: Partial<TrainingLoopOptions> & { runDir: string }, onStep?: (step: number) => void): Promise<TrainingLoop> {
  let step = over.resume?.step ?? 0;
  const loop = new TrainingLoop({
    totalSteps: 5, resume: null, saveSteps: 1, saveTotalLimit: null, fields: [], quiet: true,
    checkpoint: () => ({ model, tokenizer: tok, optimizerState: null, trainerState: { step } }),
    ...over,
  });
  try {
    while (await loop.next(step)) {
      step++;
      onStep?.(step);
      loop.stepDone(step, {});
    }
    loop.finish(step);
  } finally {
    loop.close();
  }
  return loop;
}

/** The id of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

test('on start, temporaries of an interrupted checkpoint are removed, and nothing else', async () => {
  const runDir = tempDir('leftovers');
  const ckpts = join(runDir, 'checkpoints');
  saveTrainingCheckpoint(checkpointDir(runDir, 2), { model, tokenizer: tok, optimizerState: null, trainerState: { step: 2 } });
  const dead = deadPid();
  // What a run killed mid-write leaves: a half-filled step folder, the old copy being replaced, a config temp file.
  mkdirSync(join(ckpts, `.aha-tmp-${dead}-7-step-3`));
  writeFileSync(join(ckpts, `.aha-tmp-${dead}-7-step-3`, 'model.safetensors'), 'partial');
  mkdirSync(join(ckpts, `.aha-tmp-${dead}-5-step-2.old`));
  writeFileSync(join(runDir, `.aha-tmp-${dead}-9-config.json`), '{');
  // Not ours to remove: a write still in flight in a live process, files that only look alike.
  const live = `.aha-tmp-${process.ppid}-1-step-4`;
  mkdirSync(join(ckpts, live));
  writeFileSync(join(ckpts, 'notes.aha-tmp-1-1-x'), 'mine');
  mkdirSync(join(ckpts, 'step-9'));
  await drive({ runDir, totalSteps: 3, resume: { step: 2, from: checkpointDir(runDir, 2) } });
  assert.deepEqual(readdirSync(ckpts).sort(), [live, 'notes.aha-tmp-1-1-x', 'step-2', 'step-3', 'step-9'].sort());
  assert.deepEqual(readdirSync(runDir).filter((f) => f.startsWith('.aha-tmp-')), []);
});

test('save_total_limit keeps the newest complete checkpoints, never the newest, never a partial one', async () => {
  const runDir = tempDir('limit');
  // A step-7 without trainer_state.json is not a complete checkpoint: never counted or deleted.
  mkdirSync(join(runDir, 'checkpoints', 'step-7'), { recursive: true });
  writeFileSync(join(runDir, 'checkpoints', 'step-7', 'config.json'), '{}');
  const loop = await drive({ runDir, totalSteps: 5, saveSteps: 1, saveTotalLimit: 2 });
  assert.deepEqual(listCheckpoints(runDir).map((c) => c.step), [4, 5]);
  assert.ok(existsSync(join(runDir, 'checkpoints', 'step-7', 'config.json')));
  assert.equal(loop.lastCheckpoint, checkpointDir(runDir, 5));
  // A limit of 1 keeps exactly the newest; an unset limit keeps every one.
  const one = tempDir('limit1');
  await drive({ runDir: one, totalSteps: 3, saveSteps: 1, saveTotalLimit: 1 });
  assert.deepEqual(listCheckpoints(one).map((c) => c.step), [3]);
  const all = tempDir('nolimit');
  await drive({ runDir: all, totalSteps: 3, saveSteps: 1 });
  assert.deepEqual(listCheckpoints(all).map((c) => c.step), [1, 2, 3]);
  await assert.rejects(drive({ runDir: tempDir('limit0'), saveTotalLimit: 0 }), /save_total_limit must be an integer >= 1/);
});

test('resume cuts the logs back to the resumed step; a stop request saves the current step', async () => {
  const runDir = tempDir('resume');
  const lines = (f: string) => readFileSync(join(runDir, f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  writeFileSync(join(runDir, 'metrics.jsonl'), [1, 2, 3, 4].map((step) => JSON.stringify({ step })).join('\n') + '\n');
  writeFileSync(join(runDir, 'eval.jsonl'), [0, 2, 4].map((step) => JSON.stringify({ step })).join('\n') + '\n');
  const stop = new AbortController();
  const loop = await drive({ runDir, totalSteps: 10, saveSteps: 0, resume: { step: 2 }, logs: ['eval.jsonl'], signal: stop.signal }, (step) => step === 3 && stop.abort());
  assert.deepEqual(lines('metrics.jsonl'), [1, 2]);
  assert.deepEqual(lines('eval.jsonl'), [0, 2]);
  assert.equal(loop.interrupted, true);
  assert.deepEqual(listCheckpoints(runDir).map((c) => c.step), [3]);
});

// A cluster's preemption, a CI timeout and `kill` send SIGTERM: it must save like Ctrl-C, not kill the run.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops the loop after the current step and saves it`, async () => {
    const runDir = tempDir('signal');
    // process.emit runs the listeners as the signal would, without the signal's default action.
    const { value: loop, stderr: said } = await captureStderr(() => drive({ runDir, totalSteps: 10, saveSteps: 0 }, (step) => step === 2 && process.emit(signal, signal)));
    assert.equal(loop.interrupted, true);
    assert.deepEqual(listCheckpoints(runDir).map((c) => c.step), [2]);
    assert.match(said, new RegExp(`${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}: stopping after this step and saving a checkpoint`));
    assert.equal(process.listenerCount(signal), 0, 'the handler is removed when the loop closes');
  });
}

test('zeroGradients gives every parameter a zero gradient, allocating missing ones', () => {
  const a = new Tensor(new Float32Array([1, 2]), [2], true);
  const b = new Tensor(new Float32Array([3]), [1], true);
  a.ensureGrad().fill(5);
  assert.equal(b.grad, null);
  zeroGradients([a, b]);
  assert.deepEqual(Array.from(a.grad!), [0, 0]);
  assert.deepEqual(Array.from(b.grad!), [0]);
});
