// Code data files in every form as `aha train --data` and `aha eval` read them: prompts, tests
// checked at load (file, line, field), the code reward by default, and eval grading in the sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPromptFile } from '../../src/rl/prompts.js';
import { defaultRewards } from '../../src/rl/setup.js';
import { loadProblems } from '../../src/eval/problems.js';
import { graderFor } from '../../src/eval/verifiers.js';
import { getReward } from '../../src/rewards/index.js';
import { InputError } from '../../src/util/errors.js';
import { scratchDir } from '../scratch-dir.js';
import { simpleBoxed } from '../eval/helpers.js';

const ROWS = {
  tests: { id: 'own', prompt: 'Echo twice.', tests: { inputs: ['ab\n', null], outputs: ['abab\n', '\n'] } },
  apps: { question: 'Add a and b.', input_output: JSON.stringify({ fn_name: 'add', inputs: [[1, 2], [3, 4]], outputs: [[3], [7]] }) },
  livecodebench: {
    question_content: 'Return the sum.',
    public_test_cases: JSON.stringify([{ input: '1\n2', output: '3', testtype: 'functional' }]),
    private_test_cases: '',
    metadata: JSON.stringify({ func_name: 'add' }),
  },
  mbpp: { text: 'Write add.', test_list: ['assert add(1, 2) == 3'], test_setup_code: '' },
  humaneval: { prompt: 'def add(a, b):\n    """Sum."""\n', test: 'def check(candidate):\n    assert candidate(1, 2) == 3\n', entry_point: 'add' },
  kodcode: { question: 'Write add.', test: 'from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n' },
  cpp: { question: 'Print a+b.', language: 'cpp', input_output: { inputs: ['1 2\n'], outputs: ['3\n'] } },
};

function file(name: string, lines: string[]): string {
  const f = join(scratchDir('aha-code-data-'), name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

test('aha train --data: a file in each code form loads, with a prompt and the code reward by default', async () => {
  const items = readPromptFile(file('all.jsonl', Object.values(ROWS).map((r) => JSON.stringify(r))));
  assert.equal(items.length, 7);
  assert.equal(items[0].prompt, 'Echo twice.');
  assert.match(items[2].prompt, /^User: Return the sum\./);
  assert.match(items[3].prompt, /Write add\.\nYour code should pass these tests:\n\nassert add\(1, 2\) == 3/);
  assert.deepEqual(defaultRewards(null, true).map((r) => r.name), ['code', 'format_lenient']);
  // Each item scores through the code reward, whatever its form.
  const code = getReward('code');
  const solutions = [
    'import sys\ns = sys.stdin.read().strip()\nprint(s + s)',
    'def add(a, b):\n    return a + b',
    'class Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b',
    'def add(a, b):\n    return a + b',
    '    return a + b',
    'def add(a, b):\n    return a + b',
    '#include <iostream>\nint main() { int a, b; std::cin >> a >> b; std::cout << a + b << std::endl; }',
  ];
  const lang = ['python', 'python', 'python', 'python', 'python', 'python', 'cpp'];
  const scores = await Promise.all(items.map((it, i) => code.score(`<answer>\n\`\`\`${lang[i]}\n${solutions[i]}\n\`\`\`\n</answer>`, it.example)));
  assert.deepEqual(scores, [1, 1, 1, 1, 1, 1, 1]);
});

test('aha train --data: a bad code record is refused with its file, line and field, before any work', () => {
  const f = file('bad.jsonl', [JSON.stringify(ROWS.apps), JSON.stringify({ question: 'x', input_output: '{"inputs": [["a"]], "outputs": []}' })]);
  assert.throws(
    () => readPromptFile(f),
    (e: unknown) => e instanceof InputError && /bad\.jsonl:2, field "input_output": tests\.inputs has 1 items but tests\.outputs has 0/.test(e.message),
  );
});

test('aha eval --data: code forms are detected as "code" and graded by their own tests in the sandbox', async () => {
  const f = file('eval.jsonl', [JSON.stringify({ id: 'a', ...ROWS.apps }), JSON.stringify({ id: 'l', ...ROWS.livecodebench }), JSON.stringify({ id: 'k', ...ROWS.kodcode })]);
  const loaded = loadProblems({ file: f, boxedAnswer: simpleBoxed });
  assert.equal(loaded.format, 'code');
  assert.deepEqual(loaded.problems.map((p) => p.problem), ['Add a and b.', 'Return the sum.', 'Write add.']);
  const grader = graderFor('code', { lastNumberFallback: true, codeTimeoutMs: 4000 });
  const right = '```python\ndef add(a, b):\n    return a + b\n```';
  const grades = await Promise.all(loaded.problems.map((p) => grader.grade(p, right)));
  // A top-level function serves LiveCodeBench's functional tests as well as a Solution method.
  assert.deepEqual(grades.map((g) => g.correct), [true, true, true], JSON.stringify(grades));
  const wrong = await grader.grade(loaded.problems[0], '```python\ndef add(a, b):\n    return a - b if a == 3 else a + b\n```');
  assert.equal(wrong.correct, false);
  assert.equal(wrong.reason, '1/2 tests passed; test 2: wrong_answer: test 2 failed: add returned a different value than [7]');
  const bad = file('evalbad.jsonl', [JSON.stringify({ id: 'a', ...ROWS.apps }), JSON.stringify({ id: 'b', question: 'q', input_output: 'nope' })]);
  assert.throws(() => loadProblems({ file: bad, boxedAnswer: simpleBoxed }), /evalbad\.jsonl:2, field "input_output": not JSON/);
});
