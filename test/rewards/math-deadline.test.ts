// The hard math deadline on every path that checks answers: the training reward (the registered
// `accuracy`, what `aha train --data` uses) and eval grading (`aha eval`, rejection sampling).
// A pathological answer must come back "not equal" within the deadline plus a small margin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getReward, createAccuracyReward, sharedMathVerifier, MATH_DEADLINE_MS } from '../../src/rewards/index.js';
import { graderFor } from '../../src/eval/verifiers.js';

// A power tower of nine x's: the engine takes seconds for eight levels on our 2-core
// machine (4.4 s) and each extra level costs ~6x, so nine overrun any deadline used here even
// on a much faster machine. Deterministic: no randomness, no dependence on load.
// (Eight powers: the checker refuses more than eight up front.)
const tower = (v: string): string => `${v}^{`.repeat(8) + v + '}'.repeat(8);
const TOWER = tower('x');
/** Timers firing late on a loaded machine, the kill, and the reply: generous, still far below the tower's time. */
const MARGIN_MS = 1500;

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

test('training reward: the registered accuracy reward kills a pathological check at the 2 s deadline', async () => {
  await sharedMathVerifier().warmUp();
  const before = sharedMathVerifier().stats().overruns;
  const issues: string[] = [];
  const acc = createAccuracyReward({ onIssue: (reason) => issues.push(reason) });
  const { value, ms } = await timed(async () => acc.score(`<answer>\\boxed{${TOWER}}</answer>`, { gold: 'x' }));
  assert.equal(value, 0);
  assert.ok(ms < MATH_DEADLINE_MS + MARGIN_MS, `waited ${ms.toFixed(0)} ms`);
  assert.ok(ms >= MATH_DEADLINE_MS * 0.9, `gave up after ${ms.toFixed(0)} ms, before the deadline`);
  // Killed at the deadline (or, if the checker gives up by itself first, at 90% of it).
  assert.equal(issues.length, 1);
  assert.match(issues[0], /^timeout/);
  assert.equal(sharedMathVerifier().stats().overruns, before + 1);
  // The same pair again (a group's samples repeat answers) is answered at once, still counted.
  const again = await timed(async () => getReward('accuracy').score(`<answer>\\boxed{${TOWER}}</answer>`, { gold: 'x' }));
  assert.equal(again.value, 0);
  assert.ok(again.ms < 500, `the repeat took ${again.ms.toFixed(0)} ms`);
  assert.equal(sharedMathVerifier().stats().overruns, before + 2);
  // The pool still answers ordinary checks after the kill.
  assert.equal(await acc.score('<answer>\\frac{1}{2}</answer>', { gold: '0.5' }), 1);
  assert.equal(await acc.score('<answer>3</answer>', { gold: '4' }), 0);
});

test('training reward: a shorter deadline is the hard limit too', async () => {
  const issues: string[] = [];
  const acc = createAccuracyReward({ timeoutMs: 300, onIssue: (reason) => issues.push(reason) });
  await sharedMathVerifier().warmUp(); // the workers killed above are replaced and loaded
  const { value, ms } = await timed(async () => acc.score(`\\boxed{${tower('y')}}`, { gold: 'y' }));
  assert.equal(value, 0);
  assert.equal(issues.length, 1);
  assert.match(issues[0], /^timeout/);
  assert.ok(ms < 300 + MARGIN_MS, `waited ${ms.toFixed(0)} ms`);
});

test('eval grading: a pathological answer is graded wrong within the deadline, and so is a vote over it', async () => {
  const grader = graderFor('math', { lastNumberFallback: true, codeTimeoutMs: 1000, mathTimeoutMs: 300 });
  await sharedMathVerifier().warmUp();
  const problem = { id: 'p', line: 1, problem: 'simplify', gold: 'z' };
  const { value, ms } = await timed(() => grader.grade(problem, `\\boxed{${tower('z')}}`));
  assert.equal(value.correct, false);
  assert.match(value.reason ?? '', /^timeout/);
  assert.ok(ms < 300 + MARGIN_MS, `waited ${ms.toFixed(0)} ms`);
  assert.equal((await grader.grade(problem, '\\boxed{z}')).correct, true);
  // Majority voting compares answers with each other: bounded the same way.
  await sharedMathVerifier().warmUp();
  const vote = await timed(() => grader.prepareVote!([tower('w'), 'w']));
  assert.ok(vote.ms < 300 + MARGIN_MS, `vote prepared in ${vote.ms.toFixed(0)} ms`);
  assert.equal(grader.equivalent!(tower('w'), 'w'), false);
  await grader.prepareVote!(['w', '0.5', '\\frac{1}{2}']);
  assert.equal(grader.equivalent!('0.5', '\\frac{1}{2}'), true);
  assert.equal(grader.equivalent!('w', '0.5'), false);
});
