// Finished benchmark runs kept on disk (bench/lib/run-store.ts): a long comparison stopped midway
// continues without redoing finished runs, and never mixes in a run made with other settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstDifference, runStore } from '../../bench/lib/run-store.js';
import { scratchDir } from '../scratch-dir.js';

const settings = { config: { lr: 1e-4, steps: 100, model: 'm' }, variant: { loss_type: 'dapo' }, seed: 1 };

test('a stored run comes back only with the settings it was made with', () => {
  const dir = join(scratchDir('aha-run-store-'), 'results');
  const store = runStore<{ acc: number[] }>(dir);
  assert.equal(store.get('dapo-seed1', settings), undefined, 'nothing stored yet');
  store.put('dapo-seed1', settings, { acc: [0.3, 0.5] });
  assert.deepEqual(readdirSync(dir), ['dapo-seed1.json'], 'one whole file, no partial left behind');
  // A new store on the same folder (another process, another session) finds it.
  assert.deepEqual(runStore<{ acc: number[] }>(dir).get('dapo-seed1', structuredClone(settings)), { acc: [0.3, 0.5] });
  assert.equal(store.get('dapo-seed2', settings), undefined);
  const other = { ...settings, config: { ...settings.config, lr: 3e-4 } };
  assert.throws(() => store.get('dapo-seed1', other), /dapo-seed1\.json was made with other settings \(field config\.lr differs\)/);
  assert.throws(() => store.get('dapo-seed1', { ...settings, clock: 'cpu' }), /field clock differs/);
});

test('a damaged file is an error naming it; without a folder nothing is kept', () => {
  const dir = scratchDir('aha-run-store-');
  writeFileSync(join(dir, 'grpo-seed1.json'), '{"settings": {');
  assert.throws(() => runStore(dir).get('grpo-seed1', settings), /grpo-seed1\.json: not a stored run/);
  const none = runStore<number>(undefined);
  none.put('grpo-seed1', settings, 1);
  assert.equal(none.get('grpo-seed1', settings), undefined);
  assert.equal(none.file('grpo-seed1'), undefined);
});

test('firstDifference names the first differing path, in key order', () => {
  assert.equal(firstDifference({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }), null);
  assert.equal(firstDifference({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] } }), 'b.c.1');
  assert.equal(firstDifference({ a: 1 }, { a: 1, z: 2 }), 'z');
  assert.equal(firstDifference(1, '1'), '(top level)');
});
