// Satori's critic on the base model's own answers (tasks/coat-critic.ts): hand-written samples in
// the shapes the bundled model writes (a bare guess, a "trying the signs" search), with the faults
// it makes. Right lines are kept verbatim with meta-actions inserted; the first wrong line is kept,
// reflected on and redone; what follows is the corpus's search to the right answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { critiqueSample, selfDemos, withConfirmation, type SelfDemoSample } from '../../src/tasks/coat-critic.js';
import { countdownQuestion, countdownTask } from '../../src/tasks/countdown.js';
import { frame } from '../../src/tasks/task.js';

// 10 from 12, 3, 5: 12+3+5=20, 12+3-5=10 (the hit), 12-3+5=14, 12-3-5=4.
const N = [12, 3, 5];
const T = 10;
const open = 'trying the signs: 10 from 12, 3, 5.\n';
const l20 = '12+3+5: 12+3=15, 15+5=20. 20 against 10, no.\n';
const l10 = '12+3-5: 12+3=15, 15-5=10. 10 against 10, right.\n';
const wait = 'wait, let me try another.\n';
const tail = (e: string) => `</think>\n<answer>\n${e}\n</answer>`;
const rightAnswer = (completion: string) =>
  countdownTask.verify(completion, { id: 'x', prompt: '', gold: String(T), difficulty: 0, meta: { numbers: N, target: T } }).correct;

