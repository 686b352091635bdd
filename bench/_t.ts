import { search } from '../src/eval/search/run.js';
for (const strategies of [['majority'], ['beam@mc2']]) {
  const t0 = performance.now();
  const r = await search({ task: 'countdown', model: 'models/aha-tiny-countdown', problems: 10, budgets: [1, 4, 16], strategies, maxTokens: 360, bins: 2 });
  console.log(strategies, r.summary.strategies.map((s) => s.points.map((p) => [p.accuracy, p.tokens, p.scorer_tokens])), r.summary.pass1, (performance.now() - t0) / 1000);
}
