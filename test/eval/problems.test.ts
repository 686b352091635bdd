// Reading benchmark files: gold conventions, code formats, and bad lines named by line number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadProblems } from '../../src/eval/problems.js';
import { InputError } from '../../src/util/errors.js';
import { findBenchmark, benchmarkPath, listBenchmarks } from '../../src/tasks/benchmarks.js';
import { simpleBoxed, tempDir, writeLines } from './helpers.js';

test('gold answers: GSM8K "####" with separators, solution boxed, numbers', () => {
  const file = writeLines(join(tempDir(), 'd.jsonl'), [
    { question: 'q1', answer: 'work <<1+1=2>>\n#### 1,234' },
    { problem: 'p2', solution: 'so \\boxed{3} then \\boxed{\\frac12}' },
    { problem: 'p3', answer: 27.0 },
    { id: 'x', problem: 'p4', answer: ' 025 ' },
  ]);
  const { format, problems } = loadProblems({ file, boxedAnswer: simpleBoxed });
  assert.equal(format, 'math');
  assert.deepEqual(
    problems.map((p) => [p.id, p.problem, p.gold]),
    [
      ['line-1', 'q1', '1234'],
      ['line-2', 'p2', '\\frac12'],
      ['line-3', 'p3', '27'],
      ['x', 'p4', '025'],
    ],
  );
});

test('custom field names', () => {
  const file = writeLines(join(tempDir(), 'd.jsonl'), [{ key: 'a', q: 'what?', gold: '5' }]);
  const { problems } = loadProblems({ file, boxedAnswer: simpleBoxed, fields: { problem: 'q', answer: 'gold', id: 'key' } });
  assert.deepEqual(problems[0], { id: 'a', line: 1, problem: 'what?', gold: '5' });
});

test('bad lines are reported with file, line and field', () => {
  const dir = tempDir();
  const file = writeLines(join(dir, 'bad.jsonl'), [{ problem: 'ok', answer: '1' }, '', { problem: 'no gold' }, { answer: '2' }, { problem: 'p', answer: '#### ' }]);
  assert.throws(
    () => loadProblems({ file, boxedAnswer: simpleBoxed }),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, /bad\.jsonl:3, field "answer": no gold answer/);
      assert.match(err.message, /2 more bad lines: 4, 5/);
      return true;
    },
  );
  const notJson = writeLines(join(dir, 'nj.jsonl'), [{ problem: 'ok', answer: '1' }, '{"problem": oops}']);
  assert.throws(() => loadProblems({ file: notJson, boxedAnswer: simpleBoxed }), /nj\.jsonl:2: not valid JSON/);
  const dup = writeLines(join(dir, 'dup.jsonl'), [{ id: 1, problem: 'a', answer: '1' }, { id: 1, problem: 'b', answer: '2' }]);
  assert.throws(() => loadProblems({ file: dup, boxedAnswer: simpleBoxed }), /dup\.jsonl:2: duplicate id "1" \(first on line 1\)/);
});

test('a gold of the wrong type is named as such, and never replaced by the solution\'s box unseen', () => {
  const dir = tempDir();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ problem: 'p', answer: true }, /field "answer": expected a string or number, got true/],
    [{ problem: 'p', answer: [1, 2], solution: '\\boxed{3}' }, /field "answer": expected a string or number, got \[1,2\]/],
    [{ problem: 'p', answer: '' }, /field "answer": empty, and no "solution"/],
    [{ problem: 'p', answer: null }, /field "answer": null, and no "solution"/],
    [{ problem: 'p', solution: 42 }, /field "solution": expected a non-empty string/],
  ];
  for (const [rec, want] of cases) {
    const file = writeLines(join(dir, 'g.jsonl'), [rec]);
    assert.throws(() => loadProblems({ file, boxedAnswer: simpleBoxed }), want);
  }
});

test('every bundled benchmark loads with its record count', () => {
  for (const b of listBenchmarks()) {
    const { format, problems } = loadProblems({ file: benchmarkPath(b), label: b.name, format: b.format, include: b.include, boxedAnswer: simpleBoxed });
    assert.equal(format, b.format, b.name);
    assert.equal(problems.length, b.records, b.name);
  }
  const gsm = loadProblems({ file: benchmarkPath(findBenchmark('GSM8K')!), boxedAnswer: simpleBoxed }).problems;
  assert.ok(gsm.every((p) => /^-?\d+$/.test(p.gold)), 'GSM8K golds are plain integers');
  const aime = loadProblems({ file: benchmarkPath(findBenchmark('aime24')!), boxedAnswer: simpleBoxed }).problems;
  assert.equal(aime[0].id, '60');
  const he = loadProblems({ file: benchmarkPath(findBenchmark('humaneval')!), boxedAnswer: simpleBoxed }).problems;
  assert.equal(he[0].id, 'HumanEval/0');
  assert.equal(he[0].code?.entryPoint, 'has_close_elements');
  const mbpp = loadProblems({ file: benchmarkPath(findBenchmark('mbpp')!), format: 'mbpp', include: findBenchmark('mbpp')!.include, boxedAnswer: simpleBoxed }).problems;
  assert.equal(mbpp[0].id, '11');
  assert.match(mbpp[0].problem, /Your code should pass these tests:\n\nassert /);
});

test('aha eval reads a solution\'s gold as the reward does: boxes joined by "and" are one answer, not the last box alone', async () => {
  const { fileSource, loadDataSet } = await import('../../src/eval/data-set.js');
  const { extractGold } = await import('../../src/rewards/index.js');
  const solutions = ['the pairs are $\\boxed{(98, 2)}$ and $\\boxed{(99, 503)}$.', 'first \\boxed{3}, then it is \\boxed{\\frac12}'];
  const file = writeLines(join(tempDir(), 'joined.jsonl'), solutions.map((solution, i) => ({ problem: `p${i}`, solution })));
  const set = await loadDataSet(fileSource(file), { api: 'completions', lastNumberFallback: false, codeTimeoutMs: 1000 });
  assert.deepEqual(set.problems.map((p) => p.gold), ['(98, 2), (99, 503)', '\\frac12']);
  // The reward's reading of the same solutions, which training grades against.
  assert.deepEqual(solutions.map((s) => extractGold(s)), ['(98, 2), (99, 503)', '\\frac12']);
});
