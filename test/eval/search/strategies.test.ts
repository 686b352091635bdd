// Each strategy against the scripted generator and table scorers, with picks and token counts
// worked out by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy } from '../../../src/eval/search/policy.js';
import { pickBest, pickMajority, pickWeighted } from '../../../src/eval/search/select.js';
import { affordable, beamStrategy, parallelStrategy, revisionStrategy, SamplePool, type SearchContext } from '../../../src/eval/search/strategies.js';
import { verifierScorer } from '../../../src/eval/search/scorers.js';
import { cost, fakeJudge, problemP, ScriptedGenerator, tableOutcome, tableSteps } from './fakes.js';
import { searchProblems, taskJudge } from '../../../src/eval/search/problem.js';
import { countdownProblem, countdownTask } from '../../../src/tasks/countdown.js';

const context = (script: Record<string, string[]>, maxTokens = 100): { ctx: SearchContext; gen: ScriptedGenerator } => {
  const gen = new ScriptedGenerator(script);
  return { ctx: { policy: new Policy(gen, { temperature: 1, topP: 1, maxTokens }, 0), judge: fakeJudge }, gen };
};

test('picks: majority keeps the earliest of tied answers, best-of-N the top score, weighted the top score sum', () => {
  const j = (answer: string | null, correct = false) => ({ answer, correct });
  const judged = [j('2'), j('1', true), j('2'), j('3'), j('1', true), j(null)];
  const scores = [0.4, 0.3, 0.1, 0.6, 0.35, 5];
  assert.deepEqual(pickMajority(judged.slice(0, 5)), { index: 0, answer: '2', correct: false }); // 2 votes each: "2" came first
  assert.deepEqual(pickMajority(judged.slice(0, 2).concat(judged.slice(4))), { index: 1, answer: '1', correct: true });
  assert.deepEqual(pickBest(judged.slice(0, 5), scores), { index: 3, answer: '3', correct: false });
  // "2": 0.4+0.1 = 0.5, "1": 0.3+0.35 = 0.65, "3": 0.6; the answerless 5 never votes.
  assert.deepEqual(pickWeighted(judged, scores), { index: 1, answer: '1', correct: true });
  assert.equal(pickWeighted([j(null)], [1]).index, -1);
});

const POOL = ['aA=2', 'bbA=1', 'cA=2', 'dddA=3', 'eA=1'];
const POOL_SCORES = { aA: 0, 'aA=2': 0.4, 'bbA=1': 0.3, 'cA=2': 0.1, 'dddA=3': 0.6, 'eA=1': 0.35 };

test('majority, best-of-N and weighted best-of-N over one shared pool, per sample budget', async () => {
  const { ctx, gen } = context({ P: POOL });
  const pool = new SamplePool(ctx, 5);
  const budgets = [1, 2, 3, 5];
  const maj = await parallelStrategy('majority', pool, null).run(problemP, budgets, 'samples');
  const bon = await parallelStrategy('best-of-n', pool, tableOutcome(POOL_SCORES)).run(problemP, budgets, 'samples');
  const wbon = await parallelStrategy('weighted-best-of-n', pool, tableOutcome(POOL_SCORES)).run(problemP, budgets, 'samples');
  assert.equal(gen.calls.length, 5, 'the pool is drawn once for all three strategies and every budget');
  assert.deepEqual(maj.map((r) => r.answer), ['2', '2', '2', '2']);
  assert.deepEqual(bon.map((r) => r.answer), ['2', '2', '2', '3']);
  assert.deepEqual(wbon.map((r) => [r.answer, r.correct]), [['2', false], ['2', false], ['2', false], ['1', true]]);
  // Tokens: the first b samples' own costs (characters + 1).
  const costs = POOL.map(cost); // 5, 6, 5, 7, 5
  assert.deepEqual(wbon.map((r) => r.tokens), [5, 11, 16, 28]);
  assert.deepEqual(maj.map((r) => r.tokens), [costs[0], costs[0] + costs[1], 16, 28]);
  assert.deepEqual(wbon.map((r) => r.candidates), [1, 2, 3, 5]);
});

