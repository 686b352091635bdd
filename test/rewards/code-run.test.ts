// Running programs against tests: stdin/stdout pairs, assert scripts (one status per assert),
// whole HumanEval-style programs, JavaScript, output comparison rules, and the code reward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCode, runProgram, outputsMatch, extractCode, getReward } from '../../src/rewards/index.js';

test('stdin/stdout tests: one status per test and the fraction passed', async () => {
  const r = await runCode({
    language: 'python',
    code: 'a, b = map(int, input().split())\nprint(a + b if a < 100 else 1 // 0)',
    tests: { inputs: ['1 2\n', '3 4\n', '5 5\n', '100 1\n'], outputs: ['3\n', '7', '11\n', '101\n'] },
  });
  assert.deepEqual(r.statuses, ['pass', 'pass', 'wrong_answer', 'runtime_error']);
  assert.equal(r.reward, 0.5);
  assert.match(r.error ?? '', /ZeroDivisionError/);
});

test('output comparison ignores trailing spaces and trailing blank lines only', () => {
  assert.equal(outputsMatch('1 2  \n3\n\n', '1 2\n3'), true);
  assert.equal(outputsMatch('1\r\n2\r\n', '1\n2\n'), true);
  assert.equal(outputsMatch(' 1\n', '1\n'), false);
  assert.equal(outputsMatch('1\n\n2', '1\n2'), false);
  assert.equal(outputsMatch('12', '1 2'), false);
});

test('assert-style Python tests report each assert separately', async () => {
  const r = await runCode({
    language: 'python',
    code: 'def double(x):\n    return 2 * x\n',
    tests: { asserts: 'import math\nassert double(2) == 4\nassert double(3) == 7\nassert missing(1)\nassert double(0) == 0\n' },
  });
  assert.deepEqual(r.statuses, ['pass', 'wrong_answer', 'runtime_error', 'pass']);
  const broken = await runCode({ language: 'python', code: 'def double(x) return 2x', tests: { asserts: 'assert double(1) == 2\nassert double(2) == 4' } });
  assert.deepEqual(broken.statuses, ['runtime_error', 'runtime_error']);
  const wrapped = await runCode({ language: 'python', code: 'def double(x):\n    return 2 * x\n', tests: { asserts: 'def check(f):\n    assert f(2) == 4\n    assert f(5) == 10\ncheck(double)' } });
  assert.deepEqual(wrapped.statuses, ['pass'], 'a script without top-level asserts is one test');
  const wrappedBad = await runCode({ language: 'python', code: 'def double(x):\n    return x\n', tests: { asserts: 'def check(f):\n    assert f(2) == 4\ncheck(double)' } });
  assert.deepEqual(wrappedBad.statuses, ['wrong_answer']);
  // Each assert has its own time limit: the one that loops times out, the next still runs.
  const slow = await runCode({ language: 'python', code: 'def f():\n    while True: pass', tests: { asserts: 'assert 1 == 1\nassert f()\nassert 2 == 2' }, timeoutMs: 1000 });
  assert.deepEqual(slow.statuses, ['pass', 'timeout', 'pass']);
});

test('stopAtFailure (all-or-nothing graders): the tests after the first failure are not run and share its status', async () => {
  const asserts = 'assert 1 == 1\nassert f()\nassert 2 == 2';
  const slow = await runCode({ language: 'python', code: 'def f():\n    while True: pass', tests: { asserts }, timeoutMs: 1000, stopAtFailure: true });
  assert.deepEqual(slow.statuses, ['pass', 'timeout', 'timeout']);
  const wrong = await runCode({ language: 'python', code: 'def f():\n    return 0', tests: { fn_name: 'f', inputs: [[], [], []], outputs: [0, 1, 0] }, stopAtFailure: true });
  assert.deepEqual(wrong.statuses, ['pass', 'wrong_answer', 'wrong_answer']);
});

test('printing a fake result line does not forge a pass', async () => {
  const r = await runCode({
    language: 'python',
    code: 'import sys\nfor i in range(3):\n    sys.stderr.write(f"\\nNONCE {i} pass\\n")\ndef f():\n    return 0',
    tests: { asserts: 'assert f() == 1' },
  });
  assert.deepEqual(r.statuses, ['wrong_answer']);
});

test('MBPP: canonical solutions pass their asserts, a wrong one does not', async () => {
  const rows = readFileSync('data/benchmarks/mbpp/mbpp.jsonl', 'utf8').trim().split('\n').slice(0, 4).map((l) => JSON.parse(l) as { code: string; test_list: string[]; test_setup_code: string });
  for (const row of rows) {
    const r = await runCode({ language: 'python', code: row.code, tests: { asserts: row.test_setup_code + '\n' + row.test_list.join('\n') } });
    assert.deepEqual(r.statuses, row.test_list.map(() => 'pass'));
  }
  const wrong = await runCode({ language: 'python', code: rows[0].code.replace('min(', 'max('), tests: { asserts: rows[0].test_list.join('\n') } });
  assert.ok(wrong.reward < 1);
});

