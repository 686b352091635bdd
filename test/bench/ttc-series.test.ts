// bench:ttc joins the lookahead search (small budgets only) to the main one and averages over
// seeds: a strategy's missing budgets must stay missing, never count as accuracy 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinSearches, meanSeries, pointAt } from '../../bench/lib/ttc-series.js';
import type { SearchSummary, StrategySummary } from '../../src/eval/search/run.js';

const strategy = (name: string, acc: Record<number, number>): StrategySummary => ({
  name,
  oracle: false,
  cost: 1,
  points: Object.entries(acc).map(([b, a]) => ({ budget: Number(b), accuracy: a, tokens: 10 * Number(b), scorer_tokens: name.includes('mc') ? 5 : 0, by_bin: [] })),
});

const summary = (budgets: number[], strategies: StrategySummary[], optimal: number[] = [], problems = 4): SearchSummary => ({
  task: 'countdown', model: 'm', problems, unit: 'samples', budgets, pass1: 0.5,
  bins: { source: 'oracle', count: 1, sizes: [problems], pass1: [0.5] }, strategies,
  optimal: optimal.map((accuracy, i) => ({ budget: budgets[i], accuracy, by_bin: [], picks: [[], []] })), seconds: 1, settings: {},
});

test('joinSearches appends a strategy run at fewer budgets; meanSeries averages it only where it ran', () => {
  const seeds = [0.5, 0.7].map((x) =>
    joinSearches(summary([1, 2, 4], [strategy('majority', { 1: x, 2: x, 4: x })], [x, x, 1]), summary([1, 2], [strategy('lookahead1@mc2', { 1: x - 0.5, 2: x + 0.25 })])),
  );
  assert.deepEqual(seeds[0].strategies.map((s) => s.name), ['majority', 'lookahead1@mc2']);
  assert.equal(seeds[0].seconds, 2);
  assert.equal(pointAt(seeds[0], 'lookahead1@mc2', 4), undefined);
  const look = meanSeries(seeds, 'lookahead1@mc2', [1, 2, 4]);
  assert.deepEqual(look.map((p) => p.budget), [1, 2]);
  assert.ok(Math.abs(look[0].accuracy - 0.1) < 1e-12 && Math.abs(look[1].accuracy - 0.85) < 1e-12);
  assert.deepEqual([look[1].tokens, look[1].scorer_tokens], [20, 5]);
  assert.deepEqual(meanSeries(seeds, 'majority', [1, 2, 4]).map((p) => p.budget), [1, 2, 4]);
  assert.deepEqual(meanSeries(seeds, 'optimal', [1, 2, 4]).map((p) => p.accuracy), [0.6, 0.6, 1]);
});

test('joinSearches refuses searches that do not line up, and pointAt an unknown strategy', () => {
  const main = summary([1, 2], [strategy('majority', { 1: 0.5, 2: 0.5 })]);
  assert.throws(() => joinSearches(main, summary([4], [strategy('beam@mc2', { 4: 1 })])), /budget 4 of the joined search is not among 1,2/);
  assert.throws(() => joinSearches(main, summary([1], [strategy('beam@mc2', { 1: 1 })], [], 5)), /searches of 4 and 5 problems/);
  assert.throws(() => joinSearches(main, summary([1], [strategy('majority', { 1: 1 })])), /strategy majority is in both searches/);
  assert.throws(() => pointAt(main, 'beam@mc2', 1), /no strategy beam@mc2/);
});
