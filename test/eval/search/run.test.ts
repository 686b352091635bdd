// search() end to end on Countdown problems with a fake generator, the files it writes, the
// report built from them, and option errors that name the option (and, from the CLI, the flag).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenerationRequest, GenerationResult, Generator, SamplingOptions } from '../../../src/eval/generator.js';
import { search, checkSearchOptions, budgetToReach, type SearchSummary } from '../../../src/eval/search/run.js';
import { searchCharts, writeSearchReport } from '../../../src/report/search-report.js';
import { main } from '../../../src/cli/program.js';
import { tempDir } from '../helpers.js';

/** Answers a Countdown prompt with its numbers added up: right exactly when the target is their sum. */
class SumGenerator implements Generator {
  readonly description = 'sum';
  prompts: string[] = [];
  async generate(req: GenerationRequest, _s: SamplingOptions): Promise<GenerationResult> {
    this.prompts.push(req.prompt);
    const m = /Make (\d+) from ([\d, ]+), each/.exec(req.prompt);
    if (!m) throw new Error(`not a Countdown prompt: ${req.prompt}`);
    // Every other sample (by seed) subtracts the last number instead.
    const nums = m[2].split(', ');
    const expr = req.sampleSeeds![0] % 2 ? nums.join('+') : `${nums.slice(0, -1).join('+')}-${nums[nums.length - 1]}`;
    const text = `<think>\n${expr}\n</think>\n<answer>\n${expr}\n</answer>`;
    return { samples: [{ text, finishReason: 'stop' }], usage: { promptTokens: 0, completionTokens: text.length } };
  }
  async close(): Promise<void> {}
}

