// How a strategy picks one answer from its candidates: the majority vote (maj@k's), the single
// best score (best-of-N), or the verifier-weighted vote (Snell et al.'s best-of-N weighted: the
// scores of the candidates stating an answer are summed, the largest sum wins). Pure functions;
// ties go to the answer seen first, so picks are deterministic.
import { majorityVote } from '../metrics.js';
import type { Judgement } from './problem.js';

export interface Pick {
  /** Index of the chosen candidate (-1 when there is none). */
  index: number;
  answer: string | null;
  correct: boolean;
}

const NONE: Pick = { index: -1, answer: null, correct: false };

export function pickMajority(judged: readonly Judgement[]): Pick {
  const v = majorityVote(judged, (a, b) => a === b);
  return v.index < 0 ? NONE : { index: v.index, answer: v.answer, correct: v.correct };
}

/** The candidate with the highest score (the first of equals); candidates without an answer still count. */
export function pickBest(judged: readonly Judgement[], scores: readonly number[]): Pick {
  let best = -1;
  for (let i = 0; i < judged.length; i++) if (best < 0 || scores[i] > scores[best]) best = i;
  return best < 0 ? NONE : { index: best, answer: judged[best].answer, correct: judged[best].correct };
}

/** The answer whose candidates' scores sum highest; candidates without an answer never vote. */
export function pickWeighted(judged: readonly Judgement[], scores: readonly number[]): Pick {
  const sums = new Map<string, { total: number; first: number }>();
  judged.forEach((j, i) => {
    if (j.answer === null) return;
    const g = sums.get(j.answer);
    if (g) g.total += scores[i];
    else sums.set(j.answer, { total: scores[i], first: i });
  });
  let best: { total: number; first: number } | null = null;
  // Map iteration is in first-seen order, so a strict ">" keeps the earliest among ties.
  for (const g of sums.values()) if (best === null || g.total > best.total) best = g;
  if (best === null) return NONE;
  return { index: best.first, answer: judged[best.first].answer, correct: judged[best.first].correct };
}
