// Difficulty bins and the compute-optimal selector of Snell et al. (2024). A problem's difficulty
// is the model's own pass rate over its samples (the oracle bins: they use the labels) or the mean
// verifier score over the same samples (the predicted bins); problems are cut into quantile bins,
// bin 1 the easiest. For each budget, the selector picks per bin the strategy with the best
// accuracy on a training split and is scored on held-out problems, by 2-fold cross-validation:
// every problem is scored by the rule learnt on the other fold.
import { seedOf } from './policy.js';

/** Bin 1..bins per problem from a difficulty value (higher = easier), quantiles of the given values. */
export function quantileBins(values: readonly number[], bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const n = values.length;
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const out = new Array<number>(n).fill(0);
  // Equal values share one bin (a boundary never splits a tie): the bin of the group's middle rank,
  // so that with coarse pass rates (few samples) the bins stay as even as the ties allow.
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && values[order[end + 1]] === values[order[start]]) end++;
    const bin = Math.floor((((start + end) / 2) * bins) / n) + 1;
    for (let r = start; r <= end; r++) out[order[r]] = bin;
    start = end + 1;
  }
  return out;
}

/** Which of the two folds a problem is in (stable: a hash of its id). */
export function foldOf(id: string): 0 | 1 {
  return (seedOf(id, 'fold') & 1) as 0 | 1;
}

/** correct[strategy][budgetIndex][problem]: 1 or 0. */
export type CorrectTable = readonly (readonly (readonly number[])[])[];

export interface OptimalPoint {
  budget: number;
  /** Held-out accuracy of the compute-optimal rule (each problem scored by the other fold's rule). */
  accuracy: number;
  /** Per fold (the fold it was learnt on), per bin: the strategy picked (index into the strategies). */
  picks: [number[], number[]];
  /** Per problem: 1 when the rule learnt on the other fold got it right. */
  correct: number[];
}

function bestOn(correct: CorrectTable, b: number, members: readonly number[], candidates: readonly number[]): number {
  let best = candidates[0];
  let bestAcc = -1;
  for (const s of candidates) {
    let acc = 0;
    for (const p of members) acc += correct[s][b][p];
    if (acc > bestAcc) {
      bestAcc = acc;
      best = s;
    }
  }
  return best;
}

/**
 * The compute-optimal accuracy per budget. `candidates` are the strategies the rule may choose
 * (indices; oracle-verifier strategies are normally left out); a bin with no training problem
 * falls back to the training fold's best strategy overall.
 */
export function computeOptimal(correct: CorrectTable, budgets: readonly number[], bins: readonly number[], folds: readonly (0 | 1)[], candidates: readonly number[]): OptimalPoint[] {
  if (candidates.length === 0) throw new Error('the compute-optimal selector needs at least one candidate strategy');
  const n = bins.length;
  const binCount = Math.max(0, ...bins);
  return budgets.map((budget, b) => {
    const picks: [number[], number[]] = [[], []];
    const got = new Array<number>(n).fill(0);
    for (const train of [0, 1] as const) {
      const trainSet = [...Array(n).keys()].filter((p) => folds[p] === train);
      const overall = bestOn(correct, b, trainSet, candidates);
      for (let bin = 1; bin <= binCount; bin++) {
        const members = trainSet.filter((p) => bins[p] === bin);
        picks[train].push(members.length ? bestOn(correct, b, members, candidates) : overall);
      }
      for (let p = 0; p < n; p++) if (folds[p] !== train) got[p] = correct[picks[train][bins[p] - 1]][b][p];
    }
    return { budget, accuracy: n ? got.reduce((s, x) => s + x, 0) / n : 0, picks, correct: got };
  });
}

/** The smallest budget at which some accuracy series reaches `target`; null when none does. */
export function budgetToMatch(series: readonly { budget: number; accuracy: number }[][], target: number): number | null {
  let best: number | null = null;
  for (const s of series) for (const pt of s) if (pt.accuracy >= target - 1e-12 && (best === null || pt.budget < best)) best = pt.budget;
  return best;
}