test('HumanEval: runProgram passes iff prompt + solution + test + check(entry_point) exits 0; the reward scores each assert', async () => {
  const rows = readFileSync('data/benchmarks/humaneval/HumanEval.jsonl', 'utf8').trim().split('\n').slice(0, 3).map((l) => JSON.parse(l) as Record<string, string>);
  for (const row of rows) {
    const good = await runProgram({ language: 'python', program: `${row.prompt}${row.canonical_solution}\n\n${row.test}\n\ncheck(${row.entry_point})\n` });
    assert.equal(good.status, 'pass', good.stderr);
    const bad = await runProgram({ language: 'python', program: `${row.prompt}    return None\n\n${row.test}\n\ncheck(${row.entry_point})\n` });
    assert.notEqual(bad.status, 'pass');
  }
  const code = getReward('code');
  const row = rows[0];
  assert.equal(await code.score('```python\n' + row.prompt + row.canonical_solution + '\n```', { test: row.test, entry_point: row.entry_point, prompt: row.prompt }), 1);
  // The reward counts check(candidate)'s asserts one by one: always answering False passes only
  // the asserts that expect False (3 of the 7).
  assert.equal(await code.score('```python\n' + row.prompt + '    return False\n```', { test: row.test, entry_point: row.entry_point, prompt: row.prompt }), 3 / 7);
});

test('JavaScript runs in the same jail: stdin tests and assert scripts', async () => {
  const r = await runCode({
    language: 'javascript',
    code: 'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(" ").map(Number); console.log(a * b);',
    tests: { inputs: ['2 3', '4 5'], outputs: ['6', '21'] },
  });
  assert.deepEqual(r.statuses, ['pass', 'wrong_answer']);
  const a = await runCode({ language: 'javascript', code: 'function add(a, b) { return a + b; }', tests: { asserts: 'assert.deepEqual(add(1, 2), 3);' } });
  assert.deepEqual(a.statuses, ['pass']);
  const w = await runCode({ language: 'javascript', code: 'function add(a, b) { return a - b; }', tests: { asserts: 'assert.deepEqual(add(1, 2), 3);' } });
  assert.deepEqual(w.statuses, ['wrong_answer']);
});

test('bad requests are refused with a clear error', async () => {
  await assert.rejects(runCode({ language: 'python', code: 'print(1)', tests: { inputs: ['1'], outputs: [] } }), /inputs has 1 items but tests.outputs has 0/);
  await assert.rejects(runCode({ language: 'ruby' as 'python', code: 'puts 1', tests: { inputs: [''], outputs: ['1'] } }), /unknown code language "ruby"/);
});

test('the code reward takes the last fenced block of the right language', async () => {
  const completion = 'Plan:\n```text\nnot code\n```\n```python\nprint(int(input()) + 1)\n```';
  assert.equal(extractCode(completion, 'python'), 'print(int(input()) + 1)\n');
  assert.equal(await getReward('code').score(completion, { tests: { inputs: ['1', '2'], outputs: ['2', '4'] } }), 0.5);
  assert.equal(await getReward('code').score(completion, {}), null);
  const cpp = 'Here:\n```python\nprint(1)\n```\n```c++\nint main() {}\n```\n```text\nnotes\n```';
  assert.equal(extractCode(cpp, 'cpp'), 'int main() {}\n');
});

test('a failing run says why: the limit it hit, the failed check, the exception line, the first differing output line', async () => {
  const slow = await runCode({ language: 'python', code: 'while True: pass', tests: { inputs: [''], outputs: [''] }, timeoutMs: 500 });
  assert.deepEqual([slow.statuses, slow.error], [['timeout'], 'time limit exceeded (500 ms)']);
  const flood = await runCode({ language: 'python', code: 'def f():\n    print("x" * 5_000_000)\n    return 1', tests: { asserts: 'assert f() == 1' } });
  assert.deepEqual([flood.statuses, flood.error], [['runtime_error'], 'output limit exceeded (1 MiB of stdout and stderr)']);
  const wrong = await runCode({ language: 'python', code: 'def add(a, b):\n    return a - b', tests: { asserts: 'assert add(1, 1) == 0\nassert add(1, 2) == 3' } });
  assert.equal(wrong.error, 'test 2 failed: assert add(1, 2) == 3');
  const call = await runCode({ language: 'python', code: 'def add(a, b):\n    return a - b', tests: { fn_name: 'add', inputs: [[1, 2]], outputs: [3] } });
  assert.equal(call.error, 'test 1 failed: add returned a different value than 3');
  const stdio = await runCode({ language: 'python', code: 'print(1)\nprint(3)', tests: { inputs: ['', ''], outputs: ['1\n2\n', '1\n3\n'] } });
  assert.equal(stdio.error, 'test 1: line 2 of the output: expected "2", got "3"');
  // Node prints the exception before its stack frames and an assertion's details after it.
  const missing = await runCode({ language: 'javascript', code: 'function plus(a, b) { return a + b; }', tests: { asserts: 'assert.strictEqual(add(1, 2), 3);' } });
  assert.match(missing.error ?? '', /ReferenceError: add is not defined/);
  assert.doesNotMatch(missing.error ?? '', /\n\s+at |Node\.js v/);
  const unequal = await runCode({ language: 'javascript', code: 'function add(a, b) { return a - b; }', tests: { asserts: 'assert.strictEqual(add(1, 2), 3);' } });
  assert.match(unequal.error ?? '', /^AssertionError \[ERR_ASSERTION\]: Expected values to be strictly equal:\n-1 !== 3/);
});
