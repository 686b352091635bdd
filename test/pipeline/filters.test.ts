// The readability filters on hand-written positives and negatives, and the selection rules of
// rejection sampling (correct only, truncation, first failing reason, deduplication).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFilters, codeFilter, DEFAULT_FILTERS, DEFAULT_THRESHOLDS, formatFilter, paragraphsFilter, languageFilter, lengthFilter, normaliseCompletion, parseFilterNames, repetitionFilter, tagsFilter } from '../../src/pipeline/filters.js';
import { judgeSample, selectSamples } from '../../src/pipeline/rejection-sampling.js';
import type { ProblemSet } from '../../src/pipeline/problems.js';
import type { SampleRecord } from '../../src/eval/output.js';

const t = DEFAULT_THRESHOLDS;
const good = '<think>\nFirst add 47 and 38 to get 85, then subtract 19 to get 66.\n</think>\n<answer>\n66\n</answer>';

test('language: English thinking passes, mixed Chinese thinking is rejected with the share', () => {
  assert.equal(languageFilter(good, t).passed, true);
  const mixed = '<think>\nFirst add 47 and 38 得到 八十五 然后 减去 十九\n</think>\n<answer>\n66\n</answer>';
  const v = languageFilter(mixed, t);
  assert.equal(v.passed, false);
  assert.match(v.reason!, /^language: 0\.\d\d of the thinking words are en, need 0\.95/);
  // Only numbers and symbols: no words, nothing mixed.
  assert.equal(languageFilter('<think>\n47+38=85\n85-19=66\n</think>\n<answer>\n66\n</answer>', t).passed, true);
  // The threshold is honoured.
  assert.equal(languageFilter(mixed, { ...t, minLanguage: 0.2 }).passed, true);
});

test('tags: balanced, ordered blocks pass; unclosed, stray and nested tags are rejected', () => {
  assert.equal(tagsFilter(good).passed, true);
  assert.equal(tagsFilter('no tags at all, 66').passed, true);
  assert.match(tagsFilter('<think>\nadd them\n<answer>\n66\n</answer>').reason!, /<answer> opened inside <think>/);
  assert.match(tagsFilter('<think>\nadd them\n</think>\n<answer>\n66\n').reason!, /<answer> is never closed/);
  assert.match(tagsFilter('add them</think>\n<answer>\n66\n</answer>').reason!, /<\/think> without a matching <think>/);
  assert.match(tagsFilter('<think>a</think><answer>1</think>').reason!, /<\/think> without a matching <think>/);
});

test('format: only the strict R1 template passes', () => {
  assert.equal(formatFilter(good).passed, true);
  assert.equal(formatFilter('<think>add</think> <answer>66</answer>').passed, false);
  assert.equal(formatFilter(good + '\n<answer>\n67\n</answer>').passed, false);
});

test('length: bounds in characters, both ends', () => {
  assert.equal(lengthFilter(good, t).passed, true);
  assert.match(lengthFilter('66', t).reason!, /length: 2 characters < 10/);
  assert.match(lengthFilter('x'.repeat(101), { ...t, maxChars: 100 }).reason!, /length: 101 characters > 100/);
});

test('repetition: a looping completion is rejected, ordinary repeats of a few words are not', () => {
  assert.equal(repetitionFilter(good, t).passed, true);
  const loop = '<think>\n' + 'so the answer is 66 and '.repeat(5) + '\n</think>\n<answer>\n66\n</answer>';
  const v = repetitionFilter(loop, t);
  assert.equal(v.passed, false);
  assert.match(v.reason!, /^repetition: "so the answer is 66" occurs 3 times \(at most 2\)/);
  assert.equal(repetitionFilter('add 1 and 2. add 1 and 2. then stop here now.', t).passed, true);
});

test('applyFilters reports every failure, in order, and the filters passed', () => {
  const bad = '<think>\n得到 得到 得到\n<answer>\n66';
  const r = applyFilters(bad, ['language', 'tags', 'length', 'repetition'], t);
  assert.deepEqual(r.failed.map((f) => f.filter), ['language', 'tags']);
  assert.deepEqual(r.passed, ['length', 'repetition']);
  assert.deepEqual(applyFilters(good, ['language', 'tags', 'format', 'length', 'repetition'], t).failed, []);
});

