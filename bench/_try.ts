import { search } from '../src/eval/search/run.js';
const t0 = performance.now();
const r = await search({ task: 'countdown', model: 'models/aha-tiny-countdown', problems: 10, budgets: [1, 2, 4], strategies: ['majority', 'best-of-n@verifier', 'weighted-best-of-n@likelihood', 'beam@mc2', 'revisions'], maxTokens: 360, bins: 2, quiet: false });
console.log(JSON.stringify(r.summary, null, 1).slice(0, 3000));
console.log('s', (performance.now() - t0) / 1000);
