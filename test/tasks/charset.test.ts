import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHARSET, outsideCharset } from '../../src/tasks/charset.js';
import { generateCorpus } from '../../src/tasks/arithmetic-corpus.js';
import { listTasks } from '../../src/tasks/registry.js';
import { solveCountdown } from '../../src/tasks/countdown-solver.js';

test('CHARSET is exactly the characters of prompts, corpus and answers', () => {
  let text = generateCorpus({ seed: 5, documents: 3000 }).join('');
  for (const task of listTasks()) {
    for (const p of task.generate({ split: 'heldout', count: 100, seed: 2, difficulty: task.difficulties })) {
      text += p.prompt + p.gold;
      if (task.name === 'countdown') text += solveCountdown(p.meta.numbers as number[], p.meta.target as number);
    }
  }
  assert.deepEqual(outsideCharset(text), [], 'every character is in CHARSET');
  const unused = [...CHARSET].filter((c) => !text.includes(c));
  assert.deepEqual(unused, [], 'every CHARSET character is used');
  assert.equal(new Set(CHARSET).size, CHARSET.length, 'no duplicates');
  assert.equal(CHARSET, [...CHARSET].sort().join(''), 'in code point order');
});

test('outsideCharset names the foreign characters', () => {
  assert.deepEqual(outsideCharset('User: 7×8=56?'), ['×', '?']);
});
