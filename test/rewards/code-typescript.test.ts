// TypeScript replies to MultiPL-E-shaped records (a prompt that opens the function, a test
// program calling node:assert): transpiled, then run as JavaScript in the jail, through the code
// reward and `aha eval`'s grader for `code` records. Leaving early or disabling node:assert is no pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getReward, sandboxStatus, codeFormOf, codeTestsOf, runCode } from '../../src/rewards/index.js';
import { graderFor } from '../../src/eval/verifiers.js';
import type { EvalProblem } from '../../src/eval/problems.js';

const sandbox = sandboxStatus();
const skip = sandbox.ok ? false : `code sandbox unavailable: ${sandbox.why}`;

// A record in MultiPL-E's shape (fields as its humaneval-ts file has them), on a problem of our own.
const prompt = '// Return the sum of the squares of the odd numbers in xs.\n// >>> odd_squares([1, 2, 3])\n// 10\nfunction odd_squares(xs: number[]): number {\n';
const testProgram = "declare var require: any;\nconst assert = require('node:assert');\n\nfunction test() {\n  let candidate = odd_squares;\n  assert.deepEqual(candidate([1, 2, 3]), 10);\n  assert.deepEqual(candidate([]), 0);\n  assert.deepEqual(candidate([-3, 4]), 9);\n}\n\ntest();";
const record = { name: 'own_odd_squares', language: 'ts', prompt, test: testProgram, tests: testProgram, stop_tokens: ['\nfunction '] };
const problem: EvalProblem = { id: 'own_odd_squares', line: 1, problem: prompt, gold: '', code: { format: 'code', prompt: '', test: '', record } };

async function both(completion: string): Promise<[number | null, boolean]> {
  const grader = graderFor('code', { lastNumberFallback: false, codeTimeoutMs: 8000 });
  return [await getReward('code').score(completion, record), (await grader.grade(problem, completion)).correct];
}

test('a MultiPL-E record is read as TypeScript asserts after its prompt, the tested function named by the prompt', () => {
  assert.equal(codeFormOf(record), 'multipl-e');
  const found = codeTestsOf(record);
  assert.ok(found !== null && !('error' in found));
  assert.equal(found.language, 'typescript');
  assert.deepEqual(found.tests, { asserts: testProgram, entry_point: 'odd_squares' });
  assert.equal(found.prefix, prompt);
});

test('TypeScript replies: a continuation of the body or a whole fenced function passes, a wrong one fails', { skip }, async () => {
  const right = '  return xs.filter((x) => x % 2 !== 0).reduce((s, x) => s + x * x, 0);\n}\n';
  const wrong = '  return xs.filter((x) => x % 2 === 1).reduce((s, x) => s + x * x, 0);\n}\n'; // -3 % 2 is -1 in JavaScript
  const fenced = 'Sure.\n\n```typescript\nfunction odd_squares(xs: number[]): number {\n  let s: number = 0;\n  for (const x of xs) if (Math.abs(x) % 2 === 1) s += x * x;\n  return s;\n}\n```\n\nUsage:\n```ts\nconsole.log(odd_squares([1, 2, 3]));\n```';
  assert.deepEqual(await both(right), [1, true]);
  assert.deepEqual(await both(fenced), [1, true]);
  assert.deepEqual(await both(wrong), [0, false]);
  const broken = await runCode({ language: 'typescript', code: 'function f(: number {', tests: { asserts: 'f(1);' } });
  assert.deepEqual(broken.statuses, ['compile_error']);
});

test('a whole solution that defines the function another way replaces the prompt: const arrow, export const, a generic function', { skip }, async () => {
  const body = 'xs.filter((x) => x % 2 !== 0).reduce((s, x) => s + x * x, 0)';
  assert.deepEqual(await both(`\`\`\`typescript\nconst odd_squares = (xs: number[]): number => ${body};\n\`\`\``), [1, true]);
  assert.deepEqual(await both(`\`\`\`typescript\nexport const odd_squares = (xs: number[]): number =>\n  ${body};\n\`\`\``), [1, true]);
  assert.deepEqual(await both(`\`\`\`ts\nfunction odd_squares<T extends number>(xs: T[]): number {\n  return ${body};\n}\n\`\`\``), [1, true]);
});

test('process.exit(0) before the tests and a disabled node:assert score 0', { skip }, async () => {
  const wrong = '  return 0;\n}\n';
  assert.deepEqual(await both(`${wrong}process.exit(0);\n`), [0, false]);
  assert.deepEqual(await both(`${wrong}require('node:assert').deepEqual = () => {};\n`), [0, false]);
  assert.deepEqual(await both(`${wrong}const a: any = require('assert'); a.deepEqual = () => {};\n`), [0, false]);
});

test('a type error fails as compile_error, as tsc fails it for MultiPL-E; Node globals and modules need no type definitions', { skip }, async () => {
  // Runs right (the sum is a number at run time) but returns a number where it declares a string.
  const mistyped = '```typescript\nfunction odd_squares(xs: number[]): string {\n  let s = 0;\n  for (const x of xs) if (x % 2 !== 0) s += x * x;\n  return s;\n}\n```';
  assert.deepEqual(await both(mistyped), [0, false]);
  const r = await runCode({ language: 'typescript', code: 'function add(a: number, b: number): number {\n  return a + b;\n}\nconst sum: string = add(1, 2);', tests: { asserts: 'assert.strictEqual(add(1, 2), 3);' } });
  assert.deepEqual([r.statuses, r.error], [['compile_error'], "TS2322 (line 4): Type 'number' is not assignable to type 'string'."]);
  // Not strict (tsc's default): untyped parameters are fine; Node's modules and globals are `any`.
  const loose = await runCode({ language: 'typescript', code: 'function add(a, b) { return a + b; }', tests: { asserts: 'assert.strictEqual(add(1, 2), 3);' } });
  assert.deepEqual(loose.statuses, ['pass']);
  const stdio = await runCode({
    language: 'typescript',
    code: "import * as fs from 'fs';\nconst [a, b]: number[] = fs.readFileSync(0, 'utf8').trim().split(' ').map(Number);\nconsole.log(a + b);\nif (a < 0) process.exit(1);\nsetTimeout(() => {}, 0);",
    tests: { inputs: ['1 2'], outputs: ['3'] },
  });
  assert.deepEqual(stdio.statuses, ['pass'], stdio.error);
});
