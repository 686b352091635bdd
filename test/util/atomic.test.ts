import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile, atomicWriteDir } from '../../src/util/atomic.js';
import { scratchDir } from '../scratch-dir.js';

test('atomicWriteFile replaces the file and leaves no temporary behind', () => {
  const dir = scratchDir('aha-atomic-');
  const f = join(dir, 'sub', 'a.txt');
  atomicWriteFile(f, 'one');
  atomicWriteFile(f, [Buffer.from('tw'), Buffer.from('o')]);
  assert.equal(readFileSync(f, 'utf8'), 'two');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.txt']);
});

test('atomicWriteDir keeps the old folder when filling fails', () => {
  const dir = scratchDir('aha-atomic-');
  const target = join(dir, 'ckpt');
  atomicWriteDir(target, (tmp) => writeFileSync(join(tmp, 'w.bin'), 'v1'));
  assert.throws(
    () =>
      atomicWriteDir(target, (tmp) => {
        writeFileSync(join(tmp, 'w.bin'), 'half');
        throw new Error('crash while writing');
      }),
    /crash while writing/,
  );
  assert.equal(readFileSync(join(target, 'w.bin'), 'utf8'), 'v1');
  atomicWriteDir(target, (tmp) => writeFileSync(join(tmp, 'w.bin'), 'v2'));
  assert.equal(readFileSync(join(target, 'w.bin'), 'utf8'), 'v2');
  assert.deepEqual(readdirSync(dir), ['ckpt']);
  assert.ok(!existsSync(join(target, 'half')));
});
