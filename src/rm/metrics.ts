// Held-out quality of a reward model: pairwise accuracy (share of pairs scored chosen > rejected,
// ties count half) and ROC AUC (the chance a random positive outscores a random negative, ties
// half), both computed exactly.

export function pairwiseAccuracy(chosen: ArrayLike<number>, rejected: ArrayLike<number>): number {
  if (chosen.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < chosen.length; i++) s += chosen[i] > rejected[i] ? 1 : chosen[i] === rejected[i] ? 0.5 : 0;
  return s / chosen.length;
}

/** ROC AUC of `scores` against 0/1 `labels` (NaN without both classes), by ranks with ties averaged. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const rank = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) rank[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0, rankSum = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) { pos++; rankSum += rank[i]; }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
