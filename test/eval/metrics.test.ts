// The estimators against values computed by hand from the binomial definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, majorityVote, passAtK, problemMetrics, reportedKs, standardErrors } from '../../src/eval/metrics.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('pass@k matches 1 - C(n-c,k)/C(n,k) on hand-computed cases', () => {
  close(passAtK(5, 2, 1), 0.4); // c/n
  close(passAtK(5, 2, 2), 1 - 3 / 10); // C(3,2)=3, C(5,2)=10
  close(passAtK(10, 3, 4), 1 - 35 / 210); // C(7,4)=35, C(10,4)=210
  close(passAtK(16, 1, 8), 0.5); // C(15,8)/C(16,8) = 8/16
  close(passAtK(5, 2, 4), 1); // only 3 wrong: any 4 contain a correct one
  close(passAtK(4, 0, 4), 0);
  close(passAtK(4, 4, 1), 1);
});

test('pass@k stays exact where binomials would overflow', () => {
  // C(1023,512)/C(1024,512) = 512/1024
  close(passAtK(1024, 1, 512), 0.5);
  close(passAtK(2000, 1000, 1), 0.5);
});

test('pass@k rejects impossible arguments', () => {
  assert.throws(() => passAtK(4, 5, 1), RangeError);
  assert.throws(() => passAtK(4, 1, 5), RangeError);
  assert.throws(() => passAtK(4, 1, 0), RangeError);
});

test('reported k are the powers of two up to K and K itself', () => {
  assert.deepEqual(reportedKs(1), [1]);
  assert.deepEqual(reportedKs(4), [1, 2, 4]);
  assert.deepEqual(reportedKs(5), [1, 2, 4, 5]);
  assert.deepEqual(reportedKs(10), [1, 2, 4, 8, 10]);
  assert.deepEqual(reportedKs(64), [1, 2, 4, 8, 16, 32, 64]);
});

const numEq = (a: string, b: string) => Number(a) === Number(b);

test('majority vote groups equivalent answers', () => {
  const v = majorityVote(
    [
      { answer: '3', correct: false },
      { answer: '0.5', correct: true },
      { answer: '.50', correct: true },
      { answer: '3', correct: false },
      { answer: '0.500', correct: true },
    ],
    numEq,
  );
  assert.equal(v.answer, '0.5');
  assert.equal(v.votes, 3);
  assert.equal(v.correct, true);
  assert.equal(v.index, 1);
  assert.equal(v.groups, 2);
});

test('majority vote ties go to the group seen first', () => {
  const v = majorityVote(
    [
      { answer: '7', correct: false },
      { answer: '8', correct: true },
      { answer: '8', correct: true },
      { answer: '7', correct: false },
    ],
    numEq,
  );
  assert.equal(v.answer, '7');
  assert.equal(v.correct, false);
});

test('unextracted answers never win a vote', () => {
  const v = majorityVote(
    [
      { answer: null, correct: false },
      { answer: null, correct: false },
      { answer: null, correct: false },
      { answer: '42', correct: true },
    ],
    numEq,
  );
  assert.equal(v.answer, '42');
  assert.equal(v.correct, true);
  const none = majorityVote([{ answer: null, correct: false }], numEq);
  assert.equal(none.answer, null);
  assert.equal(none.correct, false);
});

test('aggregate averages per-problem pass@k and maj@K over problems', () => {
  const p1 = problemMetrics(
    [
      { answer: '1', correct: true },
      { answer: '2', correct: false },
      { answer: '2', correct: false },
      { answer: '1', correct: true },
    ],
    reportedKs(4),
    numEq,
  );
  const p2 = problemMetrics(
    [
      { answer: '5', correct: true },
      { answer: '5', correct: true },
      { answer: '5', correct: true },
      { answer: '6', correct: false },
    ],
    reportedKs(4),
    numEq,
  );
  const m = aggregate([p1, p2], 4);
  close(m['pass@1'], (0.5 + 0.75) / 2);
  close(m['pass@2'], (1 - 1 / 6 + 1) / 2); // p1: 1 - C(2,2)/C(4,2) = 5/6; p2: 1
  close(m['pass@4'], 1);
  close(m['maj@4'], 1); // p1 tie 1 vs 2 -> "1" came first and is correct; p2 -> 5
  const code = aggregate([problemMetrics([{ answer: null, correct: true }], [1])], 1);
  assert.deepEqual(Object.keys(code), ['pass@1']);
});

test('standard errors are the spread of per-problem values over problems, sqrt(sum (x - mean)^2 / (m (m - 1)))', () => {
  const ballots = (correct: boolean[], answers: string[]) => correct.map((c, i) => ({ answer: answers[i], correct: c }));
  const ps = [
    problemMetrics(ballots([true, true], ['1', '1']), reportedKs(2), numEq), // pass@1 1, pass@2 1, maj right
    problemMetrics(ballots([false, false], ['2', '3']), reportedKs(2), numEq), // 0, 0, wrong
    problemMetrics(ballots([true, false], ['1', '2']), reportedKs(2), numEq), // 0.5, 1, tie -> "1" first: right
    problemMetrics(ballots([false, true], ['2', '1']), reportedKs(2), numEq), // 0.5, 1, tie -> "2" first: wrong
  ];
  const se = standardErrors(ps, 2);
  // pass@1: mean 0.5, squares 0.25 + 0.25 + 0 + 0 = 0.5, over 4 * 3 -> sqrt(1/24)
  close(se['pass@1'], Math.sqrt(1 / 24));
  // pass@2: values 1, 0, 1, 1, mean 0.75, squares 3 * 0.0625 + 0.5625 = 0.75 -> sqrt(0.75 / 12)
  close(se['pass@2'], Math.sqrt(0.75 / 12));
  // maj@2: 1, 0, 1, 0, mean 0.5, squares 4 * 0.25 = 1 -> sqrt(1 / 12)
  close(se['maj@2'], Math.sqrt(1 / 12));
  // Every problem the same: no spread.
  close(standardErrors([ps[0], ps[0], ps[0]], 2)['pass@1'], 0);
  // One problem: nothing to measure a spread from.
  assert.deepEqual(standardErrors([ps[0]], 2), {});
});
