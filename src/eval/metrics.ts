// The evaluation metrics: pass@1 averaged over K samples, the unbiased pass@k estimator, and
// maj@K (cons@K), the majority vote over extracted answers. Pure functions; answer equivalence
// and correctness come from the caller so the metrics do not depend on a particular verifier.

/**
 * Unbiased pass@k from n samples of which c are correct: 1 - C(n-c, k) / C(n, k) (Chen et al.,
 * 2021), computed in the numerically stable product form 1 - prod_{i=n-c+1}^{n} (1 - k/i),
 * which never forms the huge binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) throw new RangeError(`passAtK needs integers, got n=${n} c=${c} k=${k}`);
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) throw new RangeError(`passAtK needs 1 <= k <= n and 0 <= c <= n, got n=${n} c=${c} k=${k}`);
  // Fewer than k wrong samples: every k-subset contains a correct one.
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** The k reported for K samples: every power of two up to K, and K itself. */
export function reportedKs(samples: number): number[] {
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  const ks: number[] = [];
  for (let k = 1; k <= samples; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== samples) ks.push(samples);
  return ks;
}

/** One sample as the vote sees it: its extracted answer (null when none) and its grade. */
export interface Ballot {
  answer: string | null;
  correct: boolean;
}

export interface VoteResult {
  /** The winning answer, or null when no sample had an extractable answer. */
  answer: string | null;
  /** Whether the winning group is correct (false when there is no winner). */
  correct: boolean;
  /** Samples in the winning group. */
  votes: number;
  /** Index of the first sample of the winning group (-1 when none). */
  index: number;
  /** Distinct answer groups among the extracted answers. */
  groups: number;
}

/**
 * Majority vote over extracted answers. Answers are grouped by `equivalent` (e.g. "0.5" and
 * "\frac{1}{2}"): a sample joins the first existing group whose representative (the group's
 * earliest answer) is equivalent to it. The largest group wins; among groups of equal size the
 * one whose first sample comes earliest wins, so the result is deterministic and independent of
 * the verifier's speed. Samples without an extractable answer never vote, so they can never
 * beat an extracted answer. The group is graded by its earliest sample.
 */
export function majorityVote(ballots: readonly Ballot[], equivalent: (a: string, b: string) => boolean): VoteResult {
  const groups: { answer: string; first: number; votes: number; correct: boolean }[] = [];
  ballots.forEach((b, i) => {
    if (b.answer === null) return;
    const answer = b.answer;
    const g = groups.find((grp) => grp.answer === answer || equivalent(grp.answer, answer));
    if (g) g.votes += 1;
    else groups.push({ answer, first: i, votes: 1, correct: b.correct });
  });
  // Groups are in order of first occurrence, so a strict ">" keeps the earliest among ties.
  let best: (typeof groups)[number] | null = null;
  for (const g of groups) if (best === null || g.votes > best.votes) best = g;
  if (best === null) return { answer: null, correct: false, votes: 0, index: -1, groups: 0 };
  return { answer: best.answer, correct: best.correct, votes: best.votes, index: best.first, groups: groups.length };
}

/** Per-problem metrics over its first K graded samples. */
export interface ProblemMetrics {
  n: number;
  correct: number;
  /** pass@k for each reported k, keyed "pass@k". */
  pass: Record<string, number>;
  /** The majority vote, absent for benchmarks without answers to vote on (code). */
  vote?: VoteResult;
}

export function problemMetrics(ballots: readonly Ballot[], ks: readonly number[], equivalent?: (a: string, b: string) => boolean): ProblemMetrics {
  const n = ballots.length;
  const c = ballots.filter((b) => b.correct).length;
  const pass: Record<string, number> = {};
  for (const k of ks) pass[`pass@${k}`] = passAtK(n, c, k);
  const out: ProblemMetrics = { n, correct: c, pass };
  if (equivalent) out.vote = majorityVote(ballots, equivalent);
  return out;
}

/** Benchmark-level metrics: means over problems (every problem weighs the same). */
export function aggregate(perProblem: readonly ProblemMetrics[], samples: number): Record<string, number> {
  const out: Record<string, number> = {};
  const m = perProblem.length;
  if (m === 0) return out;
  for (const key of Object.keys(perProblem[0].pass)) out[key] = perProblem.reduce((s, p) => s + p.pass[key], 0) / m;
  if (perProblem.every((p) => p.vote !== undefined)) out[`maj@${samples}`] = perProblem.filter((p) => p.vote?.correct).length / m;
  return out;
}

/**
 * The standard error of each benchmark metric: the sample standard deviation of its per-problem
 * values over the square root of the number of problems m, sqrt(sum (x_i - mean)^2 / (m (m - 1))).
 * Problems are what is sampled from the benchmark; a problem's pass@1 over K samples already
 * averages its samples, so the spread over problems carries both the problem-to-problem and the
 * sample-to-sample variation. Empty with fewer than two problems (no spread to measure).
 */
export function standardErrors(perProblem: readonly ProblemMetrics[], samples: number): Record<string, number> {
  const out: Record<string, number> = {};
  const m = perProblem.length;
  if (m < 2) return out;
  const se = (xs: number[]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / m;
    return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (m * (m - 1)));
  };
  for (const key of Object.keys(perProblem[0].pass)) out[key] = se(perProblem.map((p) => p.pass[key]));
  if (perProblem.every((p) => p.vote !== undefined)) out[`maj@${samples}`] = se(perProblem.map((p) => (p.vote?.correct ? 1 : 0)));
  return out;
}