test('search() runs the parallel strategies and revisions, bins problems and fits the compute-optimal rule', async () => {
  const out = join(tempDir(), 'search');
  const gen = new SumGenerator();
  const { summary, rows } = await search({
    task: 'countdown', model: 'fake', generator: gen, problems: 8, budgets: [1, 2, 4],
    strategies: ['majority', 'best-of-n@verifier', 'weighted-best-of-n@verifier', 'revisions'], bins: 2, out,
  });
  assert.equal(rows.length, 8 * 4 * 3);
  assert.deepEqual(summary.strategies.map((s) => [s.name, s.oracle]), [
    ['majority', false], ['best-of-n@verifier', true], ['weighted-best-of-n@verifier', true], ['revisions@verifier', true],
  ]);
  // The verifier's best-of-N is pass@N: a problem counts once any of its first N samples is right.
  const bon = summary.strategies[1].points.map((p) => p.accuracy);
  assert.ok(bon[0] <= bon[1] && bon[1] <= bon[2]);
  const right = rows.filter((r) => r.strategy === 'best-of-n@verifier');
  for (const b of [1, 2, 4]) assert.equal(bon[[1, 2, 4].indexOf(b)], right.filter((r) => r.budget === b && r.correct).length / 8);
  // Samples are shared: budget 4 of the parallel strategies costs the same tokens for each.
  const tok = (name: string) => summary.strategies.find((s) => s.name === name)!.points[2].tokens;
  assert.equal(tok('majority'), tok('best-of-n@verifier'));
  // Oracle strategies are left out of the rule: with majority as the only candidate it is majority.
  assert.deepEqual(summary.optimal.map((p) => p.accuracy), summary.strategies[0].points.map((p) => p.accuracy));
  assert.ok(summary.optimal.every((p) => p.picks.every((fold) => fold.every((name) => name === 'majority'))));
  assert.equal(summary.bins.sizes.reduce((a, b) => a + b, 0), 8);
  // Revisions show the earlier answers in the prompt.
  assert.ok(gen.prompts.some((p) => p.includes(' Tried: ')));
  const saved = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(saved.problems, 8);
  assert.equal(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').length, rows.length);

  const charts = searchCharts(saved);
  assert.equal(charts.length, 1 + 4 + 1, 'all strategies, one per strategy, one for the rule');
  assert.equal((charts[0].config.options as { scales: { x: { type: string } } }).scales.x.type, 'logarithmic');
  assert.ok(charts[0].config.data.datasets.some((d) => d.label.startsWith('compute-optimal')));
  const report = await writeSearchReport(out);
  assert.ok(existsSync(report.html) && readFileSync(report.html, 'utf8').includes('compute-optimal'));
  // A second search into the same folder is refused before it asks the generator anything.
  const again = new SumGenerator();
  await assert.rejects(search({ task: 'countdown', model: 'fake', generator: again, problems: 2, budgets: [1], strategies: ['majority'], out }), /already holds search results/);
  assert.equal(again.prompts.length, 0);
});

test('search options are checked before any work, naming the option', () => {
  const base = { task: 'countdown', model: 'm' };
  assert.throws(() => checkSearchOptions({ ...base, budgets: [4, 2] }), /budgets must be strictly ascending/);
  assert.throws(() => checkSearchOptions({ ...base, strategies: ['beam@verifier'] }), /strategies entry "beam@verifier": beam search needs step scores/);
  assert.throws(() => checkSearchOptions({ ...base, strategies: ['best-of-three'] }), /strategies entry "best-of-three" is not one of majority/);
  assert.throws(() => checkSearchOptions({ ...base, scorer: 'oracle' }), /scorer "oracle" is not a scorer/);
  assert.throws(() => checkSearchOptions({ ...base, strategies: ['beam@mc0'] }), /needs at least one rollout/);
  assert.throws(() => checkSearchOptions({ ...base, expansions: 0 }), /expansions must be an integer from 1/);
  assert.throws(() => checkSearchOptions({ ...base, beams: 4 } as never), /beams is not an option/);
  assert.throws(() => checkSearchOptions({ ...base, endpoint: 'http://x', scorer: 'likelihood' }), /likelihood scores with a local model/);
  assert.throws(() => checkSearchOptions({ ...base, strategies: ['majority'], expansions: 2 }), /expansions applies to beam and lookahead/);
  assert.throws(() => checkSearchOptions({ ...base, strategies: ['majority'], revisionContext: 2 }), /revisionContext applies to revisions/);
  // Each applies where its strategy, unit or scorer is in the run.
  checkSearchOptions({ ...base, strategies: ['lookahead'], lookahead: 2, expansions: 2, maxRounds: 3, mcRollouts: 2 });
  checkSearchOptions({ ...base, strategies: ['beam', 'revisions'], unit: 'tokens', budgets: [64], poolSize: 8, beamWidth: 2, chains: 2, revisionContext: 1 });
  checkSearchOptions({ ...base, strategies: ['majority'], scorer: 'mc', binsFrom: 'predicted', mcRollouts: 2 });
});

test('aha search refuses bad flags with one line naming the flag, exit code 2, nothing written', async () => {
  const out = join(tempDir(), 'none');
  const cases: [string[], RegExp][] = [
    [['--budget', '8,4'], /^aha: --budget must be strictly ascending/],
    [['--budget', '1,x'], /^aha: --budget must be an integer >= 1, got "x"/],
    [['--strategy', 'beam@verifier'], /^aha: --strategy entry "beam@verifier": beam search needs step scores/],
    [['--mc-rollouts', '0'], /^aha: --mc-rollouts must be an integer >= 1/],
    // Flags that would change nothing in the run chosen are refused, not ignored.
    [['--endpoint', 'http://127.0.0.1:9/v1', '--adapter', 'a'], /^aha: --adapter applies to a local model folder/],
    [['--api-key', 'k'], /^aha: --api-key is the bearer token of a server: it needs endpoint/],
    [['--bins-from', 'predicted'], /^aha: --bins-from predicted bins are the default scorer's mean score/],
    [['--pool-size', '8'], /^aha: --pool-size sets the samples drawn when budgets are in tokens/],
    [['--beam-width', '2'], /^aha: --beam-width sets the beams when budgets are in tokens/],
    [['--strategy', 'majority', '--lookahead-steps', '2'], /^aha: --lookahead-steps applies to lookahead, which is not among the strategies/],
    [['--strategy', 'beam', '--chains', '2'], /^aha: --chains applies to revisions/],
    [['--strategy', 'beam@mc4', '--mc-rollouts', '3'], /^aha: --mc-rollouts sets the rollouts of the mc scorer, which no strategy here uses/],
  ];
  for (const [args, re] of cases) {
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (typeof chunk === 'string' ? ((err += chunk), true) : write(chunk, ...rest))) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['node', 'aha', 'search', '--model', 'models/aha-tiny-countdown', '--out', out, ...args]);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(code, 2, args.join(' '));
    assert.match(err, re);
    assert.equal(err.trim().split('\n').length, 1);
    assert.ok(!existsSync(out));
  }
});

test('a revision prompt of a bundled task stays inside the demo models\' character set', async () => {
  const { countdownTask } = await import('../../../src/tasks/countdown.js');
  const { taskJudge, searchProblems } = await import('../../../src/eval/search/problem.js');
  const { outsideCharset } = await import('../../../src/tasks/charset.js');
  const problems = countdownTask.generate({ split: 'heldout', count: 2, seed: 1, difficulty: 0 });
  const judge = taskJudge(countdownTask, problems);
  const [p] = searchProblems(problems);
  const revised = judge.revisionPrompt(p, ['9-3+5', '9+3-5']);
  assert.deepEqual(outsideCharset(revised), []);
  assert.ok(revised.endsWith(' Tried: 9-3+5, 9+3-5.\nAssistant: '), revised);
  assert.equal(judge.revisionPrompt(p, []), p.prompt);
});

