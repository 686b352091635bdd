// Rewards to advantages: the weighted sum of reward functions per completion, and the
// group-relative advantage (R − μ_group) / (σ + eps) with the scale options group, batch and none
// (docs/grpo.md). Pure functions over plain arrays; the trainer feeds them its scores.

export type ScaleRewards = 'group' | 'batch' | 'none';

/** One reward function's score per completion; null where the function declined to score. */
export type ScoreColumn = readonly (number | null)[];

export interface CombinedRewards {
  /** Σ_k w_k · r_k over the functions that scored the row (0 when every function declined). */
  total: Float64Array;
  /** 1 where at least one function scored the row, 0 where every function declined. */
  scored: Uint8Array;
}

/** Weighted sum of reward columns (one column per function, every column `rows` long). */
export function combineRewards(columns: readonly ScoreColumn[], weights: readonly number[], rows: number): CombinedRewards {
  if (columns.length !== weights.length) throw new RangeError(`combineRewards: ${columns.length} columns but ${weights.length} weights`);
  const total = new Float64Array(rows);
  const scored = new Uint8Array(rows);
  columns.forEach((col, k) => {
    if (col.length !== rows) throw new RangeError(`combineRewards: column ${k} has ${col.length} rows, expected ${rows}`);
    for (let i = 0; i < rows; i++) {
      const v = col[i];
      if (v === null) continue;
      total[i] += weights[k] * v;
      scored[i] = 1;
    }
  });
  return { total, scored };
}

export interface AdvantageOptions {
  /** Completions per prompt; rows i·G … i·G+G−1 form group i. */
  groupSize: number;
  scale: ScaleRewards;
  /** Added to σ before dividing (TRL 1e-4). */
  eps: number;
}

export interface Advantages {
  /** One advantage per completion (0 for rows every reward function declined). */
  advantages: Float64Array;
  /** Per-group mean and sample standard deviation (n−1) over the group's scored rows. */
  groupMean: Float64Array;
  groupStd: Float64Array;
  /** 1 for groups whose scored rewards are all equal (no learning signal). */
  zeroStd: Uint8Array;
}

/** Mean and sample standard deviation (n−1 denominator, as torch.std and TRL); σ = 0 when n < 2. */
export function meanStd(values: ArrayLike<number>, include?: ArrayLike<number>): { mean: number; std: number; n: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (include && !include[i]) continue;
    sum += values[i];
    n++;
  }
  if (n === 0) return { mean: 0, std: 0, n };
  const mean = sum / n;
  if (n < 2) return { mean, std: 0, n };
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    if (include && !include[i]) continue;
    ss += (values[i] - mean) ** 2;
  }
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** True when every included value equals the first (within float noise). */
function allEqual(values: ArrayLike<number>, include: ArrayLike<number>): boolean {
  let first: number | null = null;
  for (let i = 0; i < values.length; i++) {
    if (!include[i]) continue;
    if (first === null) first = values[i];
    else if (Math.abs(values[i] - first) > 1e-9 * Math.max(1, Math.abs(first))) return false;
  }
  return true;
}

/**
 * Group-relative advantages. Rows that no function scored are left out of every statistic and get
 * advantage 0 (they carry no reward, not a reward of 0).
 * - group: A = (R − μ_g) / (σ_g + eps)
 * - batch: A = (R − μ_g) / (σ_batch + eps)   (σ over every scored row of the batch, as TRL)
 * - none:  A = R − μ_g                        (Dr. GRPO)
 */
export function computeAdvantages(rewards: CombinedRewards, opts: AdvantageOptions): Advantages {
  const { total, scored } = rewards;
  const G = opts.groupSize;
  if (!(G >= 1) || total.length % G !== 0) throw new RangeError(`computeAdvantages: ${total.length} rows is not a multiple of the group size ${G}`);
  const groups = total.length / G;
  const groupMean = new Float64Array(groups);
  const groupStd = new Float64Array(groups);
  const zeroStd = new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    const vals = total.subarray(g * G, g * G + G);
    const inc = scored.subarray(g * G, g * G + G);
    const s = meanStd(vals, inc);
    groupMean[g] = s.mean;
    groupStd[g] = s.std;
    zeroStd[g] = allEqual(vals, inc) ? 1 : 0;
  }
  const batchStd = opts.scale === 'batch' ? meanStd(total, scored).std : 0;
  const advantages = new Float64Array(total.length);
  for (let i = 0; i < total.length; i++) {
    if (!scored[i]) continue;
    const g = Math.floor(i / G);
    const centred = total[i] - groupMean[g];
    if (opts.scale === 'none') advantages[i] = centred;
    else advantages[i] = centred / ((opts.scale === 'group' ? groupStd[g] : batchStd) + opts.eps);
  }
  return { advantages, groupMean, groupStd, zeroStd };
}