test('judgeSample: incorrect first (keep correct), then truncated, then the first failed filter', () => {
  const filters = ['language', 'tags', 'length'] as const;
  assert.deepEqual(judgeSample({ completion: good, correct: true, finish_reason: 'stop' }, 'correct', filters, t), { keep: true, passed: ['language', 'tags', 'length'] });
  assert.equal(judgeSample({ completion: '<think>', correct: false, finish_reason: 'length' }, 'correct', filters, t).reason, 'incorrect');
  assert.equal(judgeSample({ completion: good, correct: false, finish_reason: 'stop' }, 'all', filters, t).keep, true);
  assert.equal(judgeSample({ completion: good, correct: true, finish_reason: 'length' }, 'correct', filters, t).reason, 'truncated');
  assert.equal(judgeSample({ completion: '<think>\nx', correct: true, finish_reason: 'stop' }, 'correct', filters, t).reason, 'tags');
});

test('normalised completions ignore surrounding and repeated whitespace only', () => {
  assert.equal(normaliseCompletion('  <think>\n a  b\n</think> '), normaliseCompletion('<think> a b </think>'));
  assert.notEqual(normaliseCompletion('a b'), normaliseCompletion('a  c'));
});

test('filter lists parse, and an unknown name is reported', () => {
  assert.deepEqual(parseFilterNames('language, tags,language'), { names: ['language', 'tags'] });
  assert.deepEqual(parseFilterNames(['none']), { names: [] });
  assert.deepEqual(parseFilterNames('language,spelling'), { unknown: 'spelling' });
});

test("R1's other readability filters: long thinking paragraphs and code blocks in the thinking are rejected, by default", () => {
  assert.ok(DEFAULT_FILTERS.includes('paragraphs') && DEFAULT_FILTERS.includes('code'));
  const para = (n: number) => 'step '.repeat(n / 5).trim();
  // Paragraphs are blank-line separated; many short ones pass where one long one does not.
  const short = `<think>\n${Array.from({ length: 10 }, () => para(500)).join('\n\n')}\n</think>\n<answer>\n1\n</answer>`;
  assert.equal(paragraphsFilter(short, { ...t, maxParagraphChars: 600 }).passed, true);
  const wall = `<think>\n${para(800)}\n</think>\n<answer>\n1\n</answer>`;
  const v = paragraphsFilter(wall, { ...t, maxParagraphChars: 600 });
  assert.equal(v.passed, false);
  assert.match(v.reason!, /^paragraphs: a thinking paragraph of 799 characters > 600/);
  // Only the thinking is measured: a long answer is the answer's business.
  assert.equal(paragraphsFilter(`<think>\nshort\n</think>\n<answer>\n${para(800)}\n</answer>`, { ...t, maxParagraphChars: 600 }).passed, true);
  // A fenced block in the thinking fails; code in the answer (what code tasks grade) does not.
  const coded = '<think>\nLet me check with a program.\n```python\nprint(47 + 38)\n```\n</think>\n<answer>\n85\n</answer>';
  assert.deepEqual(codeFilter(coded), { passed: false, reason: 'code: a code block in the thinking' });
  assert.equal(codeFilter('<think>\nAdd them.\n</think>\n```python\nprint(85)\n```').passed, true);
  assert.equal(codeFilter(good).passed, true);
  // A completion with no think block has no chain of thought: a plain code answer is not "code in the thinking".
  assert.equal(codeFilter('Here is the function:\n```python\ndef f(x):\n    return x\n```').passed, true);
  assert.equal(paragraphsFilter(para(800), { ...t, maxParagraphChars: 600 }).passed, true);
  assert.deepEqual(applyFilters(coded, DEFAULT_FILTERS, t).failed.map((f) => f.filter), ['code']);
});

test('a prompt template that opens <think> keeps the opening once: the data line is prompt + the rest of the trace', () => {
  const problems = (text: string) => ({ problems: [{ id: 'p1', line: 1, problem: 'What is 2+3?', gold: '5' }], template: { name: 't', text } }) as unknown as ProblemSet;
  const rec: SampleRecord = { id: 'p1', sample: 0, completion: 'I add 2 and 3 to get 5.\n</think>\n<answer>\n5\n</answer>', extracted: '5', correct: true, finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1 } };
  const have = new Map([['p1', new Map([[0, rec]])]]);
  const opts = { samples: 1, keep: 'correct' as const, filters: DEFAULT_FILTERS, source: 'teacher', createdAt: 'now' };
  const opened = selectSamples(problems('User: {problem}\nAssistant: <think>\n'), have, opts).records;
  assert.equal(opened.length, 1, 'the whole trace passes the tags filter');
  assert.equal(opened[0].prompt + opened[0].completion, 'User: What is 2+3?\nAssistant: <think>\nI add 2 and 3 to get 5.\n</think>\n<answer>\n5\n</answer>');
  // A prompt that leaves the block to the model: the completion holds the whole trace.
  const plain = selectSamples(problems('User: {problem}\nAssistant:'), have, opts).records;
  assert.equal(plain[0].completion, '<think>\nI add 2 and 3 to get 5.\n</think>\n<answer>\n5\n</answer>');
});