test('aha search against an OpenAI-compatible server: beam steps stop at the separator, files and report written', async () => {
  const { startFakeServer } = await import('../fake-openai-server.js');
  const { runCommand } = await import('../../cli/in-process.js');
  const { register } = await import('../../../src/cli/commands/search.js');
  const sumOf = (prompt: string) => /from ([\d, ]+), each/.exec(prompt)![1].split(', ').join('+');
  // With a stop string (a step): a first line, then the answer. Without: the whole answer at once.
  const server = await startFakeServer({
    reply: (prompt, _choice, req) => {
      const answer = `</think>\n<answer>\n${sumOf(prompt)}\n</answer>`;
      if (req.body.stop === undefined) return `<think>\n${answer}`;
      return prompt.endsWith('Assistant: ') ? '<think>' : answer;
    },
  });
  try {
    const out = join(tempDir(), 'remote');
    const stdout = await runCommand(register, 'search', [
      '--endpoint', server.url, '--model', 'fake', '--problems', '3', '--strategy', 'majority,beam@mc1', '--budget', '1,2', '--bins', '1', '--out', out, '--json', '--quiet',
    ]);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.deepEqual(summary.strategies.map((s: { name: string }) => s.name), ['majority', 'beam@mc1']);
    assert.equal(summary.problems, 3);
    const paths = server.requests.map((r) => r.path);
    assert.ok(paths.every((p) => p.endsWith('/completions') && !p.endsWith('/chat/completions')), 'the completions API');
    assert.ok(server.requests.some((r) => JSON.stringify(r.body.stop) === '["\\n"]'), 'beam steps ask to stop at the separator');
    // Every answer sums the numbers: right exactly when the target is their sum, the same for both strategies.
    assert.deepEqual(summary.strategies[1].points.map((p: { accuracy: number }) => p.accuracy), summary.strategies[0].points.map((p: { accuracy: number }) => p.accuracy));
    assert.ok(existsSync(join(out, 'results.jsonl')) && existsSync(join(out, 'report.html')));
  } finally {
    await server.close();
  }
});

test('aha report on a search folder writes its accuracy-against-budget page and PNG charts', async () => {
  const { runCommand } = await import('../../cli/in-process.js');
  const { register } = await import('../../../src/cli/commands/report.js');
  const out = join(tempDir(), 'for-report');
  await search({ task: 'countdown', model: 'fake', generator: new SumGenerator(), problems: 4, budgets: [1, 2], strategies: ['majority', 'weighted-best-of-n@verifier'], bins: 2, out });
  const html = join(out, 'page.html');
  const pngDir = join(out, 'png');
  const stdout = await runCommand(register, 'report', [out, '--out', html, '--png', pngDir, '--png-scale', '1']);
  assert.match(stdout, /^report: .*page\.html/);
  assert.ok(readFileSync(html, 'utf8').includes('weighted-best-of-n@verifier'));
  const pngs = stdout.split('\n').filter((l) => l.startsWith('png: '));
  assert.equal(pngs.length, 1 + 2 + 1);
  for (const l of pngs) assert.deepEqual([...readFileSync(l.slice(5)).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
});

test('a LoRA adapter folder as the model: the base model context caps every continuation', async () => {
  const { saveModel } = await import('../../../src/model/load-model.js');
  const { CharTokenizer } = await import('../../../src/model/char-tokenizer.js');
  const { LoraModel, parseLoraSpec } = await import('../../../src/model/lora.js');
  const { loadFrozenBase, saveAdapter } = await import('../../../src/model/adapter.js');
  const { tinyModel } = await import('../../model/helpers.js');
  const dir = tempDir();
  const base = join(dir, 'base'), adapter = join(dir, 'adapter');
  // A 256-token context (the prompt takes part of it); the completions asked for are 2000 tokens long.
  saveModel(tinyModel({ max_position_embeddings: 256 }, 3, 0.2), new CharTokenizer(), base);
  saveAdapter(adapter, new LoraModel(loadFrozenBase(base).model, parseLoraSpec('r=2,alpha=4'), { seed: 1, baseModelPath: base }));
  const { rows } = await search({ task: 'arithmetic', model: adapter, problems: 2, strategies: ['majority'], budgets: [1], maxTokens: 2000, concurrency: 2 });
  assert.equal(rows.length, 2);
  for (const r of rows) assert.ok(r.tokens > 0 && r.tokens < 256, `a continuation of ${r.tokens} tokens in a 256-token context`);
});

test('lookahead with budgets in samples costs N·(k+1) samples: left out of the compute-optimal rule, its budget counted × (k+1) to reach a target', async () => {
  const { summary } = await search({
    task: 'countdown', model: 'fake', generator: new SumGenerator(), problems: 4, budgets: [1, 2], bins: 1,
    strategies: ['majority', 'lookahead@mc1'], lookahead: 2,
  });
  assert.deepEqual(summary.strategies.map((s) => [s.name, s.cost]), [['majority', 1], ['lookahead2@mc1', 3]]);
  assert.ok(summary.optimal.every((p) => p.picks.every((fold) => fold.every((name) => name === 'majority'))));
  // A hand-made summary: lookahead is right everywhere at 2 beams (6 samples), majority at 4 samples.
  const made = {
    ...summary,
    budgets: [2, 4],
    strategies: [
      { name: 'majority', oracle: false, cost: 1, points: [{ budget: 2, accuracy: 0.5 }, { budget: 4, accuracy: 1 }] },
      { name: 'lookahead2@mc1', oracle: false, cost: 3, points: [{ budget: 2, accuracy: 1 }, { budget: 4, accuracy: 1 }] },
    ],
    optimal: [],
  } as unknown as SearchSummary;
  assert.equal(budgetToReach(made, 1), 4);
});