test('critic: a right search is kept verbatim, an <|explore|> before each candidate after an honest miss', () => {
  const c = critiqueSample(`<think>\n${open}${l20}${wait}${l10}${tail('12+3-5')}`, N, T)!;
  assert.equal(c.error, null);
  assert.equal(c.completion, `<think>\n${open}${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
  assert.ok(rightAnswer(c.completion));
  // Stopped after an honest miss and answered: the critic goes on with the search.
  const stopped = critiqueSample(`<think>\n${open}${l20}${tail('12+3+5')}`, N, T)!;
  assert.equal(stopped.error, null);
  assert.equal(stopped.completion, `<think>\n${open}${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
});

test('critic: a guess is worked out after <|continue|>; a miss goes on to the search', () => {
  const hit = critiqueSample(`<think>\n12+3-5 makes it.\n${tail('12+3-5')}`, N, T)!;
  assert.deepEqual([hit.completion, hit.guessHit, hit.error], [`<think>\n12+3-5 makes it.\n<|continue|>${l10}${tail('12+3-5')}`, true, null]);
  const miss = critiqueSample(`<think>\n12-3+5 makes it.\n${tail('12-3+5')}`, N, T)!;
  assert.equal(miss.guessHit, false);
  assert.equal(miss.completion, `<think>\n12-3+5 makes it.\n<|continue|>12-3+5: 12-3=9, 9+5=14. 14 against 10, no.\n${wait}<|explore|>${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
  assert.ok(rightAnswer(miss.completion));
  // A guess that is not a sign pattern of the puzzle's numbers: reflected on, the puzzle restated, the search from its start.
  const miscopied = critiqueSample(`<think>\n12+8-5 makes it.\n${tail('12+8-5')}`, N, T)!;
  assert.equal(miscopied.error, 'candidate_miscopied');
  assert.equal(miscopied.completion, `<think>\n12+8-5 makes it.\n<|reflect|>${open}${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
});

test('critic: a miss judged right is cut there, reflected on and redone, then the search goes on to the hit', () => {
  const bad = '12+3+5: 12+3=15, 15+5=20. 20 against 10, right.\n';
  const c = critiqueSample(`<think>\n${open}${bad}${tail('12+3+5')}`, N, T)!;
  assert.equal(c.error, 'miss_judged_right');
  assert.equal(c.completion, `<think>\n${open}${bad}<|reflect|>${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
  assert.ok(rightAnswer(c.completion));
  // A hit judged wrong: redone right, and the answer follows; the model's lines after the fault are not kept.
  const missed = '12+3-5: 12+3=15, 15-5=10. 10 against 10, no.\n';
  const h = critiqueSample(`<think>\n${open}${l20}${wait}${missed}${wait}12-3+5: 12-3=9, 9+5=14. 14 against 10, right.\n${tail('12-3+5')}`, N, T)!;
  assert.equal(h.error, 'hit_judged_wrong');
  assert.equal(h.completion, `<think>\n${open}${l20}${wait}<|explore|>${missed}<|reflect|>${l10}${tail('12+3-5')}`);
});

test('critic: a miscomputed sum, a miscopied total, target or puzzle are each the first wrong line', () => {
  const sum = '12+3+5: 12+3=15, 15+5=10. 10 against 10, right.\n';
  const c = critiqueSample(`<think>\n${open}${sum}${tail('12+3+5')}`, N, T)!;
  assert.equal(c.error, 'sum_wrong');
  assert.equal(c.completion, `<think>\n${open}${sum}<|reflect|>${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
  assert.equal(critiqueSample(`<think>\n${open}12+3+5: 12+3=15, 15+5=20. 2 against 10, no.\n${wait}${l10}${tail('12+3-5')}`, N, T)!.error, 'total_miscopied');
  assert.equal(critiqueSample(`<think>\n${open}12+3+5: 12+3=15, 15+5=20. 20 against 11, no.\n${wait}${l10}${tail('12+3-5')}`, N, T)!.error, 'target_miscopied');
  const puzzle = critiqueSample(`<think>\ntrying the signs: 10 from 12, 3, 6.\n12+3+6: 12+3=15, 15+6=21. 21 against 10, no.\n${tail('12+3+6')}`, N, T)!;
  assert.equal(puzzle.error, 'puzzle_miscopied');
  assert.equal(puzzle.completion, `<think>\ntrying the signs: 10 from 12, 3, 6.\n<|reflect|>${open}${l20}${wait}<|explore|>${l10}${tail('12+3-5')}`);
  // A miscopied candidate inside a search is redone as the next sign pattern not yet judged.
  const cand = critiqueSample(`<think>\n${open}${l20}${wait}12+8-5: 12+8=20, 20-5=15. 15 against 10, no.\n${tail('12+8-5')}`, N, T)!;
  assert.equal(cand.error, 'candidate_miscopied');
  assert.equal(cand.completion, `<think>\n${open}${l20}${wait}<|explore|>12+8-5: 12+8=20, 20-5=15. 15 against 10, no.\n<|reflect|>${l10}${tail('12+3-5')}`);
});

test('critic: samples not made of the corpus\'s lines are not parsed (null), and selfDemos counts them as dropped', () => {
  const unparseable = [
    `<think>\n${open}${l20}${wait}${l10}`, // never closed its thinking (cut off)
    `<think>\n${open}${l20}${l10}${tail('12+3-5')}`, // two candidates without the "wait" between
    `<think>\n${open}12+3+5 is twenty.\n${tail('12+3+5')}`,
    `<think>\nlet me see.\n${tail('12+3+5')}`,
    `12+3-5 makes it.\n${tail('12+3-5')}`, // no thinking block
    `<think>\n12+3-5 makes it.\n${l10}${tail('12+3-5')}`, // a guess with more after it
  ];
  for (const s of unparseable) assert.equal(critiqueSample(s, N, T), null, s);
  const prompt = frame(countdownQuestion(N, T, 0));
  const samples: SelfDemoSample[] = [...unparseable, `<think>\n${open}${l20}${wait}${l10}${tail('12+3-5')}`].map((completion) => ({ prompt, numbers: N, target: T, completion }));
  const { demos, report } = selfDemos(samples, 1);
  assert.deepEqual([report.samples, report.unparsed, report.demos, demos.length], [7, 6, 1, 1]);
});

test('selfDemos: repeats dropped, guesses balanced hit against miss, reflections balanced by confirmations; every demo ends right', () => {
  const prompt = frame(countdownQuestion(N, T, 0));
  const mk = (completion: string, target = T, numbers = N) => ({ prompt: frame(countdownQuestion(numbers, target, 0)), numbers, target, completion });
  const samples: SelfDemoSample[] = [
    mk(`<think>\n12+3-5 makes it.\n${tail('12+3-5')}`),
    mk(`<think>\n12+3-5 makes it.\n${tail('12+3-5')}`), // a repeat
    mk(`<think>\n12-3+5 makes it.\n${tail('12-3+5')}`),
    mk(`<think>\n12-3-5 makes it.\n${tail('12-3-5')}`), // a second miss: one of the two is dropped
    mk(`<think>\n${open}12+3+5: 12+3=15, 15+5=20. 20 against 10, right.\n${tail('12+3+5')}`), // redone as "no"
    mk(`<think>\n${open}${l20}${wait}${l10}${tail('12+3-5')}`),
  ];
  const { demos, report } = selfDemos(samples, 4);
  assert.equal(report.repeats, 1);
  assert.equal(report.unbalanced, 1);
  assert.equal(report.errors.miss_judged_right, 1);
  assert.equal(report.confirmed, 1);
  assert.equal(demos.length, 4);
  const guesses = demos.filter((d) => d.style === 'guess');
  assert.equal(guesses.filter((d) => d.completion.includes('<|continue|>') && /<\|continue\|>[^\n]*right\./.test(d.completion)).length, 1);
  assert.equal(guesses.length, 2);
  const verdictsAfterReflect = demos.flatMap((d) => [...d.completion.matchAll(/<\|reflect\|>[^\n]* against \d+, (right|no)\.\n/g)].map((m) => m[1]));
  assert.deepEqual(verdictsAfterReflect.sort(), ['no', 'right']);
  for (const d of demos) {
    assert.ok(rightAnswer(d.completion), d.completion);
    assert.equal(d.prompt, prompt);
  }
  // Deterministic for a seed.
  assert.deepEqual(selfDemos(samples, 4).demos, demos);
  // A confirmation repeats the final line after <|reflect|>.
  assert.equal(withConfirmation(`<think>\n12+3-5 makes it.\n<|continue|>${l10}${tail('12+3-5')}`), `<think>\n12+3-5 makes it.\n<|continue|>${l10}<|reflect|>${l10}${tail('12+3-5')}`);
});
