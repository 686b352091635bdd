import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateCorpus,
  generateCorpusDocuments,
  corpusStats,
  DEFAULT_STYLE_MIX,
  DIRECT_ACCURACY,
  type CorpusDocument,
} from '../../src/tasks/arithmetic-corpus.js';
import { arithmeticTask } from '../../src/tasks/arithmetic.js';
import { splitOf } from '../../src/tasks/split.js';
import { AhaError } from '../../src/util/errors.js';
import { strictFormat } from '../../src/rewards/format.js';
import type { Problem } from '../../src/tasks/task.js';

// One shared corpus sample keeps the file fast.
const DOCS = generateCorpusDocuments({ seed: 42, documents: 8000 });

const problemDocs = () => DOCS.filter((d) => d.style !== 'notes');
const completion = (d: CorpusDocument) => d.text.slice(d.completionStart);
const expressionOf = (d: CorpusDocument) => /^User: Compute ([0-9+-]+)\./.exec(d.text)![1];
const evaluate = (expr: string): number => {
  const tokens = expr.match(/\d+|[+-]/g)!;
  let v = Number(tokens[0]);
  for (let i = 1; i < tokens.length; i += 2) v = tokens[i] === '+' ? v + Number(tokens[i + 1]) : v - Number(tokens[i + 1]);
  return v;
};
const asProblem = (d: CorpusDocument): Problem =>
  ({ id: d.problemId!, prompt: d.text.slice(0, d.completionStart), gold: String(evaluate(expressionOf(d))), difficulty: d.difficulty!, meta: {} });

test('the corpus is bit-for-bit reproducible from its seed', () => {
  const a = generateCorpus({ seed: 9, documents: 300 });
  assert.deepEqual(a, generateCorpus({ seed: 9, documents: 300 }));
  assert.notDeepEqual(a, generateCorpus({ seed: 10, documents: 300 }));
  assert.deepEqual(generateCorpus({ seed: 42, documents: 50 }), DOCS.slice(0, 50).map((d) => d.text));
});

test('problem documents continue the task prompt in the answer format', () => {
  for (const d of problemDocs()) {
    const prompt = d.text.slice(0, d.completionStart);
    assert.equal(prompt, arithmeticTask.prompt({ ...asProblem(d), meta: { operands: expressionOf(d).split(/[+-]/).map(Number), ops: expressionOf(d).match(/[+-]/g) } }));
    assert.match(completion(d), /^<think>\n[\s\S]+\n<\/think>\n<answer>\n\d+\n<\/answer>$/);
    assert.equal(strictFormat(completion(d)), 1, 'the strict R1 format reward accepts every corpus answer');
    // Every answer starts by restating the expression: the one copy from the prompt the model needs.
    assert.ok(completion(d).startsWith(`<think>\n${expressionOf(d)}${d.style === 'careful' ? '\n' : ' is '}`), completion(d));
  }
});

test('document labels agree with the task verifier; careful and check documents are always right', () => {
  for (const d of problemDocs()) {
    const verdict = arithmeticTask.verify(completion(d), asProblem(d));
    assert.equal(verdict.correct, d.correct, d.text);
    if (d.style !== 'direct') assert.equal(verdict.correct, true, d.text);
  }
});

test('the corpus never contains a held-out problem, as a document or as a step', () => {
  const heldout = arithmeticTask.generate({ split: 'heldout', count: 300, seed: 1, difficulty: [1, 2, 3, 4] });
  const heldExpr = new Set(heldout.map((p) => String(p.meta.expression)));
  for (const d of DOCS) {
    for (const m of d.text.matchAll(/(?<=^|\n|Compute )(\d+[+-]\d+(?:[+-]\d+)*)(?=[.:=\n])/g)) {
      assert.equal(splitOf('arithmetic', m[1]), 'train', `held-out "${m[1]}" in:\n${d.text}`);
      assert.ok(!heldExpr.has(m[1]));
    }
  }
});

