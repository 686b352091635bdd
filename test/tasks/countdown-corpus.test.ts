// The Countdown corpus of the demo model: reproducible, in the task's own prompt and answer
// format, labels the verifier agrees with, sums that are right, and no held-out problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { candidates, countdownCorpusStats, generateCountdownCorpusDocuments, type CountdownCorpusDocument } from '../../src/tasks/countdown-corpus.js';
import { SCORE_INSTRUCTION } from '../../src/rl/self-correction.js';
import { countdownCanonical, countdownTask, verifyCountdown } from '../../src/tasks/countdown.js';
import { splitOf } from '../../src/tasks/split.js';
import { strictFormat } from '../../src/rewards/format.js';
import { countReflections } from '../../src/rewards/reflection.js';
import { outsideCharset } from '../../src/tasks/charset.js';
import type { Problem } from '../../src/tasks/task.js';

const DOCS = generateCountdownCorpusDocuments({ seed: 7, documents: 6000 });
const problemDocs = DOCS.filter((d) => d.style === 'direct' || d.style === 'search');
const completion = (d: CountdownCorpusDocument) => d.text.slice(d.completionStart);

/** The problem a document's prompt states, as the task would have generated it. */
function problemOf(d: CountdownCorpusDocument): Problem {
  const m = /^User: Make (\d+) from (\d+), (\d+), (\d+), each used once, with \+ and -\. /.exec(d.text)!;
  return { id: d.problemId!, prompt: d.text.slice(0, d.completionStart), gold: m[1], difficulty: 0, meta: { numbers: [m[2], m[3], m[4]].map(Number), target: Number(m[1]) } };
}

/** Checks "a+b=c"-style steps of one added-up line. */
function assertSumsRight(line: string): void {
  for (const [, a, op, b, c] of line.matchAll(/(\d+)([+-])(\d+)=(\d+)/g)) {
    assert.equal(op === '+' ? Number(a) + Number(b) : Number(a) - Number(b), Number(c), line);
  }
}

test('the Countdown corpus is bit-for-bit reproducible from its seed', () => {
  const texts = (seed: number) => generateCountdownCorpusDocuments({ seed, documents: 200 }).map((d) => d.text);
  assert.deepEqual(texts(7), DOCS.slice(0, 200).map((d) => d.text));
  assert.notDeepEqual(texts(7), texts(8));
});

test('problem documents are level-0 prompts answered in the strict format, labelled as the verifier judges', () => {
  for (const d of problemDocs) {
    const p = problemOf(d);
    assert.equal(d.text.slice(0, d.completionStart), countdownTask.prompt(p));
    assert.equal(strictFormat(completion(d)), 1, d.text);
    assert.equal(countdownTask.verify(completion(d), p).correct, d.correct, d.text);
    if (d.style === 'search') assert.equal(d.correct, true, 'a search ends at the target');
    assert.ok(d.text.length <= 512, 'fits the model context');
    assert.deepEqual(outsideCharset(d.text), []);
  }
});

test('a search adds up each try correctly, and says "wait" after every miss and only then', () => {
  const searches = problemDocs.filter((d) => d.style === 'search');
  for (const d of searches) {
    const { numbers, target } = problemOf(d).meta as { numbers: number[]; target: number };
    assert.ok(completion(d).startsWith(`<think>\ntrying the signs: ${target} from ${numbers.join(', ')}.\n`), 'the puzzle restated first');
    const lines = completion(d).split('\n').filter((l) => /^\d/.test(l) && l.includes(':'));
    assert.equal(lines.length, d.tries);
    lines.forEach((line, i) => {
      assertSumsRight(line);
      const [, value, against, verdict] = /(\d+) against (\d+), (no|right)\.$/.exec(line)!;
      assert.equal(Number(against), target, line);
      assert.equal(verdict === 'right', Number(value) === target, line);
      assert.equal(Number(value) === target, i === lines.length - 1, line);
    });
    assert.equal(countReflections(completion(d)), d.tries! - 1, 'one "wait" per miss');
    const tried = lines.map((l) => l.split(':')[0]);
    assert.deepEqual(tried, candidates(problemOf(d).meta.numbers as number[]).slice(0, tried.length).map((c) => c.text), 'sign patterns in the fixed order');
  }
  assert.ok(searches.some((d) => d.tries === 1) && searches.some((d) => d.tries! >= 3));
  for (const d of problemDocs.filter((x) => x.style === 'direct')) assert.equal(countReflections(completion(d)), 0);
});

test('notes pages work a training puzzle by trial and error outside the frame, and end at the target', () => {
  const notes = DOCS.filter((d) => d.style === 'notes');
  assert.ok(notes.length > 0);
  for (const d of notes) {
    assert.ok(!d.text.includes('User:') && !d.text.includes('<answer>'));
    const lines = d.text.split('\n');
    const [, target, a, b, c] = /^trying the signs: (\d+) from (\d+), (\d+), (\d+)\.$/.exec(lines[1])!.map(Number);
    assert.equal(lines[0], `Make ${target} from ${a}, ${b}, ${c}, each used once, with + and -.`, 'the question as the task asks it');
    for (const line of lines.slice(2)) assertSumsRight(line);
    const answer = /^so ([\d+-]+)\.$/.exec(lines.at(-1)!)![1];
    assert.equal(verifyCountdown(`<answer>${answer}</answer>`, [a, b, c], target, ['+', '-']).correct, true, d.text);
  }
});

