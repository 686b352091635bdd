// The tool-use miniature's task and corpus: a fixed world whose facts are only in its search
// corpus, exact-match answers, held-out questions by hash, and a pretraining corpus in the demo
// tokenizer's characters whose look-ups show the search tool's own output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outsideCharset } from '../../src/tasks/charset.js';
import { generateWorldCorpusDocuments } from '../../src/tasks/world-corpus.js';
import { theWorld, verifyWorld, WORLD_PEOPLE, worldCorpus, worldTask } from '../../src/tasks/world.js';
import { splitOf } from '../../src/tasks/split.js';
import { searchTool } from '../../src/tools/search.js';
import { toolResultText } from '../../src/tasks/tool-text.js';

test('the world: distinct people, one passage each, questions answered from the passage only', () => {
  const people = theWorld();
  assert.equal(new Set(people.map((p) => p.name)).size, WORLD_PEOPLE);
  const corpus = worldCorpus();
  for (const p of worldTask.generate({ split: 'train', count: 50, seed: 1, difficulty: 0 })) {
    const person = people.find((x) => x.name === p.meta.name)!;
    assert.ok(corpus.find((c) => c.id === person.name)!.text.includes(` ${p.gold}`));
    assert.equal(p.prompt, worldTask.prompt(p));
    assert.equal(splitOf('world', `${person.name}:${String(p.meta.relation)}`), 'train');
  }
});

test('exact match: the last answer must be the fact itself', () => {
  assert.deepEqual(verifyWorld('<answer>\nCardo\n</answer>', 'Cardo'), { correct: true, extracted: 'Cardo' });
  assert.equal(verifyWorld('<answer>cardo</answer>', 'Cardo').correct, false);
  assert.equal(verifyWorld('<answer>Cardo</answer> <answer>Tolun</answer>', 'Cardo').correct, false);
  assert.equal(verifyWorld('no answer', 'Cardo').extracted, null);
});

test('the pretraining corpus: demo characters, rare look-ups that show what the search tool returns', async () => {
  const docs = generateWorldCorpusDocuments({ seed: 4, documents: 3000 });
  assert.deepEqual(outsideCharset(docs.map((d) => d.text).join('')), []);
  const share = docs.filter((d) => d.style === 'search').length / docs.length;
  assert.ok(share > 0.04 && share < 0.1, `look-ups ${share}`);
  const lookup = docs.find((d) => d.style === 'search')!.text;
  const name = /<search>(\w+)<\/search>/.exec(lookup)![1];
  const passage = /doc 1: (.*)\n/.exec(lookup)![1];
  const tool = searchTool([{ text: passage }, { text: 'Zed is from Ansel and works as a smith.' }]);
  const result = await tool.call(name, { signal: new AbortController().signal });
  assert.ok(lookup.includes(`</search>${toolResultText('information', result)}<think>`));
  assert.deepEqual(generateWorldCorpusDocuments({ seed: 4, documents: 20 }), docs.slice(0, 20));
});

test('the world task has one difficulty level: any other is refused, not served as level 0', () => {
  assert.throws(() => worldTask.generate({ split: 'train', count: 2, seed: 1, difficulty: 2 }), /world: difficulty 2 is not one of 0/);
  assert.throws(() => worldTask.generate({ split: 'train', count: 2, seed: 1, difficulty: [0, 1] }), /world: difficulty 1 is not one of 0/);
  assert.equal(worldTask.generate({ split: 'train', count: 2, seed: 1, difficulty: [0] }).length, 2);
});

test('the query drill: each question followed by a search for its name as written, outside the frame', () => {
  const docs = generateWorldCorpusDocuments({ seed: 5, documents: 3000 });
  const drills = docs.filter((d) => d.style === 'query');
  assert.ok(drills.length > 300);
  for (const d of drills) {
    assert.ok(!d.text.includes('User:') && !d.text.includes('<answer>'), d.text);
    const lines = d.text.split('\n');
    assert.ok(lines.length >= 3 && lines.length <= 6, d.text);
    for (const line of lines) {
      const m = /^(?:the town (\w+) is from|the work of (\w+))\. <search>(\w+)<\/search>$/.exec(line);
      assert.ok(m, line);
      assert.equal(m[3], m[1] ?? m[2]);
    }
  }
  // In the frame the model is prompted with, searching stays rare.
  const framed = docs.filter((d) => d.text.startsWith('User:'));
  const searching = framed.filter((d) => d.text.includes('<search>') && d.text.includes('<information>')).length / framed.length;
  assert.ok(searching > 0.05 && searching < 0.16, `framed look-ups ${searching}`);
});