test('notes pages work training chains out correctly, line by line, outside the User/Assistant frame', () => {
  const notes = DOCS.filter((d) => d.style === 'notes');
  assert.ok(notes.length > 1000);
  const apply = (a: number, op: string, b: number) => (op === '+' ? a + b : a - b);
  for (const d of notes.slice(0, 500)) {
    assert.doesNotMatch(d.text, /User:|Assistant:|<think>|<answer>/);
    const examples = d.text.split('\n\n');
    assert.equal(examples.length, 2, d.text);
    for (const ex of examples) {
      const lines = ex.split('\n').filter((l) => /^\d/.test(l));
      const expr = lines[0];
      const steps = lines.slice(1);
      let value = Number(/^\d+/.exec(expr)![0]);
      for (const line of steps) {
        const m = /^(\d+)([+-])(\d+): .*, so (\d+)\.$/.exec(line)!;
        assert.ok(m, line);
        assert.equal(Number(m[1]), value, `each line starts from the previous result: ${ex}`);
        value = apply(value, m[2], Number(m[3]));
        assert.equal(Number(m[4]), value, line);
      }
      assert.equal(steps.length, expr.split(/[+-]/).length - 1, `one line per operation: ${ex}`);
      assert.equal(value, evaluate(expr));
    }
  }
});

test('corpus statistics stay in the bands docs/corpus.md reports', () => {
  const s = corpusStats(DOCS);
  for (const style of ['direct', 'careful', 'check', 'notes'] as const) {
    assert.ok(Math.abs(s.styles[style].share - DEFAULT_STYLE_MIX[style]) < 0.02, `${style} share ${s.styles[style].share}`);
  }
  for (const [level, acc] of Object.entries(DIRECT_ACCURACY)) {
    assert.ok(Math.abs(s.directAccuracy[Number(level)] - acc) < 0.06, `direct accuracy at level ${level}: ${s.directAccuracy[Number(level)]}`);
  }
  // Perfect imitation of the corpus is weak on long chains; always working carefully would be right.
  assert.ok(s.imitationAccuracy[3] >= 0.25 && s.imitationAccuracy[3] <= 0.45, `imitation accuracy level 3: ${s.imitationAccuracy[3]}`);
  assert.ok(s.imitationAccuracy[1] > s.imitationAccuracy[3] + 0.2);
  // Careful working is clearly longer than a guess, checking longer still.
  const { direct, careful, check } = s.styles;
  assert.ok(careful.meanLength > 1.5 * direct.meanLength, `careful ${careful.meanLength} vs direct ${direct.meanLength}`);
  assert.ok(check.meanLength > 1.4 * careful.meanLength, `check ${check.meanLength} vs careful ${careful.meanLength}`);
  assert.ok(s.meanCompletionLength < 100, `mean completion ${s.meanCompletionLength}`);
  assert.ok(s.maxLength <= 384, `longest document ${s.maxLength}`);
  // Reflection words live in the check style only.
  assert.equal(direct.reflectionRate, 0);
  assert.equal(careful.reflectionRate, 0);
  assert.ok(check.reflectionRate >= 2);
  assert.ok(s.checkFoundMistake > 0.5 && s.checkFoundMistake < 0.85, `checks that found a mistake: ${s.checkFoundMistake}`);
});

test('style and difficulty mixes are honoured and validated', () => {
  const careful = generateCorpusDocuments({ seed: 1, documents: 200, styleMix: { direct: 0, check: 0, notes: 0, careful: 1 }, difficultyMix: { 3: 1 } });
  assert.ok(careful.every((d) => d.style === 'careful' && d.difficulty === 3));
  assert.ok(careful.every((d) => completion(d).split('\n').filter((l) => l.includes(', so ')).length === 3), 'three steps for four operands');
  assert.throws(() => generateCorpus({ seed: 1, documents: 1, styleMix: { direct: -1 } }), AhaError);
  assert.throws(() => generateCorpus({ seed: 1, documents: 1, difficultyMix: { 7: 1 } }), (e: unknown) => e instanceof AhaError && /difficulty 7/.test(e.message));
  assert.throws(() => generateCorpus({ seed: 1, documents: 1, styleMix: { direct: 0, careful: 0, check: 0, notes: 0 } }), AhaError);
});