test('sums pages practise the steps and judgments a search of a training puzzle takes, all of them right', () => {
  const pages = DOCS.filter((d) => d.style === 'sums');
  assert.ok(pages.length > 0);
  const searchSteps = new Set(DOCS.filter((d) => d.style === 'notes').flatMap((d) => [...d.text.matchAll(/\d+[+-]\d+=\d+/g)].map((m) => m[0])));
  let seen = 0;
  for (const d of pages) {
    const [head, ...lines] = d.text.split('\n');
    assert.equal(head, 'sums:');
    assert.equal(lines.length, 6, 'three puzzles: their sums, then their totals judged');
    for (const [k, line] of lines.entries()) {
      if (k % 2 === 1) {
        const judged = [...line.matchAll(/(\d+) against (\d+), (no|right)\./g)];
        assert.ok(judged.length >= 1 && judged.length <= 4, line);
        for (const [, value, target, verdict] of judged) assert.equal(verdict === 'right', value === target, line);
        assert.equal(new Set(judged.map((j) => j[2])).size, 1, 'one target per puzzle');
        assert.ok(judged.some((j) => j[3] === 'right'), 'a solution among the patterns');
        continue;
      }
      assertSumsRight(line);
      const steps = line.split(', ');
      assert.equal(new Set(steps).size, steps.length, 'each step once per puzzle');
      for (const step of steps) {
        assert.match(step, /^\d+[+-]\d=\d+$/, 'a running total and a one-digit number');
        if (searchSteps.has(step)) seen++;
      }
    }
    assert.ok(d.text.length <= 512 && !d.text.includes('User:') && countReflections(d.text) === 0);
  }
  assert.ok(seen > 0, 'the steps practised are steps searches take');
});

test('the corpus never states a held-out problem, in the frame or in notes', () => {
  const held = new Set(countdownTask.generate({ split: 'heldout', count: 200, seed: 0, difficulty: 0 }).map((p) => p.id));
  for (const d of problemDocs) assert.ok(!held.has(d.problemId!), d.text);
  assert.ok(held.size === 200);
  for (const d of DOCS.filter((x) => x.style === 'notes')) {
    const [, target, ...numbers] = /^Make (\d+) from (\d+), (\d+), (\d+),/.exec(d.text)!.map(Number);
    assert.equal(splitOf('countdown', countdownCanonical(numbers, target)), 'train', d.text);
  }
});

test('candidates are the sign patterns in the listed order, ++ first, and a solution is always among them', () => {
  assert.deepEqual(candidates([8, 1, 5]).map((c) => c.text), ['8+1+5', '8+1-5', '8-1+5', '8-1-5']);
  assert.deepEqual(candidates([8, 1, 5])[2], { text: '8-1+5', work: '8-1=7, 7+5=12', value: 12 });
  assert.deepEqual(candidates([3, 8, 4]).map((c) => c.text), ['3+8+4', '3+8-4'], 'no running total below zero');
  for (const p of countdownTask.generate({ split: 'train', count: 200, seed: 4, difficulty: 0 })) {
    assert.ok(candidates(p.meta.numbers as number[]).some((c) => c.value === p.meta.target), String(p.meta.solution));
  }
});

test('style shares and guess accuracy stay in the bands docs/corpus.md reports', () => {
  const s = countdownCorpusStats(DOCS);
  assert.ok(Math.abs(s.share.search - 0.05) < 0.015, `search share ${s.share.search}`);
  assert.ok(Math.abs(s.share.direct - 0.4) < 0.03, `direct share ${s.share.direct}`);
  assert.ok(Math.abs(s.share.sums - 0.25) < 0.03, `sums share ${s.share.sums}`);
  assert.ok(s.directAccuracy > 0.2 && s.directAccuracy < 0.32, `guesses right ${s.directAccuracy}`);
  assert.ok(s.meanTries > 2.1 && s.meanTries < 2.7, `tries ${s.meanTries}`);
  assert.ok(s.maxLength <= 512);
});

test('the default corpus is the one the bundled aha-tiny-countdown was pretrained on, byte for byte', () => {
  // models/aha-tiny-countdown/README.md reproduces the model from this corpus; a new style must not shift its draws.
  const docs = generateCountdownCorpusDocuments({ seed: 1, documents: 2000 });
  assert.equal(createHash('sha256').update(docs.map((d) => d.text).join('\0')).digest('hex'), '1247d8cdeee1bf443e1dde0d9baeaaac39b469b087afeda19b0d2d2fb36bf45b');
  assert.ok(docs.every((d) => d.style !== 'retry'), 'retry documents only when asked for');
});

