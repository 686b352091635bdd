import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';

test('the same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.nextU32());
  const sb = Array.from({ length: 8 }, () => b.nextU32());
  const sc = Array.from({ length: 8 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test('a saved state resumes the exact stream', () => {
  const a = new Rng(7);
  for (let i = 0; i < 100; i++) a.next();
  const saved = a.state();
  const expected = Array.from({ length: 5 }, () => a.next());
  const resumed = new Rng(saved);
  assert.deepEqual(
    Array.from({ length: 5 }, () => resumed.next()),
    expected,
  );
});

test('draws are in range and roughly uniform', () => {
  const r = new Rng(1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    counts[r.int(10)]++;
  }
  for (const c of counts) assert.ok(c > 1800 && c < 2200, `bucket count ${c}`);
  for (let i = 0; i < 1000; i++) {
    const v = r.range(-3, 3);
    assert.ok(v >= -3 && v <= 3 && Number.isInteger(v));
  }
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < 20000; i++) {
    const z = r.normal();
    sum += z;
    sumSq += z * z;
  }
  assert.ok(Math.abs(sum / 20000) < 0.05);
  assert.ok(Math.abs(sumSq / 20000 - 1) < 0.05);
});
