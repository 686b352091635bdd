// How a strategy picks one answer from its candidates: the majority vote (maj@k's), the single
// best score (best-of-N), or the verifier-weighted vote (Snell et al.'s best-of-N weighted: the
// scores of the candidates stating an answer are summed, the largest sum wins). Pure functions;
// ties go to the answer seen first, so picks are deterministic.
import { AhaError } from '../../util/errors.js';
import { majorityVote } from '../metrics.js';
import type { Judgement } from './problem.js';

export interface Pick {
  /** Index of the chosen candidate (-1 when there is none). */
  index: number;
  answer: string | null;
  correct: boolean;
}

const NONE: Pick = { index: -1, answer: null, correct: false };

/** What a candidate votes for: its answer's key (answers the verifier treats as one share it). */
const keyOf = (j: Judgement): string | null => (j.answer === null ? null : (j.key ?? j.answer));

export function pickMajority(judged: readonly Judgement[]): Pick {
  const v = majorityVote(judged.map((j) => ({ answer: keyOf(j), correct: j.correct })), (a, b) => a === b);
  return v.index < 0 ? NONE : { index: v.index, answer: judged[v.index].answer, correct: judged[v.index].correct };
}

/** The candidate with the highest score (the first of equals); candidates without an answer still count. */
export function pickBest(judged: readonly Judgement[], scores: readonly number[]): Pick {
  let best = -1;
  for (let i = 0; i < judged.length; i++) if (best < 0 || scores[i] > scores[best]) best = i;
  return best < 0 ? NONE : { index: best, answer: judged[best].answer, correct: judged[best].correct };
}

/**
 * The answer whose candidates' scores sum highest; candidates without an answer never vote. The
 * scores are weights: a negative one (a raw logit) would count a vote against its answer, so it is
 * an error, not a silently inverted vote.
 */
export function pickWeighted(judged: readonly Judgement[], scores: readonly number[]): Pick {
  scores.forEach((s, i) => {
    if (i < judged.length && !(s >= 0 && Number.isFinite(s))) throw new AhaError(`weighted vote: candidate ${i} has score ${s}; weights must be finite and non-negative (probabilities)`);
  });
  const sums = new Map<string, { total: number; first: number }>();
  judged.forEach((j, i) => {
    const key = keyOf(j);
    if (key === null) return;
    const g = sums.get(key);
    if (g) g.total += scores[i];
    else sums.set(key, { total: scores[i], first: i });
  });
  let best: { total: number; first: number } | null = null;
  // Map iteration is in first-seen order, so a strict ">" keeps the earliest among ties.
  for (const g of sums.values()) if (best === null || g.total > best.total) best = g;
  if (best === null) return NONE;
  return { index: best.first, answer: judged[best.first].answer, correct: judged[best.first].correct };
}
