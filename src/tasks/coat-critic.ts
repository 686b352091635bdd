// Satori's critic for Countdown level 0, as a program: it turns the base model's own answers (its
// bare guesses and its "trying the signs" searches, the Countdown corpus's two in-frame styles)
// into format-tuning demonstrations. It knows the answer and redoes every sum, so it can keep the
// model's lines verbatim where they are right, insert the meta-actions at the step boundaries, and
// at the first wrong line cut, append `<|reflect|>` and a corrected redo of that line.
//
// Step by step (the corpus's words; `judgement` is its side-by-side verdict "18 against 10, no."):
//   - a guess "12+3-5 makes it." is kept and `<|continue|>` works it out ("12+3-5: 12+3=15,
//     15-5=10. 10 against 10, right.") - a guess is a candidate, not yet a judgment, as in the
//     program demos' `guess` kind;
//   - a search's own lines are kept while each is exactly what the corpus would write for its
//     candidate (the sums, the total, the target and the verdict all right); the model's
//     "wait, let me try another." after an honest miss is kept and `<|explore|>` opens the next
//     candidate;
//   - the first wrong line (a sum miscomputed, a miss judged right, a hit judged wrong, a target or
//     total miscopied, a puzzle restated wrong, a guess that is not a sign pattern of the puzzle's
//     numbers) is kept, then `<|reflect|>` and its redo: the candidate's line as the corpus writes it,
//     a search's miscopied candidate redone as the next sign pattern not yet judged, and a miscopied
//     restatement or guess by the puzzle restated right and the search from its start;
//   - after the last right line the critic finishes in the same words: the sign patterns not yet
//     judged, in the corpus's order, each miss followed by "wait, let me try another." and
//     `<|explore|>`, up to the hit, then the answer. The continuation is the program's, never the
//     model's lines after its first error: those were written from the wrong line (a search
//     whose miss was judged right stops there), and where they are right they are exactly what the
//     program writes, the sign patterns being searched in one fixed order.
// A sample that is not made of these lines (or never closes its thinking) is not parsed: dropped.
//
// `selfDemos` then balances what follows each meta-action so no verdict is predictable from its
// position (test/rl/coat.test.ts): as many guesses that hit as guesses that miss, and as many
// reflections whose redo says "right" as "no" (a right final line re-checked and confirmed, as the
// program demos' `verify` kind does, where the model's own errors give mostly misses judged right).
import { Rng } from '../util/rng.js';
import { CONTINUE, EXPLORE, REFLECT } from '../util/meta-actions.js';
import { candidates, judgement, searchOpening, type Candidate } from './countdown-corpus.js';
import { answerTail } from './task.js';

/** What went wrong first in a sample (null when nothing did). */
export type CritiqueError = 'puzzle_miscopied' | 'candidate_miscopied' | 'sum_wrong' | 'total_miscopied' | 'target_miscopied' | 'miss_judged_right' | 'hit_judged_wrong';
export const CRITIQUE_ERRORS: readonly CritiqueError[] = ['puzzle_miscopied', 'candidate_miscopied', 'sum_wrong', 'total_miscopied', 'target_miscopied', 'miss_judged_right', 'hit_judged_wrong'];

/** The sample's style: a bare guess or a search. */
export type CritiqueStyle = 'guess' | 'search';

export interface Critique {
  style: CritiqueStyle;
  /** The demonstration's completion: ends in the right answer. */
  completion: string;
  /** The first wrong line's fault (then the completion holds one `<|reflect|>` redoing it), or null. */
  error: CritiqueError | null;
  /** For a guess: whether it was a sign pattern that hits. */
  guessHit: boolean | null;
}

const WAIT = 'wait, let me try another.';
const OPENING = /^trying the signs: (\d+) from (\d+(?:, \d+)*)\.$/;
const GUESS = /^(\d+(?:[-+]\d+)+) makes it\.$/;
/** The verdict of the line a `<|reflect|>` redoes (none when it restates the puzzle). */
const REDONE_VERDICT = /<\|reflect\|>[^\n]* against \d+, (right|no)\.\n/;
const CHECK = /^(\d+(?:[-+]\d+)+): (.*)\. (\d+) against (\d+), (right|no)\.$/;

/** The corpus's line for a candidate: added up and judged. */
const checkLine = (c: Candidate, target: number) => `${c.text}: ${c.work}. ${judgement(c.value, target)}\n`;

