import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnWork } from '../../src/tasks/columns.js';
import { Rng } from '../../src/util/rng.js';

test('column working matches the worked examples', () => {
  assert.equal(columnWork(47, '+', 38), '7+8=15, 4+3+1=8');
  assert.equal(columnWork(85, '-', 19), '15-9=6, 8-1-1=6');
  assert.equal(columnWork(95, '+', 17), '5+7=12, 9+1+1=11');
  assert.equal(columnWork(232, '-', 47), '12-7=5, 13-4-1=8, 2-0-1=1');
  assert.equal(columnWork(105, '-', 98), '15-8=7, 10-9-1=0, 1-0-1=0');
});

/** Checks each column equation, then reads the result back: last column's value, then each earlier column's units digit. */
function readBack(work: string, op: '+' | '-'): number {
  const cols = work.split(', ');
  let digits = '';
  let carry = 0;
  cols.forEach((col, i) => {
    const m = op === '+' ? /^(\d)\+(\d)(\+1)?=(\d+)$/.exec(col) : /^(1?\d)-(\d)(-1)?=(\d)$/.exec(col);
    assert.ok(m, `column "${col}" has the fixed format`);
    const [x, y, c, r] = [Number(m[1]), Number(m[2]), m[3] ? 1 : 0, Number(m[4])];
    assert.equal(c, carry, `carry/borrow into column ${i} of "${work}"`);
    assert.equal(op === '+' ? x + y + c : x - y - c, r, `column "${col}" is true`);
    if (op === '+') carry = r >= 10 ? 1 : 0;
    else carry = x >= 10 ? 1 : 0;
    digits = (i === cols.length - 1 ? String(r) : String(r % 10)) + digits;
  });
  return Number(digits);
}

test('column working is arithmetically true and reads back to the result', () => {
  const rng = new Rng(11);
  for (let i = 0; i < 3000; i++) {
    const a = rng.range(0, 999);
    const b = rng.range(0, 999);
    assert.equal(readBack(columnWork(a, '+', b), '+'), a + b, `${a}+${b}`);
    const [hi, lo] = a >= b ? [a, b] : [b, a];
    assert.equal(readBack(columnWork(hi, '-', lo), '-'), hi - lo, `${hi}-${lo}`);
  }
  assert.throws(() => columnWork(3, '-', 5), RangeError);
});