test('a token budget buys the longest prefix of samples that fits', async () => {
  const attempts = POOL.map((text) => ({ text, tokens: cost(text), judged: fakeJudge.judge(problemP, text) }));
  assert.equal(affordable(attempts, 10, 'tokens'), 1); // 5, then 5+6 = 11 > 10
  assert.equal(affordable(attempts, 11, 'tokens'), 2);
  assert.equal(affordable(attempts, 4, 'tokens'), 0);
  const { ctx } = context({ P: POOL });
  const [r] = await parallelStrategy('weighted-best-of-n', new SamplePool(ctx, 5), tableOutcome(POOL_SCORES)).run(problemP, [28], 'tokens');
  assert.deepEqual([r.answer, r.tokens, r.candidates], ['1', 28, 5]);
});

test('beam search keeps the N/M best steps, expands each M times, and picks by weighted vote over finished beams', async () => {
  const { ctx, gen } = context({
    P: ['s1', 's2', 's3', 's4'],
    'Ps1\n': ['A=1', 't1'],
    'Ps3\n': ['A=2', 't3'],
    'Ps1\nt1\n': ['A=1', 'A=3'],
    'Ps3\nt3\n': ['A=2', 'A=2'],
  });
  const scorer = tableSteps({ s1: 0.9, s2: 0.1, s3: 0.5, s4: 0.2, t1: 0.3, t3: 0.8, 'A=1': 0.7, 'A=2': 0.4, 'A=3': 0.2 });
  const beam = beamStrategy(ctx, scorer, { expansions: 2, maxRounds: 40, tokenBudgetWidth: 4, lookahead: 0 });
  const [r] = await beam.run(problemP, [4], 'samples');
  // Round 0: 4 first steps, keep s1 and s3 (4/2 = 2). Round 1: s1 → A=1 (done), t1; s3 → A=2 (done), t3.
  // Round 2: t1 → A=1, A=3; t3 → A=2, A=2: 6 finished >= 4, stop. Votes: "1" 2×0.7 = 1.4, "2" 3×0.4 = 1.2, "3" 0.2.
  assert.deepEqual([r.answer, r.correct, r.candidates], ['1', true, 6]);
  // Tokens: 4 steps of 2 chars (+1 each) = 12, then 8 replies of 2-3 chars: 4×4 + 2×3 + 2×4... each reply's own cost.
  const replies = ['s1', 's2', 's3', 's4', 'A=1', 't1', 'A=2', 't3', 'A=1', 'A=3', 'A=2', 'A=2'];
  assert.equal(r.tokens, replies.reduce((s, t) => s + cost(t), 0));
  assert.equal(gen.calls.length, 12);
  assert.ok(gen.calls.every((c) => c.stop?.[0] === '\n'), 'steps stop at the separator');
  assert.equal(beam.name, 'beam@steps');
});

test('lookahead scores each candidate at the end of a greedy rollout and counts the rollout tokens', async () => {
  const { ctx, gen } = context({
    P: ['a', 'b'],
    'greedy|Pa\n': ['x'],
    'greedy|Pb\n': ['y'],
    'Pb\n': ['A=1', 'A=1'],
  });
  const scorer = tableSteps({ x: 0.2, y: 0.9, 'A=1': 0.5 });
  const [r] = await beamStrategy(ctx, scorer, { expansions: 2, maxRounds: 40, tokenBudgetWidth: 2, lookahead: 1 }).run(problemP, [2], 'samples');
  // Width 2, keep 1: rollouts a→x (0.2), b→y (0.9) keep b; b → A=1, A=1 finish.
  assert.deepEqual([r.answer, r.correct, r.candidates], ['1', true, 2]);
  assert.equal(r.tokens, 2 * cost('a') + 2 * cost('x') + 2 * cost('A=1'));
  assert.deepEqual(gen.calls.filter((c) => c.temperature === 0).map((c) => c.prompt), ['Pa\n', 'Pb\n']);
  assert.deepEqual(scorer.asked.slice(0, 2), [['a\n', 'x\n'], ['b\n', 'y\n']]);
});

test('beam search stops when a token budget is spent', async () => {
  const { ctx } = context({ P: ['s1', 's2', 's3', 's4', 's1', 's2', 's3', 's4'], 'Ps1\n': ['A=1', 't1'], 'Ps3\n': ['A=2', 't3'] });
  const scorer = tableSteps({ s1: 0.9, s2: 0.1, s3: 0.5, s4: 0.2, t1: 0.3, t3: 0.8, 'A=1': 0.7, 'A=2': 0.4 });
  // Round 0 costs 12 tokens. With 12 to spend nothing finishes: the best open beam (s1) states no
  // answer. With 13, round 1 runs too (the budget is checked between rounds), then it stops.
  const beam = beamStrategy(ctx, scorer, { expansions: 2, maxRounds: 40, tokenBudgetWidth: 4, lookahead: 0 });
  const [r12, r13] = await beam.run(problemP, [12, 13], 'tokens');
  assert.deepEqual([r12.answer, r12.correct, r12.tokens, r12.candidates], [null, false, 12, 0]);
  assert.equal(r13.tokens, 12 + cost('A=1') + cost('t1') + cost('A=2') + cost('t3'));
  assert.deepEqual([r13.answer, r13.candidates], ['1', 2]);
});

