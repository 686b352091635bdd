// Final-answer extraction from model outputs and gold solutions, and verifyMath end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { extractAnswer, verifyMath, answersEquivalent, lastBoxed, extractGold } from '../../src/rewards/index.js';

test('extractAnswer takes the last \\boxed{} with nested braces, and \\fbox', () => {
  assert.equal(extractAnswer('first \\boxed{1} then \\boxed{\\frac{1}{2}}'), '\\frac{1}{2}');
  assert.equal(extractAnswer('so \\fbox{7}.'), '7');
  assert.equal(extractAnswer('\\boxed 5 is it'), '5');
  assert.equal(lastBoxed('\\boxed{unclosed'), null);
});

test('extractAnswer prefers <answer> blocks and looks inside them', () => {
  assert.equal(extractAnswer('<think>maybe 3</think><answer>4</answer>'), '4');
  assert.equal(extractAnswer('<think>x</think><answer>So \\boxed{12}</answer>'), '12');
  assert.equal(extractAnswer('<answer> $\\frac{3}{4}$ </answer>'), '\\frac{3}{4}');
  assert.equal(extractAnswer('<think>\\boxed{1}</think><answer>2</answer>'), '2');
});

test('extractAnswer reads "the final answer is", GSM8K ####, and bare answers', () => {
  assert.equal(extractAnswer('Thus, the final answer is $18$. I hope it is correct.'), '18');
  assert.equal(extractAnswer('The answer is 3.5.'), '3.5');
  assert.equal(extractAnswer('Janet has 16 eggs.\n#### 1,000'), '1,000');
  assert.equal(extractAnswer('\\frac{1}{2}'), '\\frac{1}{2}');
  assert.equal(extractAnswer('$x = 3$'), 'x = 3');
  assert.equal(extractAnswer('Monday'), 'Monday');
  assert.equal(extractAnswer('sqrt(2)/2'), 'sqrt(2)/2');
  assert.equal(verifyMath('sqrt(2)/2', '\\frac{\\sqrt{2}}{2}').equal, true);
});

test('the last-number fallback can be switched off', () => {
  const text = 'We add 3 and 4 and get 7 in the end';
  assert.equal(extractAnswer(text), '7');
  assert.equal(extractAnswer(text, { lastNumberFallback: false }), null);
  assert.equal(extractAnswer('no numbers at all in this sentence here'), null);
});

test('with the fallback off (the training reward), conclusions a reasoning model writes after its thinking state their value', () => {
  const off = { lastNumberFallback: false };
  assert.equal(extractAnswer('We have $2n + 1 = 15$, so $n = 7$.', off), 'n = 7');
  assert.equal(extractAnswer('<think>\nn = 7\n</think>\n\nJanet makes 18 dollars every day at the market.', off), '18');
  assert.equal(extractAnswer('<think>\nn = 7\n</think>\n\nThe value of $n$ is $7$.', off), '7');
  // A comma-"so" that concludes nothing is no conclusion.
  assert.equal(extractAnswer('We multiply by 2, so that the total doubles.', off), null);
});

test('verifyMath handles full outputs against bare, GSM8K and boxed golds', () => {
  const r = verifyMath('<think>2+2</think><answer>4</answer>', '#### 4');
  assert.deepEqual(r, { equal: true, pred_extracted: '4', gold_extracted: '4' });
  assert.equal(verifyMath('so it is \\boxed{\\dfrac{1}{2}}', 'The sum is $\\boxed{0.5}$.').equal, true);
  assert.equal(verifyMath('so it is \\boxed{2}', 'The sum is $\\boxed{0.5}$.').equal, false);
  const none = verifyMath('I do not know', '5', { lastNumberFallback: false });
  assert.equal(none.equal, false);
  assert.equal(none.pred_extracted, null);
  assert.match(none.reason ?? '', /no answer/);
});

test('pathological answers get a verdict and a reason quickly, never a hang or a throw', () => {
  const cases: Array<[string, string]> = [
    ['\\boxed{' + '9'.repeat(5000) + '}', '1'],
    ['\\boxed{' + '\\frac{'.repeat(40) + '1' + '}{2}'.repeat(40) + '}', '1'],
    ['\\boxed{1000!}', '1'],
    ['\\boxed{2^{2^{2^{2^{2^{2^{2^{2^{2^{2}}}}}}}}}}', '1'],
    ['\\boxed{' + '{'.repeat(5000) + '}', '1'],
    ['\\boxed{\\frac{}{}}', '1'],
    ['\\boxed{\\begin{pmatrix}}', '1'],
  ];
  for (const [pred, gold] of cases) {
    const t = performance.now();
    const r = verifyMath(pred, gold, { timeoutMs: 1000 });
    assert.equal(r.equal, false, pred.slice(0, 40));
    assert.ok(performance.now() - t < 3000, `took too long on ${pred.slice(0, 40)}`);
  }
  assert.match(verifyMath('\\boxed{' + '9'.repeat(5000) + '}', '1').reason ?? '', /longer than/);
  assert.match(verifyMath('\\boxed{1000!}', '1').reason ?? '', /factorial/);
});

test('answersEquivalent groups answers for majority vote', () => {
  assert.equal(answersEquivalent('\\frac{1}{2}', '0.5'), true);
  assert.equal(answersEquivalent('1/2', '2'), false);
});

test('MATH-500: the last \\boxed{} of every solution equals its answer field', () => {
  const rows = readFileSync('data/benchmarks/math500/test.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { solution: string; answer: string });
  const bad = rows.filter((r) => !verifyMath(r.solution, r.answer).equal).map((r) => r.answer);
  assert.deepEqual(bad, []);
});

test('GSM8K: gold extraction strips thousands separators and matches the number', () => {
  const rows = readFileSync('data/benchmarks/gsm8k/test.jsonl', 'utf8').trim().split('\n').slice(0, 300).map((l) => JSON.parse(l) as { answer: string });
  for (const r of rows) {
    const n = r.answer.split('####')[1].trim().replace(/,/g, '');
    assert.equal(verifyMath(`The answer is ${n}.`, r.answer).equal, true, r.answer.slice(-20));
    assert.equal(verifyMath(`The answer is ${Number(n) + 1}.`, r.answer).equal, false);
  }
  assert.equal(extractGold('#### 1,234'), '1,234');
});
