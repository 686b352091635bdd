// bench:ttc's arithmetic over searches: a search whose strategy ran at fewer budgets (lookahead
// at the small budgets only) joined to the main one, and means over seeds of the series a
// strategy has, leaving out the budgets where it did not run rather than counting them as 0.
import type { SearchSummary, StrategyPoint } from '../../src/eval/search/run.js';

/** A strategy's point at a budget; undefined where it did not run. Throws for an unknown strategy. */
export function pointAt(s: SearchSummary, name: string, budget: number): StrategyPoint | undefined {
  const st = s.strategies.find((x) => x.name === name);
  if (!st) throw new Error(`bench:ttc: no strategy ${name} in the search of ${s.model}`);
  return st.points.find((p) => p.budget === budget);
}

/**
 * The main search with another search's strategies appended (same problems and seed, its own
 * budgets: a subset of the main ones). The compute-optimal rule and the bins stay the main
 * search's, so the appended strategies are not among the rule's choices.
 */
export function joinSearches(main: SearchSummary, extra: SearchSummary): SearchSummary {
  if (extra.problems !== main.problems) throw new Error(`bench:ttc: searches of ${main.problems} and ${extra.problems} problems cannot be joined`);
  for (const b of extra.budgets) if (!main.budgets.includes(b)) throw new Error(`bench:ttc: budget ${b} of the joined search is not among ${main.budgets.join(',')}`);
  const names = new Set(main.strategies.map((s) => s.name));
  for (const s of extra.strategies) if (names.has(s.name)) throw new Error(`bench:ttc: strategy ${s.name} is in both searches`);
  return { ...main, strategies: [...main.strategies, ...extra.strategies], seconds: main.seconds + extra.seconds };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Mean over searches (seeds) of one series, a strategy or "optimal", at the budgets it ran in
 * every search: accuracy, completion tokens and scorer tokens per problem.
 */
export function meanSeries(searches: readonly SearchSummary[], name: string, budgets: readonly number[]): { budget: number; accuracy: number; tokens: number; scorer_tokens: number }[] {
  if (searches.length === 0) throw new Error('bench:ttc: no searches to average');
  const at = (s: SearchSummary, budget: number) => {
    if (name !== 'optimal') return pointAt(s, name, budget);
    const o = s.optimal.find((p) => p.budget === budget);
    return o && { accuracy: o.accuracy, tokens: NaN, scorer_tokens: NaN };
  };
  return budgets
    .filter((budget) => searches.every((s) => at(s, budget) !== undefined))
    .map((budget) => {
      const pts = searches.map((s) => at(s, budget)!);
      return { budget, accuracy: mean(pts.map((p) => p.accuracy)), tokens: mean(pts.map((p) => p.tokens)), scorer_tokens: mean(pts.map((p) => p.scorer_tokens)) };
    });
}
