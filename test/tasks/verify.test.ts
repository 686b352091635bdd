import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastAnswer } from '../../src/tasks/task.js';
import { verifyInteger, arithmeticTask } from '../../src/tasks/arithmetic.js';
import { verifyCountdown, countdownTask } from '../../src/tasks/countdown.js';
import { parseExpression } from '../../src/tasks/expression.js';

const wrap = (a: string) => `<think>\nsome work\n</think>\n<answer>${a}</answer>`;

test('lastAnswer takes the last complete answer pair and trims it', () => {
  assert.equal(lastAnswer('<answer> 12 </answer>'), '12');
  assert.equal(lastAnswer('<answer>1</answer> then <answer>2</answer>'), '2');
  assert.equal(lastAnswer('<answer>1<answer>2</answer>'), '2');
  assert.equal(lastAnswer('<answer>1</answer> <answer>2'), '1', 'an unclosed trailing tag does not count');
  assert.equal(lastAnswer('no tags, 66'), null);
  assert.equal(lastAnswer('</answer>66<answer>'), null);
});

test('arithmetic verifier accepts exactly the integer', () => {
  assert.deepEqual(verifyInteger(wrap('66'), '66'), { correct: true, extracted: '66' });
  assert.equal(verifyInteger(wrap(' 66\n'), '66').correct, true, 'whitespace is trimmed');
  assert.equal(verifyInteger(wrap('0'), '0').correct, true);
});

test('arithmetic verifier rejects near misses', () => {
  for (const bad of ['67', '066', '+66', '66.0', '66.', '66 apples', 'x=66', '6 6', '', '-66', '66/1']) {
    const v = verifyInteger(wrap(bad), '66');
    assert.equal(v.correct, false, `"${bad}" must not count`);
    assert.equal(v.extracted, bad.trim());
  }
  assert.deepEqual(verifyInteger('<think>the answer is 66</think> 66', '66'), { correct: false, extracted: null }, 'no answer tag: not correct');
  assert.equal(verifyInteger('<answer>66</answer><answer>67</answer>', '66').correct, false, 'the last answer counts');
  assert.equal(verifyInteger('<answer>67</answer><answer>66</answer>', '66').correct, true, 'the last answer counts');
  assert.equal(verifyInteger('<answer>66', '66').correct, false, 'truncated answer');
});

test('arithmetic task verify uses the problem gold', () => {
  const [p] = arithmeticTask.generate({ split: 'train', count: 1, seed: 5, difficulty: 2 });
  assert.equal(arithmeticTask.verify(wrap(p.gold), p).correct, true);
  assert.equal(arithmeticTask.verify(wrap(String(Number(p.gold) + 1)), p).correct, false);
});

test('countdown verifier accepts correct expressions in any valid form', () => {
  const n = [3, 5, 7];
  assert.deepEqual(verifyCountdown(wrap('3*5+7'), n, 22), { correct: true, extracted: '3*5+7' });
  assert.equal(verifyCountdown(wrap(' 7 + 5 * 3 '), n, 22).correct, true, 'order and spaces are free');
  assert.equal(verifyCountdown(wrap('(3*5)+7'), n, 22).correct, true);
  assert.equal(verifyCountdown(wrap('((7+(3*5)))'), n, 22).correct, true);
  // Fractional intermediates are allowed: exact rationals, no float error.
  assert.equal(verifyCountdown(wrap('(1+2)/3*4'), [1, 2, 3, 4], 4).correct, true);
  assert.equal(verifyCountdown(wrap('8/(3-8/3)'), [8, 3, 8, 3], 24).correct, true, 'needs exact 1/3 arithmetic');
  assert.equal(verifyCountdown(wrap('6/(1-3/4)'), [6, 1, 3, 4], 24).correct, true);
  assert.equal(verifyCountdown(wrap('5-7+3*5'), [5, 7, 3, 5], 13).correct, true, 'a negative intermediate is fine');
});

test('countdown verifier rejects every kind of invalid answer', () => {
  const n = [3, 5, 7];
  const cases: [string, string][] = [
    ['3*5+6', 'wrong number'],
    ['3*5+7+1', 'extra number'],
    ['3*5', 'missing number'],
    ['3*7+7', 'reused number in place of another'],
    ['3*5+7+7-7', 'reused number'],
    ['3+5+7', 'wrong value'],
    ['3*5+7=22', 'an = part'],
    ['22', 'just the target'],
    ['3x5+7', 'a foreign character'],
    ['3*5+7)', 'unbalanced parenthesis'],
    ['(3*5+7', 'unclosed parenthesis'],
    ['-3*5+7+...', 'garbage'],
    ['03*5+7', 'leading zero'],
    ['3.0*5+7', 'decimal point'],
    ['', 'empty'],
    ['3 5 7', 'no operators'],
  ];
  for (const [expr, why] of cases) assert.equal(verifyCountdown(wrap(expr), n, 22).correct, false, `${why}: "${expr}"`);
  assert.equal(verifyCountdown(wrap('7/(5-5)+3'), [7, 5, 5, 3], 3).correct, false, 'division by zero');
  assert.equal(verifyCountdown(wrap('-3+5*5'), [3, 5, 5], 22).correct, false, 'unary minus is not allowed');
  assert.deepEqual(verifyCountdown('3*5+7', n, 22), { correct: false, extracted: null }, 'missing tags');
  assert.equal(verifyCountdown('<answer>3*5+7</answer> <answer>3+5+7</answer>', n, 22).correct, false, 'the last answer counts');
  assert.equal(verifyCountdown('<answer>3+5+7</answer> <answer>3*5+7</answer>', n, 22).correct, true, 'the last answer counts');
});

test('expression parser refuses pathological inputs without throwing', () => {
  assert.equal(parseExpression('('.repeat(100) + '1' + ')'.repeat(100)).ok, false);
  assert.equal(parseExpression('1+'.repeat(300) + '1').ok, false);
  assert.equal(parseExpression('1234567890').ok, false);
});

test('level-0 Countdown accepts + and - only, as its prompt says', () => {
  const [p] = countdownTask.generate({ split: 'train', count: 1, seed: 3, difficulty: 0 });
  const numbers = p.meta.numbers as number[];
  const target = p.meta.target as number;
  assert.equal(countdownTask.verify(wrap(p.meta.solution as string), p).correct, true);
  assert.equal(verifyCountdown(wrap('4-1+2'), [1, 2, 4], 5, ['+', '-']).correct, true);
  assert.equal(verifyCountdown(wrap('(4-1)+2'), [1, 2, 4], 5, ['+', '-']).correct, true, 'parentheses are fine');
  assert.equal(verifyCountdown(wrap('2*4-1*3'), [1, 2, 3, 4], 5).correct, true, 'other levels keep * and /');
  assert.equal(verifyCountdown(wrap('2*4-3'), [2, 3, 4], 5, ['+', '-']).correct, false, 'a product is refused at level 0');
  assert.equal(verifyCountdown(wrap('6/2+2'), [2, 2, 6], 5, ['+', '-']).correct, false, 'so is a quotient');
  assert.ok(numbers.length === 3 && target > 0);
});