/** The first fault of a search line for a candidate, or null when it is what the corpus writes. */
function lineFault(m: RegExpExecArray, c: Candidate, target: number): CritiqueError | null {
  const [, , work, total, against, said] = m;
  if (work !== c.work) return 'sum_wrong';
  if (Number(total) !== c.value) return 'total_miscopied';
  if (Number(against) !== target) return 'target_miscopied';
  if ((said === 'right') !== (c.value === target)) return c.value === target ? 'hit_judged_wrong' : 'miss_judged_right';
  return null;
}

/**
 * The sign patterns not in `tried`, in the corpus's order up to the hit, each judged; every step
 * after a miss opens with "wait, let me try another." and `<|explore|>`. `afterMiss` says whether
 * the text before already ended on an honest miss (then the first step needs the explore too).
 */
function finish(all: readonly Candidate[], tried: ReadonlySet<string>, target: number, afterMiss: boolean): string {
  let out = '';
  let missBefore = afterMiss;
  for (const c of all) {
    if (tried.has(c.text)) continue;
    if (missBefore) out += `${WAIT}\n${EXPLORE}`;
    out += checkLine(c, target);
    if (c.value === target) return out + answerTail(c.text);
    missBefore = true;
  }
  // Unreachable for a level-0 puzzle (one sign pattern always hits) unless `tried` held the hit.
  throw new Error(`coat critic: no untried sign pattern of the puzzle makes ${target}`);
}

/**
 * The critic's demonstration from one sample of the model for the puzzle (numbers in their listed
 * order, target), or null when the sample is not made of the corpus's lines.
 */
export function critiqueSample(sample: string, numbers: readonly number[], target: number): Critique | null {
  if (!sample.startsWith('<think>\n')) return null;
  const end = sample.indexOf('</think>');
  if (end < 0) return null;
  const thinking = sample.slice('<think>\n'.length, end);
  if (!thinking.endsWith('\n')) return null;
  const lines = thinking.slice(0, -1).split('\n');
  if (lines.length === 0 || lines[0] === '') return null;
  const all = candidates(numbers);
  const byText = new Map(all.map((c) => [c.text, c]));
  const head = '<think>\n';

  const guess = GUESS.exec(lines[0]);
  if (guess) {
    if (lines.length !== 1) return null;
    const kept = `${head}${lines[0]}\n`;
    const c = byText.get(guess[1]);
    if (!c) {
      // Not a sign pattern of the puzzle's numbers in their order: the puzzle was miscopied.
      return { style: 'guess', completion: `${kept}${REFLECT}${searchOpening(numbers, target)}${finish(all, new Set(), target, false)}`, error: 'candidate_miscopied', guessHit: null };
    }
    const worked = `${kept}${CONTINUE}${checkLine(c, target)}`;
    if (c.value === target) return { style: 'guess', completion: worked + answerTail(c.text), error: null, guessHit: true };
    return { style: 'guess', completion: worked + finish(all, new Set([c.text]), target, true), error: null, guessHit: false };
  }

  const open = OPENING.exec(lines[0]);
  if (!open) return null;
  // Every line must be one of the search's before anything is judged: an unparseable sample is dropped whole.
  const body = lines.slice(1);
  if (body.length === 0) return null;
  for (const [k, line] of body.entries()) {
    const isWait = line === WAIT;
    if (k % 2 === 1 ? !isWait : !CHECK.test(line)) return null;
  }
  if (Number(open[1]) !== target || open[2] !== numbers.join(', ')) {
    return { style: 'search', completion: `${head}${lines[0]}\n${REFLECT}${searchOpening(numbers, target)}${finish(all, new Set(), target, false)}`, error: 'puzzle_miscopied', guessHit: null };
  }
  let out = `${head}${lines[0]}\n`;
  const tried = new Set<string>();
  for (let k = 0; k < body.length; k += 2) {
    const line = body[k];
    const m = CHECK.exec(line)!;
    const meta = k > 0 ? EXPLORE : '';
    const c = byText.get(m[1]);
    if (!c) {
      // Not a sign pattern of the puzzle (its numbers miscopied): redone as the next untried one.
      return { style: 'search', completion: `${out}${meta}${line}\n${REFLECT}${finish(all, tried, target, false)}`, error: 'candidate_miscopied', guessHit: null };
    }
    const fault = lineFault(m, c, target);
    if (fault) {
      const redo = `${out}${meta}${line}\n${REFLECT}${checkLine(c, target)}`;
      tried.add(c.text);
      const rest = c.value === target ? answerTail(c.text) : finish(all, tried, target, true);
      return { style: 'search', completion: redo + rest, error: fault, guessHit: null };
    }
    out += `${meta}${line}\n`;
    tried.add(c.text);
    if (c.value === target) {
      // The hit, judged right: the answer (the model's lines after it, if any, are not needed).
      return { style: 'search', completion: out + answerTail(c.text), error: null, guessHit: null };
    }
    if (k + 1 < body.length) out += `${WAIT}\n`;
  }
  // The search stopped after an honest miss: the critic goes on from there.
  // (After its "wait" line the next step needs only the explore; after a bare miss, both.)
  const rest = body.length % 2 === 0 ? EXPLORE + finish(all, tried, target, false) : finish(all, tried, target, true);
  return { style: 'search', completion: out + rest, error: null, guessHit: null };
}

