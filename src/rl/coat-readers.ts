// How COAT reads intermediate answers (rl/coat.ts `CandidateReader`), by the name a run's
// `coat_reader` gives: `countdown` (the last candidate expression of Countdown working, judged by
// the Countdown verifier; tasks/coat-demos.ts) and `math` (the last final-answer-shaped statement
// of the working, judged by the math verifier against the example's gold answer).
//
// The math reader adds no extraction or comparison of its own: the candidate after a step is the
// last \boxed{} so far (several joined by "and" or commas, as the math reward reads them), else what
// the math reward's extractor takes from the working so far (an answer phrase, "#### n", a
// concluding sentence; never the last-number fallback, which is off in the accuracy reward too),
// and it is judged with the math verifier's own comparison against the gold's extracted answer.
import { extractAnswer, finalBoxed } from '../rewards/math/extract.js';
import { compareAnswers, extractGold } from '../rewards/math/verify.js';
import { goldOf } from '../rewards/builtin.js';
import type { RewardExample } from '../rewards/types.js';
import { COUNTDOWN_CANDIDATES } from '../tasks/coat-demos.js';
import type { CandidateReader } from './coat.js';

export const COAT_READER_NAMES = ['countdown', 'math'] as const;
export type CoatReaderName = (typeof COAT_READER_NAMES)[number];

/** The math checker's budget for judging one intermediate answer (it runs inline, per reflection turn). */
const CANDIDATE_TIMEOUT_MS = 500;

/** The last final-answer-shaped statement in a piece of working, or null. */
export function mathCandidate(text: string): string | null {
  return finalBoxed(text) ?? extractAnswer(text, { lastNumberFallback: false });
}

/**
 * Verdicts by (gold, candidate), oldest dropped past the bound: the reflection bonus and the step's
 * COAT metrics judge the same reflection turns, and one comparison may take up to its budget.
 */
const verdicts = new Map<string, boolean>();
const VERDICTS_KEPT = 4096;

/** A judge of intermediate answers against the example's gold answer; null without one. */
export function mathJudge(example: RewardExample): ((candidate: string) => boolean) | null {
  const raw = goldOf(example);
  const gold = raw === null ? null : extractGold(raw);
  if (gold === null) return null;
  return (candidate) => {
    const key = `${raw}\u0000${candidate}`;
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    const equal = compareAnswers(candidate, gold, CANDIDATE_TIMEOUT_MS).equal;
    if (verdicts.size >= VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(key, equal);
    return equal;
  };
}

export const MATH_CANDIDATES: CandidateReader = { candidate: mathCandidate, judge: mathJudge };

export const COAT_READERS: Readonly<Record<CoatReaderName, CandidateReader>> = { countdown: COUNTDOWN_CANDIDATES, math: MATH_CANDIDATES };

/** The reader a run uses when `coat_reader` is not given: Countdown's for the countdown task, the math one otherwise. */
export function defaultCoatReader(task: string | null): CoatReaderName {
  return task === 'countdown' ? 'countdown' : 'math';
}

/**
 * Why `reader` cannot read this run's answers, or null: Countdown's reader needs Countdown
 * puzzles; a Countdown answer is any expression that reaches the target, not one gold answer, so
 * the math verifier cannot judge it.
 */
export function coatReaderProblem(reader: CoatReaderName, task: string | null): string | null {
  if (reader === 'countdown' && task !== 'countdown') {
    return `countdown reads Countdown candidate expressions and judges them against each example's numbers and target; the run's prompts are ${task === null ? 'a data file' : `task ${task}`}: use coat_reader: math`;
  }
  if (reader === 'math' && task === 'countdown') {
    return 'math judges an answer against one gold answer, but a Countdown answer is any expression that reaches the target: use coat_reader: countdown';
  }
  return null;
}
