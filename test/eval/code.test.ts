// Code benchmarks graded in the rewards part's sandbox: HumanEval programs built from the prompt
// and the reply (continuation or whole function), MBPP from the code and its asserts, MultiPL-E
// continuations on the completions API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertJob } from '../../src/eval/grading.js';
import { graderFor } from '../../src/eval/verifiers.js';
import { loadProblems } from '../../src/eval/problems.js';
import { benchmarkPath, findBenchmark } from '../../src/tasks/benchmarks.js';
import { sandboxStatus } from '../../src/rewards/index.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { join } from 'node:path';
import { evaluate } from '../../src/eval/evaluate.js';
import { startFakeServer } from './fake-openai-server.js';
import { simpleBoxed, tempDir, writeLines } from './helpers.js';

const he = findBenchmark('humaneval')!;
const heProblems = loadProblems({ file: benchmarkPath(he), format: he.format, boxedAnswer: simpleBoxed }).problems;
const heRaw = readJsonl(benchmarkPath(he)).map((r) => r.value as { canonical_solution: string; prompt: string });

test('HumanEval job: prompt then reply, tested by check with the entry point as candidate', () => {
  const p = heProblems[0];
  const cont = assertJob(p, '    return True\n');
  assert.ok(cont.code.startsWith(p.code!.prompt + '    return True\n'));
  assert.equal(cont.asserts, p.code!.test);
  assert.equal(cont.entryPoint, 'has_close_elements');
  const whole = assertJob(p, 'def has_close_elements(numbers, threshold):\n    return True\n');
  assert.ok(whole.code.includes(p.code!.prompt + '\ndef has_close_elements('), 'a restated function follows the prompt on its own line');
});

const sandbox = sandboxStatus();
const skip = sandbox.ok ? false : `code sandbox unavailable: ${sandbox.why}`;

test('HumanEval replies graded in the sandbox', { skip }, async () => {
  const grader = graderFor('humaneval', { lastNumberFallback: true, codeTimeoutMs: 10_000 });
  const [right, chat, wrong, noisy] = await Promise.all([
    grader.grade(heProblems[2], heRaw[2].canonical_solution),
    grader.grade(heProblems[2], 'Here you go:\n```python\ndef truncate_number(number: float) -> float:\n    return number % 1.0\n```\nDone.'),
    grader.grade(heProblems[2], '    return number\n'),
    grader.grade(heProblems[2], 'I cannot do that.'),
  ]);
  assert.equal(right.correct, true, right.reason);
  assert.equal(chat.correct, true, chat.reason);
  assert.equal(wrong.correct, false);
  assert.match(wrong.reason ?? '', /wrong_answer/);
  assert.equal(noisy.correct, false);
});

test('MBPP replies graded against their asserts in the sandbox', { skip }, async () => {
  const b = findBenchmark('mbpp')!;
  const problems = loadProblems({ file: benchmarkPath(b), format: b.format, include: b.include, boxedAnswer: simpleBoxed }).problems;
  const raw = readJsonl(benchmarkPath(b)).map((r) => r.value as { task_id: number; code: string });
  const p = problems[0];
  const ref = raw.find((r) => String(r.task_id) === p.id)!;
  const grader = graderFor('mbpp', { lastNumberFallback: true, codeTimeoutMs: 10_000 });
  const good = await grader.grade(p, '```python\n' + ref.code.replace(/\r\n/g, '\n') + '\n```');
  assert.equal(good.correct, true, good.reason);
  const bad = await grader.grade(p, '```python\ndef remove_Occ(s, ch):\n    return s\n```');
  assert.equal(bad.correct, false);
});

test('MultiPL-E records on the completions API: the open function is sent as is, with the records\' own stop strings, and the continuation passes', { skip }, async () => {
  const stops = ['\nfunction ', '\n/*', '\n//', '\nclass'];
  const prompt = '//Add two numbers\nfunction add(a, b){\n';
  const tests = 'const assert = require(\'node:assert\');\n\nfunction test() {\n  let candidate = add;\n  assert.deepEqual(candidate(1, 2),3);\n}\n\ntest();';
  const dir = tempDir();
  const data = writeLines(join(dir, 'js.jsonl'), [{ name: 'JS_add', language: 'js', prompt, tests, stop_tokens: stops }]);
  // A base model finishes the body, then starts another function; a server cuts at the first stop string.
  const continued = '  return a + b;\n}\n\nfunction unfinished(x) {\n  return x +';
  const server = await startFakeServer({
    reply: (_p, _c, req) => {
      const given = (req.body.stop as string[] | undefined) ?? [];
      return continued.slice(0, Math.min(...given.map((s) => continued.indexOf(s)).filter((i) => i >= 0), continued.length));
    },
  });
  try {
    const r = await evaluate({ data, model: 'fake', endpoint: server.url, api: 'completions', out: join(dir, 'out.jsonl') });
    assert.equal(server.requests[0].body.prompt, prompt);
    assert.deepEqual(server.requests[0].body.stop, stops);
    assert.equal(r.metrics['pass@1'], 1);
  } finally {
    await server.close();
  }
});
