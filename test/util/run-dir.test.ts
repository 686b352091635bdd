import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertFreshRunDir, holdsRun, nextFreeRunDir } from '../../src/util/run-dir.js';
import { scratchDir } from '../scratch-dir.js';

const tmp = () => scratchDir('aha-run-dir-');

test('a folder with a run in it is refused, naming the flag to change', () => {
  const dir = tmp();
  assertFreshRunDir(join(dir, 'new'));
  assertFreshRunDir(dir); // empty is fine
  writeFileSync(join(dir, 'metrics.jsonl'), '');
  assert.equal(holdsRun(dir), true);
  assert.throws(() => assertFreshRunDir(dir, '--output'), /already holds a run; pass --resume to continue it, or choose another --output/);
  const other = tmp();
  writeFileSync(join(other, 'notes.txt'), 'mine');
  assert.equal(holdsRun(other), false);
  assert.throws(() => assertFreshRunDir(other), /is not empty; choose another --out/);
});

test('the next free run folder is the base, then base-2, base-3, ...', () => {
  const root = tmp();
  const base = join(root, 'r1-zero');
  assert.equal(nextFreeRunDir(base), base);
  mkdirSync(base);
  assert.equal(nextFreeRunDir(base), base, 'an empty folder is free');
  writeFileSync(join(base, 'config.json'), '{}');
  assert.equal(nextFreeRunDir(base), `${base}-2`);
  mkdirSync(`${base}-2`);
  writeFileSync(join(`${base}-2`, 'x'), '');
  assert.equal(nextFreeRunDir(base), `${base}-3`);
});
