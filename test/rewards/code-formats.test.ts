// The code-RL data set forms (detected by their fields) and the test kinds behind them: call-based
// tests, per-test asserts, null stdin, and C++ compiled once in the jail — every status of each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { runCode, codeTestsOf, getReward, verifyLines, type FoundTests } from '../../src/rewards/index.js';

function found(rec: Record<string, unknown>): FoundTests {
  const f = codeTestsOf(rec);
  assert.ok(f !== null && !('error' in f), JSON.stringify(f));
  return f;
}

const ADD = 'def add(a, b):\n    if a == 99:\n        raise ValueError("no")\n    if a == 98:\n        while True: pass\n    if a == 97:\n        return [0] * (1 << 40)\n    return a + b\n';

test('call-based tests: one status per call (pass, wrong_answer, runtime_error, timeout, memory_limit)', async () => {
  const r = await runCode({
    language: 'python',
    code: ADD,
    tests: { fn_name: 'add', inputs: [[1, 2], [1, 1], [99, 0], [98, 0], [97, 0], [2, 2]], outputs: [3, 3, 0, 0, 0, 4] },
    timeoutMs: 1000,
  });
  assert.deepEqual(r.statuses, ['pass', 'wrong_answer', 'runtime_error', 'timeout', 'memory_limit', 'pass']);
  assert.match(r.error ?? '', /ValueError: no/);
});

test('call-based comparison: JSON equality with float tolerance, tuple = list, the APPS one-item wrapper', async () => {
  const code = 'def f(kind):\n    return {"float": 0.1 + 0.2, "tuple": (1, [2, 3]), "int": 3, "bool": True, "dict": {1: "a"}, "none": None, "far": 0.31}[kind]\n';
  const cases: [string, unknown, boolean][] = [
    ['float', 0.3, true],
    ['tuple', [1, [2, 3]], true],
    ['int', [3], true], // APPS stores outputs wrapped in a one-item list
    ['int', 3.0000000001, true],
    ['bool', 1, false], // JSON true is not the number 1
    ['dict', { 1: 'a' }, true], // JSON object keys are strings
    ['none', null, true],
    ['far', 0.3, false],
    ['tuple', [1, [2, 3], 4], false],
  ];
  const r = await runCode({ language: 'python', code, tests: { fn_name: 'f', inputs: cases.map(([k]) => [k]), outputs: cases.map(([, v]) => v) } });
  assert.deepEqual(r.statuses, cases.map(([, , ok]) => (ok ? 'pass' : 'wrong_answer')));
});

