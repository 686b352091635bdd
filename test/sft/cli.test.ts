// `aha sft` and `aha pretrain` from the command line: flags are checked and data validated
// before anything slow, errors are one clear line, and a small run completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { additionData, tempDir, tinyModelDir } from './helpers.js';

function aha(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

test('aha sft names a missing required flag', () => {
  const r = aha('sft', '--data', 'x.jsonl');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--model <dir> is required/);
});

test('aha sft reports a bad data line before loading the model', () => {
  const file = join(tempDir(), 'bad.jsonl');
  writeFileSync(file, '{"prompt": "a", "completion": "b"}\n{"prompt": "a", "answer": "b"}\n');
  const r = aha('sft', '--model', '/nonexistent/model', '--data', file, '--out', join(tempDir(), 'run'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`${file}:2, field "completion": missing`));
});

test('bad numbers and settings given with --resume are named', () => {
  const lr = aha('sft', '--model', 'm', '--data', 'd', '--lr', 'fast');
  assert.equal(lr.status, 2);
  assert.match(lr.stderr, /--lr must be a number >= 0, got "fast"/);
  const resume = aha('sft', '--out', 'runs/x', '--resume', '--lr', '0.1');
  assert.equal(resume.status, 2);
  assert.match(resume.stderr, /with --resume the run continues with its saved settings.*drop --lr/);
  const steps = aha('pretrain', '--steps', '0');
  assert.equal(steps.status, 2);
  assert.match(steps.stderr, /--steps must be an integer >= 1, got "0"/);
  const limit = aha('pretrain', '--save-total-limit', '0');
  assert.equal(limit.status, 2);
  assert.match(limit.stderr, /^aha: --save-total-limit must be an integer >= 1, got "0"/);
  const ctx = aha('pretrain', '--context', '1000');
  assert.equal(ctx.status, 2);
  assert.match(ctx.stderr, /--context 1000 exceeds the model's max_position_embeddings 384/);
  // --init-from takes the folder's config.json as the model: its context, not the demo default's.
  const cont = aha('pretrain', '--init-from', 'models/aha-tiny-countdown', '--context', '1000');
  assert.equal(cont.status, 2);
  assert.match(cont.stderr, /--context 1000 exceeds the model's max_position_embeddings 512/);
  const missing = aha('pretrain', '--init-from', '/nonexistent/model');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /\/nonexistent\/model: not a model folder \(no config\.json\)/);
});

test('aha pretrain: one pass by default, as many documents as the rows hold when packed', () => {
  const documents = (...extra: string[]) => {
    const dir = join(tempDir(), 'run');
    const r = aha('pretrain', '--steps', '1', '--batch-size', '2', '--context', '384', '--eval-steps', '0', '--save-steps', '0', '--run-dir', dir, '--quiet', ...extra);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { documents: number }).documents;
  };
  assert.equal(documents(), 2);
  // Arithmetic documents are about 150 characters: a 384-character row holds two or three.
  const packed = documents('--packing');
  assert.ok(packed >= 4 && packed <= 8, `packed: ${packed} documents for 2 rows of 384 characters`);
});

test('aha sft runs a small job and writes the model folder', () => {
  const out = join(tempDir(), 'run');
  const r = aha('sft', '--model', tinyModelDir(8), '--data', additionData(8), '--out', out, '--steps', '2', '--batch-size', '4', '--lr', '1e-3', '--save-steps', '1', '--save-total-limit', '1', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /done: 2 steps, loss \d/);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), ['step-2'], '--save-total-limit 1 keeps only the newest checkpoint');
  assert.match(r.stderr, /--max-length 1024 is above the model's max_position_embeddings; using 128/);
  for (const f of ['config.json', 'metrics.jsonl', 'checkpoints/step-2/trainer_state.json', 'model/model.safetensors']) assert.ok(existsSync(join(out, f)), f);
});

// SIGTERM is what a cluster's preemption or a CI timeout sends; it takes the same path as Ctrl-C.
test('SIGTERM stops after the current step, saves a checkpoint, exits 143, and --resume finishes the run', async () => {
  const out = join(tempDir(), 'run');
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'sft', '--model', tinyModelDir(9), '--data', additionData(8), '--out', out, '--steps', '100000', '--batch-size', '2', '--quiet'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Interrupt once training has logged a step.
  while (!existsSync(join(out, 'metrics.jsonl'))) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 143, stderr);
  assert.match(stderr, /SIGTERM: stopping after this step and saving a checkpoint/);
  const m = /stopped at step (\d+); checkpoint (\S+);/.exec(stderr);
  assert.ok(m, stderr);
  assert.ok(existsSync(join(m[2], 'trainer_state.json')));
  const step = Number(m[1]);
  const resumed = aha('sft', '--out', out, '--resume', '--steps', String(step + 1), '--quiet');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming .* from step ${step} of ${step + 1}`));
  assert.match(resumed.stderr, new RegExp(`done: ${step + 1} steps`));
});
