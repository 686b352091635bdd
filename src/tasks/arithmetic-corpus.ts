// The synthetic pretraining corpus: a deterministic generator of plain-text documents in the same
// User/Assistant frame as the task prompts, mixing three ways of answering an arithmetic problem
// (a bare guess, careful column-by-column working, a guess followed by "wait, let me check" and
// careful working), plus pages of worked examples outside the frame. Trained on it, a tiny model
// can carry out the careful procedure but answers in the frame with it only at a low prior; GRPO
// with accuracy and format rewards only re-weights the styles.
// docs/corpus.md explains the design and the figures.
import { countReflections } from '../rewards/reflection.js';
import { AhaError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { arithmeticSteps, drawArithmetic, expressionText, stepsAvoidHeldout, ARITHMETIC_LEVELS, type ArithmeticProblemSpec, type ArithmeticStep } from './arithmetic.js';
import { columnWork } from './columns.js';
import { checkCorpusOptions, normaliseMix, pickWeighted } from './mix.js';
import { splitOf, problemId } from './split.js';
import { answerTail, frame } from './task.js';

export type CorpusStyle = 'direct' | 'careful' | 'check' | 'notes';
export const CORPUS_STYLES: readonly CorpusStyle[] = ['direct', 'careful', 'check', 'notes'];

/** Default share of each style among documents (see docs/corpus.md for why). */
export const DEFAULT_STYLE_MIX: Readonly<Record<CorpusStyle, number>> = { direct: 0.4, careful: 0.1, check: 0.06, notes: 0.44 };

/** Default share of each arithmetic level among problem documents. */
export const DEFAULT_DIFFICULTY_MIX: Readonly<Record<number, number>> = { 1: 0.3, 2: 0.35, 3: 0.25, 4: 0.1 };

/**
 * How often a bare guess is right, by level: a base model "knows" easy sums by heart and guesses
 * plausibly but wrongly on long chains.
 */
export const DIRECT_ACCURACY: Readonly<Record<number, number>> = { 1: 0.6, 2: 0.3, 3: 0.15, 4: 0.1 };

export interface CorpusOptions {
  seed: number;
  documents: number;
  difficultyMix?: Readonly<Record<number, number>>;
  styleMix?: Readonly<Partial<Record<CorpusStyle, number>>>;
}

export interface CorpusDocument {
  text: string;
  style: CorpusStyle;
  /** Index in `text` where the assistant's completion starts (0 for notes, which have no frame). */
  completionStart: number;
  /** Problem documents only. */
  difficulty?: number;
  problemId?: string;
  /** Problem documents only: whether the final <answer> is right. */
  correct?: boolean;
  /** Direct and check documents: whether the initial guess was right. */
  guessCorrect?: boolean;
}

/** A plausible wrong value for a chain: a dropped carry or borrow, a slipped units digit, swapped digits, or a forgotten last step. */
export function wrongGuess(rng: Rng, steps: readonly ArithmeticStep[]): number {
  const right = steps[steps.length - 1].result;
  for (;;) {
    const kind = rng.int(4);
    let g: number;
    if (kind === 0) g = right + rng.pick([-100, -10, 10, 100]);
    else if (kind === 1) g = right + rng.pick([-3, -2, -1, 1, 2, 3]);
    else if (kind === 2) {
      const s = String(right);
      if (s.length < 2) continue;
      const i = rng.int(s.length - 1);
      g = Number(s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2));
    } else {
      if (steps.length < 2) continue;
      g = steps[steps.length - 2].result;
    }
    if (g !== right && g >= 0 && g <= 1099) return g;
  }
}

/** The expression the steps evaluate, e.g. "87-55+64". */
function chainText(steps: readonly ArithmeticStep[]): string {
  return expressionText([steps[0].a, ...steps.map((s) => s.b)], steps.map((s) => s.op));
}

/**
 * The expression restated, then one line per operation. Every answer starts by restating the
 * expression, so the model learns one contiguous copy from the prompt, and every later number it
 * needs is on a line just above: the long-range copies a tiny model cannot make are not needed.
 */
function workedChain(steps: readonly ArithmeticStep[]): string {
  return `${chainText(steps)}\n${steps.map((s) => `${s.a}${s.op}${s.b}: ${columnWork(s.a, s.op, s.b)}, so ${s.result}.\n`).join('')}`;
}

/** The completion text of one problem document in a given style (exported for tests and docs). */
export function renderCompletion(style: 'direct' | 'careful' | 'check', steps: readonly ArithmeticStep[], guess: number): string {
  const right = steps[steps.length - 1].result;
  const expression = chainText(steps);
  if (style === 'direct') return `<think>\n${expression} is ${guess}.\n${answerTail(String(guess))}`;
  if (style === 'careful') return `<think>\n${workedChain(steps)}${answerTail(String(right))}`;
  const verdict = guess === right ? `${right} is right.\n` : `${right}, not ${guess}. mistake.\n`;
  return `<think>\n${expression} is ${guess}.\nwait, let me check.\n${workedChain(steps)}${verdict}${answerTail(String(right))}`;
}

/** How many worked examples one notes page holds (two keep a page inside the 384-character context). */
export const NOTES_EXAMPLES = 2;

/**
 * A page of worked examples outside the User/Assistant frame, the kind of text a web-scale corpus
 * has in textbooks and tutorials: each training chain restated, then worked out line by line.
 * This is where the model learns the column procedure; inside the frame it stays a minority style.
 */