test('LiveCodeBench functional tests: class Solution method, one JSON value per line, typing names given', async () => {
  const code = 'class Solution:\n    def pairSum(self, nums: List[int], k: int) -> Optional[List[int]]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if k - x in seen:\n                return (seen[k - x], i)\n            seen[x] = i\n        return None\n';
  const rec = {
    question_content: 'Find two indices.',
    public_test_cases: JSON.stringify([
      { input: '[4, 1, 6]\n7', output: '[1, 2]', testtype: 'functional' },
      { input: '[1, 2]\n9', output: 'null', testtype: 'functional' },
    ]),
    // The released private tests: a pickled JSON string, zlib-compressed, base64 (pickle protocol 4, made by Python).
    private_test_cases: 'eJxrYJnqwgABPQ7R1UqZeQWlJUpWCkrRhjpGsTF5xko6Ckr5pSVQUTC3JLW4pKSyIBUkkFaal1ySmZ+XmKNUGztFDwA32Bbn',
    metadata: JSON.stringify({ func_name: 'pairSum' }),
  };
  const f = found(rec);
  assert.equal(f.form, 'livecodebench');
  assert.deepEqual(f.tests, { fn_name: 'pairSum', inputs: ['[4, 1, 6]\n7', '[1, 2]\n9', '[1,2]\n3'], outputs: ['[1, 2]', 'null', '3'] });
  const r = await runCode({ language: 'python', code, tests: f.tests });
  assert.deepEqual(r.statuses, ['pass', 'pass', 'wrong_answer']);
  const pickled = (json: string) => {
    const utf8 = Buffer.from(json, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(utf8.length);
    return deflateSync(Buffer.concat([Buffer.from([0x80, 0x03, 0x58]), len, utf8, Buffer.from([0x71, 0x00, 0x2e])])).toString('base64');
  };
  const proto3 = found({ ...rec, private_test_cases: pickled(JSON.stringify([{ input: '[5, 5]\n10', output: '[0, 1]', testtype: 'functional' }])) });
  assert.equal((proto3.tests as { inputs: unknown[] }).inputs.length, 3);
  const evil = deflateSync(Buffer.from([0x80, 0x04, 0x63, 0x6f, 0x73, 0x0a])).toString('base64'); // GLOBAL os…: never interpreted
  const refused = codeTestsOf({ ...rec, private_test_cases: evil }) as { error: string; field: string };
  assert.equal(refused.field, 'private_test_cases');
  assert.match(refused.error, /not a pickled string/);
});

test('LiveCodeBench and APPS stdin rows become stdin/stdout tests; a null input is an empty stdin', async () => {
  const lcb = found({ public_test_cases: [{ input: '3\n', output: '6\n', testtype: 'stdin' }] });
  assert.deepEqual(lcb.tests, { inputs: ['3\n'], outputs: ['6\n'] });
  const apps = found({ question: 'Double it.', input_output: JSON.stringify({ inputs: ['3\n', null, ['1', '2']], outputs: ['6\n', '0', ['2', '4']] }) });
  assert.equal(apps.form, 'apps');
  const code = 'import sys\nfor x in (sys.stdin.read().split() or ["0"]):\n    print(2 * int(x))\n';
  const r = await runCode({ language: 'python', code, tests: apps.tests });
  assert.deepEqual(r.statuses, ['pass', 'pass', 'pass']);
  const empty = await runCode({ language: 'python', code: 'import sys\nprint(repr(sys.stdin.read()))', tests: { inputs: [null], outputs: ["''"] } });
  assert.deepEqual(empty.statuses, ['pass']);
});

test('APPS / TACO call-based rows: input_output with fn_name', async () => {
  const f = found({ question: 'Add.', input_output: { fn_name: 'add', inputs: [[1, 2], [5, 5]], outputs: [[3], [11]] } });
  assert.deepEqual((await runCode({ language: 'python', code: ADD, tests: f.tests })).statuses, ['pass', 'wrong_answer']);
});

test('assert forms: MBPP test_list, HumanEval check(candidate) asserts one by one, KodCode test_* functions', async () => {
  const mbpp = found({ text: 'Write inc.', test_list: ['assert inc(1) == 2', 'assert inc(2) == 4', 'assert len(inc([0])) == 2'], test_setup_code: 'import math' });
  assert.equal(mbpp.form, 'mbpp');
  const inc = 'def inc(x):\n    return x * (1 << 40) if isinstance(x, list) else x + 1\n';
  assert.deepEqual((await runCode({ language: 'python', code: inc, tests: mbpp.tests })).statuses, ['pass', 'wrong_answer', 'memory_limit']);

  const humaneval = found({
    prompt: 'import math\n\ndef root(x):\n    """Square root."""\n',
    test: 'def check(candidate):\n    assert candidate(4) == 2\n    for x in [9, 16]:\n        assert candidate(x) ** 2 == x\n    assert candidate(-1) == 0\n',
    entry_point: 'root',
  });
  assert.equal(humaneval.form, 'humaneval');
  const body = '    return int(math.sqrt(x))\n';
  assert.deepEqual((await runCode({ language: 'python', code: humaneval.prefix + body, tests: humaneval.tests })).statuses, ['pass', 'pass', 'runtime_error']);
  assert.equal(await getReward('code').score('```python\n' + body + '```', { prompt: 'import math\n\ndef root(x):\n', test: 'def check(candidate):\n    assert candidate(4) == 2\n    assert candidate(5) == 3\n', entry_point: 'root' }), 0.5);

  const kodcode = found({ question: 'Square.', test: 'from solution import sq\n\ndef test_small():\n    assert sq(2) == 4\n\ndef test_neg():\n    assert sq(-3) == 9\n\ndef test_slow():\n    assert sq(10**7) == 10**14\n' });
  assert.equal(kodcode.form, 'kodcode');
  const slowSq = 'def sq(x):\n    if x > 1000:\n        while True: pass\n    return x * x if x > 0 else x\n';
  assert.deepEqual((await runCode({ language: 'python', code: slowSq, tests: kodcode.tests, timeoutMs: 1000 })).statuses, ['pass', 'wrong_answer', 'timeout']);
});

test('KodCode tests that use pytest get a stand-in: raises, approx, parametrize split into one test per case', async () => {
  const tests = [
    'import pytest',
    'from solution import div',
    '',
    '@pytest.mark.parametrize("a,b,q", [(6, 3, 2), (1, 3, 0.3333333), (5, 0, 0), (9, 3, 4)])',
    'def test_cases(a, b, q):',
    '    assert div(a, b) == pytest.approx(q, rel=1e-6)',
    '',
    'def test_zero():',
    '    with pytest.raises(ZeroDivisionError, match="division"):',
    '        div(1, 0)',
    '',
    'def test_no_raise():',
    '    with pytest.raises(ValueError):',
    '        div(1, 1)',
    '',
    '@pytest.fixture',
    'def unused():',
    '    return 1',
  ].join('\n');
  const f = found({ question: 'Divide.', test: tests });
  const r = await runCode({ language: 'python', code: 'def div(a, b):\n    return a / b\n', tests: f.tests });
  // (1, 3): 0.3333333 is within 1e-6 relative; (5, 0) raises; (9, 3) is 3, not 4; the last test expects a raise that never comes.
  assert.deepEqual(r.statuses, ['pass', 'pass', 'runtime_error', 'wrong_answer', 'pass', 'wrong_answer']);
});

const CPP = `#include <iostream>
#include <vector>
int main() {
  long long a, b;
  if (!(std::cin >> a >> b)) { std::cout << "empty\\n"; return 0; }
  if (a == 1) { std::vector<int>* v = nullptr; return (int)v->size(); }
  if (a == 2) { volatile long long n = 0; for (;;) n = n + 1; }
  if (a == 3) { std::vector<char> hog(1ull << 40, 'x'); std::cout << hog[5]; }
  std::cout << a + b << "\\n";
}
`;

test('C++: compiled once in the jail, then each test runs: pass, wrong_answer, runtime_error, timeout, memory_limit', async () => {
  const r = await runCode({
    language: 'cpp',
    code: CPP,
    tests: { inputs: ['5 6\n', '5 5\n', '1 0\n', '2 0\n', '3 0\n', null], outputs: ['11\n', '11\n', '', '', '', 'empty\n'] },
    timeoutMs: 1000,
  });
  assert.deepEqual(r.statuses, ['pass', 'wrong_answer', 'runtime_error', 'timeout', 'memory_limit', 'pass']);
});

test('C++: a compile error is its own status, for every test, with the compiler message', async () => {
  const r = await runCode({ language: 'cpp', code: 'int main() { return undefined_name; }\n', tests: { inputs: ['', ''], outputs: ['', ''] } });
  assert.deepEqual(r.statuses, ['compile_error', 'compile_error']);
  assert.match(r.error ?? '', /undefined_name/);
  // A record may name C++ and come from any stdin form.
  const f = found({ language: 'c++', input_output: { inputs: ['1 2\n'], outputs: ['3\n'] } });
  assert.equal(f.language, 'cpp');
});

test('bad records name the field and what is wrong; records without code tests are not code', () => {
  const bad = (rec: Record<string, unknown>) => codeTestsOf(rec) as { error: string; field: string };
  assert.deepEqual(bad({ input_output: '{"inputs": [1' }).field, 'input_output');
  assert.match(bad({ input_output: '' }).error, /no tests/);
  assert.match(bad({ input_output: { inputs: ['1'], outputs: [] } }).error, /1 items but tests.outputs has 0/);
  assert.match(bad({ tests: { fn_name: 'f', inputs: ['[1]\nnot json'], outputs: ['1'] } }).error, /tests.inputs\[0\], argument 2: not JSON/);
  assert.deepEqual(bad({ public_test_cases: '[{"input": "1", "output": "2", "testtype": "functional"}]' }), { error: 'functional tests need "func_name" in metadata', field: 'metadata' });
  assert.match(bad({ public_test_cases: '[{"input": "1", "output": "2", "testtype": "stdin"}, {"input": "1", "output": "2", "testtype": "functional"}]' }).error, /mixes/);
  assert.deepEqual(bad({ test_list: [] }).field, 'test_list');
  assert.deepEqual(bad({ test: 'def check(c): pass', entry_point: 3 }).field, 'entry_point');
  assert.deepEqual(bad({ language: 'cobol', tests: { inputs: [], outputs: [] } }).field, 'language');
  assert.match(bad({ language: 'cpp', input_output: { fn_name: 'f', inputs: [[1]], outputs: [1] } }).error, /Python only/);
  assert.match(bad({ tests: { inputs: [3], outputs: ['3'] } }).error, /tests.inputs\[0\] must be a string \(stdin\) or null/);
  assert.equal(codeTestsOf({ problem: 'What is 2+2?', answer: '4' }), null);
  assert.equal(codeTestsOf({ test: 'a held-out split name' }), null);
});

test('aha verify code takes every form; a bad line is reported with its line and field, the others still run', async () => {
  const out: Record<string, unknown>[] = [];
  await verifyLines(
    'code',
    [
      JSON.stringify({ code: ADD, input_output: { fn_name: 'add', inputs: [[1, 2]], outputs: [3] } }),
      JSON.stringify({ code: ADD, public_test_cases: [{ input: '1\n2', output: '4', testtype: 'functional' }] }),
      JSON.stringify({ code: 'def inc(x):\n    return x + 1\n', test_list: ['assert inc(1) == 2'] }),
      JSON.stringify({ code: 'print(7)', tests: { inputs: [null], outputs: ['7'] } }),
      JSON.stringify({ code: 'x = 1' }),
    ],
    (r) => out.push(r),
    { file: 'mixed.jsonl', timeoutMs: 3000 },
  );
  assert.deepEqual(out[0], { statuses: ['pass'], reward: 1, passed: 1, total: 1 });
  assert.match(String(out[1].error), /mixed\.jsonl:2, field "metadata": functional tests need "func_name"/);
  assert.deepEqual(out[2].statuses, ['pass']);
  assert.deepEqual(out[3].statuses, ['pass']);
  assert.match(String(out[4].error), /mixed\.jsonl:5, field "tests": no tests/);
});
