// The synthetic pretraining corpus of the Countdown demo (level 0: a number up to 20 and two
// one-digit numbers, listed in an order that signs alone solve, + and - only). Four kinds of
// document: a bare guess at the signs (common, usually wrong), a search that adds up one sign
// pattern after another in a fixed order and says "wait, let me try another." after each miss
// until one reaches the target (rare), the same searches outside the User/Assistant frame (where
// the model learns them), and pages of the sums and comparisons a search needs (practice). A fifth
// kind, off by default, answers a puzzle twice, the second time after SCoRe's instruction (retry);
// a sixth, off by default too, opens that second answer with a check of the first (retry-check).
// Checking a candidate is one short sum while finding one is a guess, so trial and error pays
// here, unlike in long arithmetic, where a check redoes the work. docs/corpus.md explains the
// design and the figures.
import { AhaError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { countdownCanonical, countdownQuestion, drawCountdown } from './countdown.js';
import { checkCorpusOptions, normaliseMix, pickWeighted } from './mix.js';
import { splitOf, problemId } from './split.js';
import { afterPromptOpening, answerTail, frame, RETRY_TURN } from './task.js';

/** The level the corpus is about (its numbers and operators). */
export const COUNTDOWN_CORPUS_LEVEL = 0;

export type CountdownCorpusStyle = 'direct' | 'search' | 'notes' | 'sums' | 'retry' | 'retry-check';
export const COUNTDOWN_CORPUS_STYLES: readonly CountdownCorpusStyle[] = ['direct', 'search', 'notes', 'sums', 'retry', 'retry-check'];

/** Default share of each style among documents (see docs/corpus.md for why). */
export const DEFAULT_COUNTDOWN_STYLE_MIX: Readonly<Record<CountdownCorpusStyle, number>> = { direct: 0.4, search: 0.05, notes: 0.3, sums: 0.25, retry: 0, 'retry-check': 0 };

/** Puzzles whose sums make up one `sums` document. */
export const SUMS_PER_DOCUMENT_PUZZLES = 3;

/** How often a bare guess names a solution: a base model has a feel for small sums, no more. */
export const COUNTDOWN_DIRECT_ACCURACY = 0.25;

/** One candidate: the numbers in their listed order with a sign between each two, e.g. "9-3+5". */
export interface Candidate {
  text: string;
  /** "9-3=6, 6+5=11": each step of adding up. */
  work: string;
  value: number;
}

/**
 * The sign patterns over the numbers in their listed order, in a fixed order (++, +-, -+, --),
 * leaving out those whose running total drops below zero. Level 0 lists its numbers in an order
 * that one of them solves, so a search through at most four candidates always ends at the target.
 */
export function candidates(numbers: readonly number[]): Candidate[] {
  const out: Candidate[] = [];
  const gaps = numbers.length - 1;
  for (let pattern = 0; pattern < 1 << gaps; pattern++) {
    let total = numbers[0];
    let text = String(total);
    let belowZero = false;
    const steps: string[] = [];
    for (let i = 1; i <= gaps; i++) {
      const op = (pattern >> (gaps - i)) & 1 ? '-' : '+';
      const n = numbers[i];
      const next = op === '-' ? total - n : total + n;
      steps.push(`${total}${op}${n}=${next}`);
      text += `${op}${n}`;
      total = next;
      belowZero ||= next < 0;
    }
    if (!belowZero) out.push({ text, work: steps.join(', '), value: total });
  }
  return out;
}

/**
 * A total set against the target, "18 against 10, no." or "10 against 10, right.": the two
 * numbers side by side, so the judgment compares neighbours instead of reaching back to the
 * restated puzzle (a 0.86M model judged at random when the target was a line away; docs/corpus.md).
 */
export function judgement(value: number, target: number): string {
  return `${value} against ${target}, ${value === target ? 'right' : 'no'}.`;
}

/** A candidate added up and judged against the target. */
function triedLine(c: Candidate, target: number): string {
  const line = `${c.text}: ${c.work}. ${judgement(c.value, target)}\n`;
  return c.value === target ? line : `${line}wait, let me try another.\n`;
}

/**
 * The check of a first answer that opens a `retry-check` second answer: the search's restatement
 * of the puzzle, then the first answer's sign pattern added up and judged against the target in
 * the corpus's own line, then "wait, let me try another." after a miss. Written by the program, so
 * every sum and verdict is right. The restatement is what lets a 0.86M model get the target right:
 * without it, its checks wrote the target 27% of the time, with it 98% (docs/self-correction.md).
 */
export function firstAnswerCheck(first: Candidate, target: number, numbers: readonly number[]): string {
  return searchOpening(numbers, target) + triedLine(first, target);
}

/** A search's first line: "trying the signs" and the puzzle restated, so each try is judged against a target one line away. */
export function searchOpening(numbers: readonly number[], target: number): string {
  return `trying the signs: ${target} from ${numbers.join(', ')}.\n`;
}

/** The completion of a bare guess. */
export function directCompletion(guess: Candidate): string {
  return `<think>\n${guess.text} makes it.\n${answerTail(guess.text)}`;
}

/**
 * The working of a search: "trying the signs" (so the choice of style is the first word of the
 * answer) and the puzzle restated (one contiguous copy from the question, so the target each
 * try is judged against is a line away), then the sign patterns in order, each missed one
 * followed by "wait", up to the first that reaches the target.
 */
export function searchWork(numbers: readonly number[], target: number): { text: string; tries: Candidate[] } {
  const all = candidates(numbers);
  const hit = all.findIndex((c) => c.value === target);
  if (hit < 0) throw new Error(`searchWork: no sign pattern of ${numbers.join(', ')} makes ${target}`);
  const tries = all.slice(0, hit + 1);
  return { text: `${searchOpening(numbers, target)}${tries.map((c) => triedLine(c, target)).join('')}`, tries };
}

/** The completion of a search (its `searchWork`), ending in the answer the last try found. */
export function searchCompletion(search: { text: string; tries: readonly Candidate[] }): string {
  return `<think>\n${search.text}${answerTail(search.tries[search.tries.length - 1].text)}`;
}

export interface CountdownCorpusOptions {
  seed: number;
  documents: number;
  styleMix?: Readonly<Partial<Record<CountdownCorpusStyle, number>>>;
}

export interface CountdownCorpusDocument {
  text: string;
  style: CountdownCorpusStyle;
  /** Index in `text` where the assistant's completion starts (0 for notes and sums). */
  completionStart: number;
  problemId?: string;
  /** Problem documents only: whether the answer reaches the target. */
  correct?: boolean;
  /** Search documents only: candidates tried. */
  tries?: number;
}

/** A training problem of the corpus level (never a held-out one). */
function drawTrainProblem(rng: Rng): { numbers: number[]; target: number } {
  for (;;) {
    const spec = drawCountdown(rng, COUNTDOWN_CORPUS_LEVEL);
    if (splitOf('countdown', countdownCanonical(spec.numbers, spec.target)) === 'train') return spec;
  }
}

/**
 * A puzzle worked by trial and error outside the User/Assistant frame, the kind of text a
 * web-scale corpus has in puzzle books: the question, then the same working as a search answer.
 * Here the model learns to restate the puzzle, add up, judge a try against the target and go on
 * after a miss; inside the frame it stays a minority style.
 */
function notesDocument(rng: Rng): string {
  const { numbers, target } = drawTrainProblem(rng);
  const { text, tries } = searchWork(numbers, target);
  return `${countdownQuestion(numbers, target, COUNTDOWN_CORPUS_LEVEL)}\n${text}so ${tries[tries.length - 1].text}.`;
}

/**
 * A page of sums, the arithmetic practice a web-scale corpus is full of. For each of a few
 * training puzzles: every distinct step of adding up its sign patterns, then each total set
 * against the target. So the sums and comparisons a search needs are the ones practised; without
 * this page a 0.86M model sees each of its ~1,000 sum facts too rarely to learn them
 * (docs/corpus.md).
 */
function sumsDocument(rng: Rng): string {
  const lines: string[] = [];
  for (let i = 0; i < SUMS_PER_DOCUMENT_PUZZLES; i++) {
    const { numbers, target } = drawTrainProblem(rng);
    const all = candidates(numbers);
    lines.push([...new Set(all.flatMap((c) => c.work.split(', ')))].join(', '));
    lines.push(all.map((c) => judgement(c.value, target)).join(' '));
  }
  return `sums:\n${lines.join('\n')}`;
}

/** The documents with their labels; bit-for-bit the same for the same options. */
export function generateCountdownCorpusDocuments(options: CountdownCorpusOptions): CountdownCorpusDocument[] {
  checkCorpusOptions(options);
  const styles = normaliseMix<CountdownCorpusStyle>({ ...DEFAULT_COUNTDOWN_STYLE_MIX, ...(options.styleMix ?? {}) }, 'style');
  for (const [s] of styles) if (!COUNTDOWN_CORPUS_STYLES.includes(s)) throw new AhaError(`corpus: unknown style "${s}" (styles: ${COUNTDOWN_CORPUS_STYLES.join(', ')})`);

  const rng = new Rng(options.seed);
  const docs: CountdownCorpusDocument[] = [];
  // The in-frame styles' shares among themselves, what a retry document draws each answer from (on first use).
  let inFrame: [CountdownCorpusStyle, number][] | undefined;
  for (let i = 0; i < options.documents; i++) {
    const style = pickWeighted(rng, styles);
    if (style === 'notes') {
      docs.push({ text: notesDocument(rng), style, completionStart: 0 });
      continue;
    }
    if (style === 'sums') {
      docs.push({ text: sumsDocument(rng), style, completionStart: 0 });
      continue;
    }
    const { numbers, target } = drawTrainProblem(rng);
    const prompt = frame(countdownQuestion(numbers, target, COUNTDOWN_CORPUS_LEVEL));
    const id = problemId('countdown', COUNTDOWN_CORPUS_LEVEL, countdownCanonical(numbers, target));
    if (style === 'retry' || style === 'retry-check') {
      // Two in-frame answers drawn independently (a guess or a search, in the corpus's proportions),
      // the second after SCoRe's instruction: a second turn no better than the first. In
      // retry-check the second opens with a check of the first's answer, which the re-attempt
      // ignores (after "right" too), so reading y1 is learnt here and using the verdict is left to RL.
      inFrame ??= normaliseMix<CountdownCorpusStyle>(Object.fromEntries(styles.filter(([s]) => s === 'direct' || s === 'search')), 'in-frame style');
      const first = inFrameAnswer(rng, numbers, target, pickWeighted(rng, inFrame));
      const second = inFrameAnswer(rng, numbers, target, pickWeighted(rng, inFrame));
      const retry = prompt + first.text + RETRY_TURN;
      const check = style === 'retry-check' ? firstAnswerCheck(first.answer, target, numbers) : '';
      docs.push({ text: retry + check + afterPromptOpening(retry, second.text), style, completionStart: prompt.length, problemId: id, correct: second.correct });
      continue;
    }
    const answer = inFrameAnswer(rng, numbers, target, style);
    docs.push({ text: prompt + answer.text, style, completionStart: prompt.length, problemId: id, correct: answer.correct, ...(answer.tries ? { tries: answer.tries } : {}) });
  }
  return docs;
}

/** An in-frame completion: a bare guess (right COUNTDOWN_DIRECT_ACCURACY of the time) or a search. */
function inFrameAnswer(rng: Rng, numbers: readonly number[], target: number, style: CountdownCorpusStyle): { text: string; answer: Candidate; correct: boolean; tries?: number } {
  if (style === 'direct') {
    const all = candidates(numbers);
    const hits = all.filter((c) => c.value === target);
    const misses = all.filter((c) => c.value !== target);
    const guess = rng.next() < COUNTDOWN_DIRECT_ACCURACY || misses.length === 0 ? rng.pick(hits) : rng.pick(misses);
    return { text: directCompletion(guess), answer: guess, correct: guess.value === target };
  }
  const search = searchWork(numbers, target);
  return { text: searchCompletion(search), answer: search.tries[search.tries.length - 1], correct: true, tries: search.tries.length };
}

export interface CountdownCorpusStats {
  documents: number;
  share: Record<CountdownCorpusStyle, number>;
  /** Share of direct documents whose guess is right. */
  directAccuracy: number;
  /** Mean candidates tried per search document. */
  meanTries: number;
  /** Longest document, in characters. */
  maxLength: number;
}

export function countdownCorpusStats(docs: readonly CountdownCorpusDocument[]): CountdownCorpusStats {
  const share = {} as Record<CountdownCorpusStyle, number>;
  for (const s of COUNTDOWN_CORPUS_STYLES) share[s] = docs.length ? docs.filter((d) => d.style === s).length / docs.length : 0;
  const direct = docs.filter((d) => d.style === 'direct');
  const search = docs.filter((d) => d.style === 'search');
  return {
    documents: docs.length,
    share,
    directAccuracy: direct.length ? direct.filter((d) => d.correct).length / direct.length : 0,
    meanTries: search.length ? search.reduce((s, d) => s + (d.tries ?? 0), 0) / search.length : 0,
    maxLength: docs.reduce((m, d) => Math.max(m, d.text.length), 0),
  };
}