function notesDocument(rng: Rng, levels: readonly [number, number][]): string {
  let page = 'column by column, from the units up:\n';
  for (let i = 0; i < NOTES_EXAMPLES; i++) {
    const spec = drawTrainProblem(rng, pickWeighted(rng, levels));
    page += `${i ? '\n' : ''}${workedChain(arithmeticSteps(spec.operands, spec.ops))}`;
  }
  return page.trimEnd();
}

/** Draws a training problem (never held out, and none of whose steps is a held-out problem). */
function drawTrainProblem(rng: Rng, difficulty: number): ArithmeticProblemSpec {
  for (;;) {
    const spec = drawArithmetic(rng, difficulty);
    if (splitOf('arithmetic', expressionText(spec.operands, spec.ops)) === 'train' && stepsAvoidHeldout(spec)) return spec;
  }
}

/** The documents with their labels; bit-for-bit the same for the same options. */
export function generateCorpusDocuments(options: CorpusOptions): CorpusDocument[] {
  checkCorpusOptions(options);
  const styles = normaliseMix<CorpusStyle>({ ...DEFAULT_STYLE_MIX, ...(options.styleMix ?? {}) }, 'style');
  for (const [s] of styles) if (!CORPUS_STYLES.includes(s)) throw new AhaError(`corpus: unknown style "${s}" (styles: ${CORPUS_STYLES.join(', ')})`);
  const levels = normaliseMix<string>(options.difficultyMix ?? DEFAULT_DIFFICULTY_MIX, 'difficulty').map(([k, w]) => [Number(k), w] as [number, number]);
  for (const [d] of levels) if (!ARITHMETIC_LEVELS[d]) throw new AhaError(`corpus: unknown arithmetic difficulty ${d} (levels: ${Object.keys(ARITHMETIC_LEVELS).join(', ')})`);

  const rng = new Rng(options.seed);
  const docs: CorpusDocument[] = [];
  for (let i = 0; i < options.documents; i++) {
    const style = pickWeighted(rng, styles);
    if (style === 'notes') {
      docs.push({ text: notesDocument(rng, levels), style, completionStart: 0 });
      continue;
    }
    const difficulty = pickWeighted(rng, levels);
    const spec = drawTrainProblem(rng, difficulty);
    const steps = arithmeticSteps(spec.operands, spec.ops);
    const right = steps[steps.length - 1].result;
    const guessCorrect = rng.next() < DIRECT_ACCURACY[difficulty];
    const guess = guessCorrect ? right : wrongGuess(rng, steps);
    const expression = expressionText(spec.operands, spec.ops);
    const prompt = frame(`Compute ${expression}.`);
    const completion = renderCompletion(style, steps, guess);
    docs.push({
      text: prompt + completion,
      style,
      completionStart: prompt.length,
      difficulty,
      problemId: problemId('arithmetic', difficulty, expression),
      correct: style === 'direct' ? guessCorrect : true,
      ...(style === 'careful' ? {} : { guessCorrect }),
    });
  }
  return docs;
}

/** The corpus as plain text documents (one example each; the trainer separates them with EOS). */
export function generateCorpus(options: CorpusOptions): string[] {
  return generateCorpusDocuments(options).map((d) => d.text);
}

export interface StyleStats {
  share: number;
  count: number;
  /** Mean completion length in characters (whole document for notes). */
  meanLength: number;
  /** Reflection words per document (the rewards part's counter). */
  reflectionRate: number;
}

export interface CorpusStats {
  documents: number;
  styles: Record<CorpusStyle, StyleStats>;
  /** Mean completion length over problem documents. */
  meanCompletionLength: number;
  /** Share of direct documents whose answer is right, by level. */
  directAccuracy: Record<number, number>;
  /** Share of problem documents whose answer is right, by level (what perfect imitation of the corpus would score). */
  imitationAccuracy: Record<number, number>;
  /** Share of check documents whose check found a wrong guess. */
  checkFoundMistake: number;
  /** Longest document, in characters. */
  maxLength: number;
}

export function corpusStats(docs: readonly CorpusDocument[]): CorpusStats {
  const styles = {} as Record<CorpusStyle, StyleStats>;
  for (const s of CORPUS_STYLES) {
    const mine = docs.filter((d) => d.style === s);
    const lengths = mine.map((d) => d.text.length - d.completionStart);
    styles[s] = {
      count: mine.length,
      share: docs.length ? mine.length / docs.length : 0,
      meanLength: mean(lengths),
      reflectionRate: mean(mine.map((d) => countReflections(d.text.slice(d.completionStart)))),
    };
  }
  const problems = docs.filter((d) => d.difficulty !== undefined);
  const byLevel = (filter: (d: CorpusDocument) => boolean) => {
    const out: Record<number, number> = {};
    for (const d of Object.keys(ARITHMETIC_LEVELS).map(Number)) {
      const mine = problems.filter((p) => p.difficulty === d && filter(p));
      if (mine.length) out[d] = mine.filter((p) => p.correct).length / mine.length;
    }
    return out;
  };
  const checks = docs.filter((d) => d.style === 'check');
  return {
    documents: docs.length,
    styles,
    meanCompletionLength: mean(problems.map((d) => d.text.length - d.completionStart)),
    directAccuracy: byLevel((d) => d.style === 'direct'),
    imitationAccuracy: byLevel(() => true),
    checkFoundMistake: checks.length ? checks.filter((d) => !d.guessCorrect).length / checks.length : 0,
    maxLength: docs.reduce((m, d) => Math.max(m, d.text.length), 0),
  };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}
