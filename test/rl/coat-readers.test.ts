// COAT's math reader: the intermediate answer after a step is the last final-answer-shaped
// statement so far, judged by the math verifier against the example's gold; a reflection that turns
// a wrong one right is a fix, the reverse a break, and the reflection bonus pays ±β for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reflectionBonus, reflectionTurns, restartItem, restartStates, RESTART_PREFIX_FIELD } from '../../src/rl/coat.js';
import { coatReaderProblem, defaultCoatReader, MATH_CANDIDATES, mathCandidate, mathJudge } from '../../src/rl/coat-readers.js';

const R = '<|reflect|>';
const wrongThenRight = `<think>\n3 apples and 4 more: 3+4 = \\boxed{6}.${R}Count again: 3+4 is 7, so \\boxed{7}.</think> The answer is \\boxed{7}.`;
const rightThenWrong = `<think>\n3 apples and 4 more: \\boxed{7}.${R}Hmm, maybe one was eaten: \\boxed{6}.</think> \\boxed{6}`;

test('the math candidate is the last boxed answer so far, else what the extractor takes; none before any answer', () => {
  assert.equal(mathCandidate('<think>\nLet me add the numbers first.'), null);
  assert.equal(mathCandidate('x is \\boxed{3}, then y = \\boxed{\\frac{1}{2}}'), '\\frac{1}{2}');
  assert.equal(mathCandidate('so the answer is 12. Let me check'), '12');
  // An unclosed last box is no answer, as for the math reward's extractor.
  assert.equal(mathCandidate('first \\boxed{4}, now \\boxed{5'), null);
});

test('the math judge compares with the gold by the verifier (equal forms agree); no gold, no judge', () => {
  const judge = mathJudge({ gold: '0.5' })!;
  assert.equal(judge('\\frac{1}{2}'), true);
  assert.equal(judge('1/3'), false);
  assert.equal(mathJudge({ answer: 7 })!('7'), true);
  assert.equal(mathJudge({ gold: 'The total is \\boxed{12}.' })!('12'), true);
  assert.equal(mathJudge({}), null);
});

test('a reflection from a wrong boxed answer to a right one is a fix, the reverse a break', () => {
  const gold = { gold: '7' };
  const [fix] = reflectionTurns(wrongThenRight, MATH_CANDIDATES, mathJudge(gold)!);
  assert.deepEqual({ before: fix.before, after: fix.after, changed: fix.changed, fixed: fix.fixed, broke: fix.broke }, { before: '6', after: '7', changed: true, fixed: true, broke: false });
  const [brk] = reflectionTurns(rightThenWrong, MATH_CANDIDATES, mathJudge(gold)!);
  assert.deepEqual({ before: brk.before, after: brk.after, fixed: brk.fixed, broke: brk.broke }, { before: '7', after: '6', fixed: false, broke: true });
  // A reflection that restates the same answer changes nothing.
  const [same] = reflectionTurns(`\\boxed{7}${R}yes, \\boxed{7}`, MATH_CANDIDATES, mathJudge(gold)!);
  assert.equal(same.changed, false);
});

test('the reflection bonus on hand-written completions: +β for a fix, −β for a break, null without gold; a restart prefix\'s reflect counts', async () => {
  const bonus = reflectionBonus({ beta: 0.5, reader: MATH_CANDIDATES });
  assert.equal(await bonus.score(wrongThenRight, { gold: '7' }), 0.5);
  assert.equal(await bonus.score(rightThenWrong, { gold: '7' }), -0.5);
  assert.equal(await bonus.score(wrongThenRight, {}), null);
  // The policy wrote the step after a restart's <|reflect|>: that turn is its own.
  const prefix = `<think>\n3+4 = \\boxed{6}.${R}`;
  assert.equal(await bonus.score('Again: \\boxed{7}.</think> \\boxed{7}', { gold: '7', [RESTART_PREFIX_FIELD]: prefix }), 0.5);
});

test('restart states of a chat answer without a thinking block always drop its last step (the final answer)', () => {
  const item = { id: 'q1', prompt: '<|im_start|>assistant\n', example: { gold: '7' } };
  const completion = `3+4 = \\boxed{6}.<|continue|>I add again.${R}It is \\boxed{7}.`;
  const states = restartStates({ item, completion, correct: true }, 2);
  assert.deepEqual(states.map((s) => s.prefix), [`3+4 = \\boxed{6}.${R}`, `3+4 = \\boxed{6}.<|continue|>I add again.${R}`]);
  assert.equal(restartStates({ item, completion, correct: true }, 0).length, 0);
  // The chat prompt continues with the prefix in the assistant's turn; no thinking block was opened.
  const restarted = restartItem(states[0]);
  assert.equal(restarted.prompt, `<|im_start|>assistant\n3+4 = \\boxed{6}.${R}`);
  assert.equal(restarted.example.think_prefilled, false);
  assert.equal(restartItem(restartStates({ item, completion: `<think>\n1+1=2.${R}ok</think>`, correct: true })[0]).example.think_prefilled, true);
});

test('the reader a run uses: from the task by default; one the prompts cannot be judged by is refused', () => {
  assert.equal(defaultCoatReader('countdown'), 'countdown');
  assert.equal(defaultCoatReader(null), 'math');
  assert.match(coatReaderProblem('countdown', null)!, /data file: use coat_reader: math/);
  assert.match(coatReaderProblem('math', 'countdown')!, /any expression that reaches the target/);
  assert.equal(coatReaderProblem('math', 'arithmetic'), null);
});