test('revisions see the earlier answers and the verifier picks across the chain', async () => {
  const { ctx, gen } = context({ 'P[]': ['A=2'], 'P[2]': ['A=3'], 'P[3]': ['A=1'] });
  const rev = revisionStrategy(ctx, verifierScorer(fakeJudge), { chains: 1, context: 1, tokenBudgetLength: 3 });
  const out = await rev.run(problemP, [1, 2, 3], 'samples');
  assert.deepEqual(gen.calls.map((c) => c.prompt), ['P[]', 'P[2]', 'P[3]'], 'with context 1 only the last answer is shown');
  assert.deepEqual(out.map((r) => r.correct), [false, false, true]);
  assert.deepEqual(out.map((r) => r.tokens), [4, 8, 12]);
  const { ctx: ctx2 } = context({ 'P[]': ['A=2', 'A=1'], 'P[2]': ['A=2'], 'P[1]': ['A=1'] });
  // Two chains of two: chain 0 says 2 then 2, chain 1 says 1 then 1; by majority "2" came first.
  const two = await revisionStrategy(ctx2, null, { chains: 2, context: 4, tokenBudgetLength: 2 }).run(problemP, [1, 4], 'samples');
  assert.deepEqual(two.map((r) => [r.answer, r.candidates]), [['2', 1], ['2', 4]]);
});

test('beam search narrower than M expands its one beam `width` times a round', async () => {
  const { ctx, gen } = context({ P: ['s1', 's2'], 'Ps2\n': ['A=1', 'A=2'] });
  const [r] = await beamStrategy(ctx, tableSteps({ s1: 0.1, s2: 0.6, 'A=1': 0.5, 'A=2': 0.5 }), { expansions: 4, maxRounds: 40, tokenBudgetWidth: 2, lookahead: 0 }).run(problemP, [2], 'samples');
  assert.equal(gen.calls.length, 4);
  assert.deepEqual([r.answer, r.candidates], ['1', 2]); // equal sums: the first answer
});

test('votes group answers the verifier treats as one: Countdown expressions by their value, not their text', () => {
  const problem = countdownProblem({ numbers: [15, 7, 3], target: 25, difficulty: 0, solution: '15+7+3' });
  const judge = taskJudge(countdownTask, [problem]);
  const [p] = searchProblems([problem]);
  const say = (e: string) => `<think>\n${e}\n</think>\n<answer>\n${e}\n</answer>`;
  // Two wrong answers written alike, three right ones written three ways.
  const judged = ['15-7-3', '15-7-3', '15+7+3', '3+15+7', '7 + 3 + 15'].map((e) => judge.judge(p, say(e)));
  assert.deepEqual(judged.map((j) => j.correct), [false, false, true, true, true]);
  assert.deepEqual(pickMajority(judged), { index: 2, answer: '15+7+3', correct: true });
  // Weighted: the right answers' 0.3 + 0.3 + 0.3 beat the wrong one's 0.4 + 0.4.
  assert.equal(pickWeighted(judged, [0.4, 0.4, 0.3, 0.3, 0.3]).correct, true);
  // Invalid expressions (a number not given, an operator the level lacks) keep their text: never grouped with a right one.
  assert.notEqual(judge.judge(p, say('20+5')).key, judged[2].key);
  assert.notEqual(judge.judge(p, say('15+7+3*1')).key, judged[2].key);
});

test('a weighted vote refuses negative or non-finite weights instead of counting votes against an answer', () => {
  const j = (a: string) => ({ answer: a, correct: a === '1' });
  assert.throws(() => pickWeighted([j('1'), j('1'), j('2')], [-1, -1, -0.5]), /candidate 0 has score -1.*non-negative/);
  assert.throws(() => pickWeighted([j('1')], [NaN]), /finite/);
});