/** A confirming re-check after a demonstration's final right line: `<|reflect|>` and the hit's line again. */
export function withConfirmation(completion: string): string {
  const at = completion.lastIndexOf('</think>');
  const lineStart = completion.lastIndexOf('\n', at - 2) + 1;
  const line = completion.slice(lineStart, at).replace(/^<\|\w+\|>/, '');
  return `${completion.slice(0, at)}${REFLECT}${line}${completion.slice(at)}`;
}

export interface SelfDemoSample {
  prompt: string;
  numbers: number[];
  target: number;
  completion: string;
}

export interface SelfDemo {
  prompt: string;
  completion: string;
  numbers: number[];
  target: number;
  style: CritiqueStyle;
  error: CritiqueError | null;
  /** A confirming re-check was added. */
  confirmed: boolean;
}

export interface SelfDemoReport {
  samples: number;
  /** Samples the critic could not parse (dropped). */
  unparsed: number;
  /** Exact repeats of a demonstration already kept (dropped). */
  repeats: number;
  /** Guesses dropped to balance hits and misses after `<|continue|>`. */
  unbalanced: number;
  /** Samples cut at their first wrong line, by fault. */
  errors: Record<CritiqueError, number>;
  /** Demonstrations given a confirming re-check. */
  confirmed: number;
  demos: number;
}

/**
 * Demonstrations from the model's own samples: each critiqued, repeats and unparseable ones dropped,
 * then balanced (see the file header). Deterministic for the samples and seed.
 */
export function selfDemos(samples: readonly SelfDemoSample[], seed: number): { demos: SelfDemo[]; report: SelfDemoReport } {
  const rng = new Rng(seed);
  const errors = Object.fromEntries(CRITIQUE_ERRORS.map((e) => [e, 0])) as Record<CritiqueError, number>;
  const seen = new Set<string>();
  const kept: (SelfDemo & { guessHit: boolean | null })[] = [];
  let unparsed = 0;
  let repeats = 0;
  for (const s of samples) {
    const c = critiqueSample(s.completion, s.numbers, s.target);
    if (!c) {
      unparsed++;
      continue;
    }
    const key = `${s.prompt}\u0000${c.completion}`;
    if (seen.has(key)) {
      repeats++;
      continue;
    }
    seen.add(key);
    if (c.error) errors[c.error]++;
    kept.push({ prompt: s.prompt, completion: c.completion, numbers: s.numbers, target: s.target, style: c.style, error: c.error, confirmed: false, guessHit: c.guessHit });
  }
  // As many guesses that hit as that miss: the verdict after <|continue|> is then a coin toss.
  const hits = kept.filter((d) => d.guessHit === true);
  const misses = kept.filter((d) => d.guessHit === false);
  const [more, fewer] = hits.length > misses.length ? [hits, misses] : [misses, hits];
  const drop = new Set(rng.shuffle([...more]).slice(fewer.length));
  const demos = kept.filter((d) => !drop.has(d));
  // Reflections: the model's errors are mostly misses judged right (redone as "no"); confirm right
  // final lines until the redone verdicts are as often "right".
  const redone = demos.map((d) => REDONE_VERDICT.exec(d.completion)?.[1]);
  const reflectNo = redone.filter((v) => v === 'no').length;
  const reflectRight = redone.filter((v) => v === 'right').length;
  const canConfirm = rng.shuffle(demos.filter((d) => d.error === null));
  for (const d of canConfirm.slice(0, Math.max(0, reflectNo - reflectRight))) {
    d.completion = withConfirmation(d.completion);
    d.confirmed = true;
  }
  const out = demos.map(({ guessHit: _g, ...d }) => d);
  return { demos: out, report: { samples: samples.length, unparsed, repeats, unbalanced: drop.size, errors, confirmed: out.filter((d) => d.confirmed).length, demos: out.length } };
}
