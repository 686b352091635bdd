// verifyMath: extract the final answers of a prediction and a gold reference, and decide whether
// they are the same answer. Never throws and never runs unbounded: oversize inputs are refused
// up front, and every step checks a time budget (see docs/rewards.md for the hard bound).
import { extractAnswer, type ExtractOptions } from './extract.js';
import { normalizeAnswer, type NormalizedAnswer } from './normalize.js';
import { parseAnswer, choiceLetter } from './answer.js';
import { answersMatch, ComparisonTimeout, type CompareContext } from './compare.js';
import { renewEngineIfDue } from './symbolic.js';

export interface VerifyMathOptions extends ExtractOptions {
  /** Time budget for one comparison in ms (default 2000). */
  timeoutMs?: number;
}

export interface MathVerdict {
  equal: boolean;
  pred_extracted: string | null;
  gold_extracted: string | null;
  /** Why the verdict is "not equal" when that is not simply a different answer. */
  reason?: string;
}

/** Longest extracted answer we compare at all; longer ones are almost surely not answers. */
export const MAX_ANSWER_CHARS = 1000;

/** The gold answer: the last \boxed{} of a solution, a GSM8K "#### n", or the bare string. */
export function extractGold(gold: string): string | null {
  const g = extractAnswer(gold, { lastNumberFallback: false }) ?? gold.trim();
  return g === '' ? null : g;
}

/** A bare option letter, "C" or "(C)"; lowercase a-d too, either side (so "c" and "C" group together in a vote). */
const BARE_LETTER = /^\(?[A-Ea-d]\)?$/;

/** Decides equivalence of two extracted answers, with a reason when the check was cut short. */
export function compareAnswers(a: string, b: string, timeoutMs = 2000): { equal: boolean; reason?: string } {
  if (a.length > MAX_ANSWER_CHARS || b.length > MAX_ANSWER_CHARS) {
    return { equal: false, reason: `answer longer than ${MAX_ANSWER_CHARS} characters` };
  }
  renewEngineIfDue();
  const ctx: CompareContext = { deadline: performance.now() + timeoutMs };
  try {
    const na = normalizeAnswer(a);
    const nb = normalizeAnswer(b);
    // Multiple choice: a gold that is a bare letter is matched by letter only; so is a gold
    // with its option text ("(C) 12") against a bare letter.
    const goldLetter = choiceLetter(nb.text, true);
    if (goldLetter !== null && BARE_LETTER.test(nb.text)) {
      const predLetter = choiceLetter(na.text, false);
      if (predLetter !== null) return { equal: predLetter === goldLetter };
    }
    const predLetter = choiceLetter(na.text, true);
    if (predLetter !== null && BARE_LETTER.test(na.text)) {
      const goldOption = choiceLetter(nb.text, false);
      if (goldOption !== null && goldOption !== goldLetter) return { equal: predLetter === goldOption };
    }
    // An answer that names its option and value ("(C) 12") is compared by the value (either side,
    // so majority voting stays symmetric); two labelled answers must name the same option.
    const la = optionLabel(na);
    const lb = optionLabel(nb);
    if (la && lb && la.letter !== lb.letter) return { equal: false };
    const equal = answersMatch(parseAnswer(la?.value ?? na), parseAnswer(lb?.value ?? nb), ctx);
    return equal ? { equal } : ctx.reason ? { equal, reason: ctx.reason } : { equal };
  } catch (err) {
    if (err instanceof ComparisonTimeout) return { equal: false, reason: `timeout after ${timeoutMs} ms` };
    return { equal: false, reason: `verifier error: ${(err as Error).message}` };
  }
}

/** The option letter and the value of "(C) 12", "C. 12", "\\textbf{(C)} 12"; null for other answers. */
function optionLabel(n: NormalizedAnswer): { letter: string; value: NormalizedAnswer } | null {
  const m = /^(?:\(([A-E])\)|([A-E])[.:])\s+(\S[\s\S]*)$/.exec(n.text);
  return m ? { letter: m[1] ?? m[2], value: { ...n, text: m[3] } } : null;
}

/** True if two extracted answers are the same answer (for grouping, e.g. majority vote). */
export function answersEquivalent(a: string, b: string): boolean {
  return compareAnswers(a, b).equal;
}

/**
 * Checks a prediction (a full model output or a bare answer) against a gold answer (bare,
 * GSM8K "#### n", or a solution with \boxed{}).
 */
export function verifyMath(pred: string, gold: string, opts: VerifyMathOptions = {}): MathVerdict {
  return verdictOf(extractAnswer(pred, opts), extractGold(gold), opts.timeoutMs);
}

/** The verdict on answers already extracted (`verifyMath` after its two extractions). */
export function verdictOf(pred_extracted: string | null, gold_extracted: string | null, timeoutMs?: number): MathVerdict {
  if (gold_extracted === null) return { equal: false, pred_extracted, gold_extracted, reason: 'no gold answer' };
  if (pred_extracted === null) return { equal: false, pred_extracted, gold_extracted, reason: 'no answer found in prediction' };
  const r = compareAnswers(pred_extracted, gold_extracted, timeoutMs);
  return { equal: r.equal, pred_extracted, gold_extracted, ...(r.reason ? { reason: r.reason } : {}) };
}