test('retry documents: two independent in-frame answers, the second after SCoRe\'s instruction, no better than the first', () => {
  const docs = generateCountdownCorpusDocuments({ seed: 5, documents: 4000, styleMix: { retry: 0.5 } }).filter((d) => d.style === 'retry');
  // retry 0.5 beside the default shares (summing to 1): a third of the documents.
  assert.ok(Math.abs(docs.length / 4000 - 1 / 3) < 0.03, `${docs.length} retry documents`);
  let firstRight = 0, secondRight = 0, same = 0;
  for (const d of docs) {
    const parts = completion(d).split(SCORE_INSTRUCTION);
    assert.equal(parts.length, 2, d.text);
    const [first, second] = parts;
    const p = problemOf(d);
    assert.equal(strictFormat(first), 1, d.text);
    // The instruction opened the block: the second answer does not open it again.
    assert.equal(strictFormat(`<think>\n${second}`), 1, d.text);
    assert.ok(!second.startsWith('<think>'), d.text);
    const r1 = countdownTask.verify(first, p).correct, r2 = countdownTask.verify(second, p).correct;
    assert.equal(d.correct, r2, 'labelled by the second answer');
    firstRight += +r1;
    secondRight += +r2;
    same += +(first === `<think>\n${second}`);
    assert.ok(d.text.length <= 1024, 'fits a 1,024-character context');
    assert.deepEqual(outsideCharset(d.text), []);
  }
  // Drawn alike and independently: right as often (within sampling noise), and the same text only as often as two draws coincide.
  assert.ok(Math.abs(firstRight - secondRight) / docs.length < 0.04, `${firstRight} vs ${secondRight} right of ${docs.length}`);
  assert.ok(same / docs.length < 0.4, `same text ${same} of ${docs.length}`);
});

test('retry-check documents: the second answer opens with a right check of the first answer, then re-attempts independently', () => {
  const docs = generateCountdownCorpusDocuments({ seed: 5, documents: 3000, styleMix: { 'retry-check': 0.5 } }).filter((d) => d.style === 'retry-check');
  assert.ok(Math.abs(docs.length / 3000 - 1 / 3) < 0.03, `${docs.length} retry-check documents`);
  let firstRight = 0, secondRight = 0, copiedAfterRight = 0, hits = 0;
  for (const d of docs) {
    const [first, second] = completion(d).split(SCORE_INSTRUCTION);
    const p = problemOf(d);
    const { numbers, target } = p.meta as { numbers: number[]; target: number };
    const y1 = /<answer>\n(.*)\n<\/answer>/.exec(first)![1];
    const r1 = countdownTask.verify(first, p).correct;
    // The check: the puzzle restated as a search restates it, then y1's own pattern added up in the
    // corpus's line, judged truly against the target.
    const restated = `trying the signs: ${target} from ${numbers.join(', ')}.\n`;
    assert.ok(second.startsWith(restated), d.text);
    const check = /^([0-9+-]+): (.*)\. (\d+) against (\d+), (right|no)\.\n/.exec(second.slice(restated.length));
    assert.ok(check, d.text);
    const [line, pattern, , value, against, verdict] = check;
    assert.equal(pattern, y1, d.text);
    assert.equal(Number(against), target, d.text);
    assert.equal(Number(value), candidates(numbers).find((c) => c.text === y1)!.value, d.text);
    assertSumsRight(line);
    assert.equal(verdict, r1 ? 'right' : 'no', d.text);
    const rest = second.slice(restated.length + line.length);
    // "wait" after a miss only, then a re-attempt in the strict format, the think block not opened again.
    assert.equal(rest.startsWith('wait, let me try another.\n'), !r1, d.text);
    const reattempt = r1 ? rest : rest.slice('wait, let me try another.\n'.length);
    assert.ok(!reattempt.startsWith('<think>'), d.text);
    assert.equal(strictFormat(`<think>\n${reattempt}`), 1, d.text);
    const r2 = countdownTask.verify(second, p).correct;
    assert.equal(d.correct, r2, 'labelled by the second answer');
    firstRight += +r1;
    secondRight += +r2;
    if (r1) {
      hits++;
      copiedAfterRight += +(/<answer>\n(.*)\n<\/answer>/.exec(reattempt)![1] === y1);
    }
    assert.ok(d.text.length <= 1024, 'fits a 1,024-character context');
    assert.deepEqual(outsideCharset(d.text), []);
  }
  // The re-attempt ignores the check: right as often as the first answer, and after "right" not a copy of y1 every time
  // (a search re-attempt always reaches the target, so a right y1 is sometimes repeated by chance).
  assert.ok(Math.abs(firstRight - secondRight) / docs.length < 0.04, `${firstRight} vs ${secondRight} right of ${docs.length}`);
  assert.ok(copiedAfterRight / hits < 0.8, `y1 repeated after "right" ${copiedAfterRight} of ${hits}`);
});
