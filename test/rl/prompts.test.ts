import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filePrompts, readPromptFile, taskPrompts, uncheckableRows } from '../../src/rl/prompts.js';
import type { Task, GenerateOptions, Problem } from '../../src/tasks/task.js';
import { scratchDir } from '../scratch-dir.js';

function tmpFile(name: string, text: string): string {
  const dir = scratchDir('aha-rl-prompts-');
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

test('data files: prompt verbatim, problem/question framed, answer or gold, errors name the line', () => {
  const f = tmpFile('d.jsonl', [
    JSON.stringify({ prompt: 'P1', answer: 3 }),
    JSON.stringify({ question: 'What is 2+2?', gold: '4', id: 'q2' }),
  ].join('\n'));
  const items = readPromptFile(f);
  assert.equal(items[0].prompt, 'P1');
  assert.equal(items[0].example.gold, '3');
  assert.equal(items[0].id, 'line-1');
  assert.match(items[1].prompt, /What is 2\+2\?.*<answer>/s);
  assert.equal(items[1].id, 'q2');
  const bad = tmpFile('b.jsonl', JSON.stringify({ prompt: 'ok' }) + '\n' + JSON.stringify({ text: 'x' }) + '\n');
  assert.throws(() => readPromptFile(bad), /b\.jsonl:2, field "prompt": missing/);
});

test('a data file the verifier cannot check is refused before training; a partly checkable one is counted', () => {
  const none = tmpFile('none.jsonl', [JSON.stringify({ prompt: 'P1' }), JSON.stringify({ prompt: 'P2', solution: '4' })].join('\n'));
  const items = readPromptFile(none);
  assert.throws(() => uncheckableRows(none, items, ['accuracy', 'format'], false), (e: unknown) => e instanceof Error && e.message.startsWith(`${none}: no row has a gold answer ("answer" or "gold" field) for the accuracy reward`));
  // Rewards with no verifier, or a learned reward scoring the rows (R1's final stage): nothing to refuse.
  assert.equal(uncheckableRows(none, items, ['format', 'length'], false), null);
  assert.equal(uncheckableRows(none, items, ['accuracy', 'rm:/models/rm'], true), null);
  const some = tmpFile('some.jsonl', [JSON.stringify({ prompt: 'P1', answer: 2 }), JSON.stringify({ prompt: 'P2' }), JSON.stringify({ prompt: 'P3' })].join('\n'));
  assert.equal(uncheckableRows(some, readPromptFile(some), ['accuracy'], false), `${some}: 2 of 3 rows have no gold answer ("answer" or "gold" field) for the accuracy reward; the verifier declines those rows' completions (advantage 0 from it)`);
  const all = tmpFile('all.jsonl', JSON.stringify({ prompt: 'P1', gold: '7' }));
  assert.equal(uncheckableRows(all, readPromptFile(all), ['accuracy'], false), null);
});

test('file prompts: every item once per epoch, reshuffled, and seek resumes the same stream', () => {
  const items = Array.from({ length: 5 }, (_, i) => ({ id: String(i), prompt: `p${i}`, example: {} }));
  const a = filePrompts(items, 1, 'x');
  const first = Array.from({ length: 5 }, () => a.next().id);
  assert.deepEqual([...first].sort(), ['0', '1', '2', '3', '4']);
  const pos = a.position();
  const rest = Array.from({ length: 7 }, () => a.next().id);
  const b = filePrompts(items, 1, 'x');
  b.seek(pos);
  assert.deepEqual(Array.from({ length: 7 }, () => b.next().id), rest);
});

test('task prompts: deterministic for a seed, resumable from a position', () => {
  const calls: GenerateOptions[] = [];
  const fake: Task = {
    name: 'fake', description: '', difficulties: [1, 2],
    generate(o) {
      calls.push(o);
      return Array.from({ length: o.count }, (_, i): Problem => ({ id: `${o.seed}-${i}`, prompt: `q${i}`, gold: String(i), difficulty: 1, meta: { n: i } }));
    },
    prompt: (p) => `framed ${p.prompt}`,
    verify: () => ({ correct: false, extracted: null }),
  };
  const s = taskPrompts(fake, 5, null);
  const ids = Array.from({ length: 300 }, () => s.next().id); // crosses a chunk boundary
  assert.equal(new Set(ids).size, 300);
  assert.equal(calls[0].split, 'train');
  assert.deepEqual(calls[0].difficulty, [1, 2]);
  const t = taskPrompts(fake, 5, [2]);
  t.seek({ epoch: 1, index: 10 });
  const item = t.next();
  assert.equal(item.id, ids[256 + 10]);
  assert.equal(item.prompt, 'framed q10');
  assert.equal(item.example.gold, '10');
});
