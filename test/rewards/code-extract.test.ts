// Which code block of a reply is run: the shapes real models write (several blocks, ```Python /
// ```py / ```python3 tags, a usage example after the solution, a reply cut off inside its block).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractCode, testedNames } from '../../src/rewards/index.js';

const SOLUTION = 'def area(w, h):\n    return w * h\n';

test('the last block of the language that defines a tested function counts, not a later usage example', () => {
  const reply = `Here it is:\n\`\`\`python\n${SOLUTION}\`\`\`\nExample:\n\`\`\`python\nprint(area(2, 3))\n\`\`\`\n`;
  assert.equal(extractCode(reply, 'python', ['area']), SOLUTION);
  // Without the tested names (stdin/stdout tests), the last block of the language.
  assert.equal(extractCode(reply, 'python'), 'print(area(2, 3))\n');
  // A corrected second draft wins over the first.
  const drafts = `\`\`\`python\ndef area(w, h):\n    return w + h\n\`\`\`\nOops, fixed:\n\`\`\`python\n${SOLUTION}\`\`\``;
  assert.equal(extractCode(drafts, 'python', ['area']), SOLUTION);
});

test('fence tags are matched in any case and in their usual spellings; other languages are skipped', () => {
  for (const tag of ['Python', 'py', 'python3', 'PY']) {
    assert.equal(extractCode(`\`\`\`${tag}\n${SOLUTION}\`\`\`\n\`\`\`text\narea = 6\n\`\`\``, 'python', ['area']), SOLUTION, tag);
  }
  assert.equal(extractCode('```ts\nfunction area(w: number, h: number) { return w * h; }\n```', 'typescript', ['area']), 'function area(w: number, h: number) { return w * h; }\n');
});

test('a ~~~ fence is a code block too, closed by its own kind (a ``` inside it is text)', () => {
  assert.equal(extractCode(`Here:\n~~~python\n${SOLUTION}~~~\nDone.`, 'python', ['area']), SOLUTION);
  const nested = 'def doc():\n    return "```"\n';
  assert.equal(extractCode(`~~~python\n${nested}~~~`, 'python'), nested);
});

test('a reply cut off inside its last block keeps that block', () => {
  assert.equal(extractCode(`I will write it.\n\`\`\`python\n${SOLUTION}`, 'python', ['area']), SOLUTION);
  assert.equal(extractCode(`\`\`\`python\nx = 1\n\`\`\`\nNow:\n\`\`\`python\n${SOLUTION}`, 'python'), SOLUTION);
});

test('the tested names come from the tests: entry point, fn_name, or the calls of an assert script', () => {
  assert.deepEqual(testedNames({ asserts: 'def check(candidate):\n    assert candidate(1) == 1', entry_point: 'f' }), ['f']);
  assert.deepEqual(testedNames({ fn_name: 'twoSum', inputs: [], outputs: [] }), ['twoSum']);
  assert.deepEqual(testedNames({ asserts: 'assert set(similar((1, 2), (2, 3))) == set((2,))' }), ['set', 'similar']);
  assert.deepEqual(testedNames({ inputs: [], outputs: [] }), []);
});

test('fences are read as Markdown reads them: at line starts, indented in a list, not in prose or a deeper docstring', () => {
  // A fence inside a numbered list is indented; its lines lose that indentation (they were an IndentationError).
  const listed = '1. The function:\n\n   ```python\n   def area(w, h):\n       return w * h\n   ```\n2. Done.';
  assert.equal(extractCode(listed, 'python', ['area']), SOLUTION);
  // "a ```python``` block" in prose opens no block (it swallowed the real block's opening fence).
  assert.equal(extractCode(`I will use a \`\`\`python\`\`\` block.\n\n\`\`\`python\n${SOLUTION}\`\`\`\n`, 'python', ['area']), SOLUTION);
  // A ``` in a docstring, indented deeper than the fence could close, is text.
  const documented = 'def area(w, h):\n    """Example:\n    ```\n    area(2, 3) == 6\n    ```\n    """\n    return w * h\n';
  assert.equal(extractCode(`\`\`\`python\n${documented}\`\`\``, 'python', ['area']), documented);
  // What small models write keeps working: a fence opened at the end of a prose line, one closed on a code line.
  assert.equal(extractCode(`Sure! \`\`\`python\n${SOLUTION}\`\`\`\nDone.`, 'python', ['area']), SOLUTION);
  assert.equal(extractCode('```python\ndef area(w, h):\n    return w * h```\nThis works.', 'python', ['area']), 'def area(w, h):\n    return w * h');
});

test("a reasoning model's code is in its answer after </think>, not its thinking's drafts; an end-of-turn token ends the reply", () => {
  const drafted = '<think>\nDraft:\n```python\ndef area(w, h):\n    return w + h\n```\nNo, that adds.\n</think>\n\n' + SOLUTION;
  assert.equal(extractCode(drafted, 'python', ['area']).trim(), SOLUTION.trim());
  // Nothing after </think>: the thinking's block is all there is.
  assert.equal(extractCode(`<think>\n\`\`\`python\n${SOLUTION}\`\`\`\n</think>\n`, 'python', ['area']), SOLUTION);
  assert.equal(extractCode(`${SOLUTION}<|im_end|>`, 'python', ['area']), SOLUTION);
  assert.equal(extractCode(`\`\`\`python\n${SOLUTION}<|endoftext|>`, 'python', ['area']), SOLUTION);
});
