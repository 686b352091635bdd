// Rewards to advantages: the weighted sum of reward functions per completion, which groups carry
// no signal, and the group-relative advantage (R − μ_group) / (σ + eps) with the scale options group, batch and none
// (docs/grpo.md). Pure functions over plain arrays; the trainer feeds them its scores.

export type ScaleRewards = 'group' | 'batch' | 'none';

/** verl's adv_estimator names: grpo (group-normalised), rloo (leave-one-out), reinforce_plus_plus (batch-whitened). */
export type AdvantageEstimator = 'grpo' | 'rloo' | 'reinforce_plus_plus';
export const ADVANTAGE_ESTIMATORS: readonly AdvantageEstimator[] = ['grpo', 'rloo', 'reinforce_plus_plus'];

/** TRL's multi_objective_aggregation: normalise the weighted total, or each reward function first (GDPO). */
export type MultiObjectiveAggregation = 'sum_then_normalize' | 'normalize_then_sum';
export const MULTI_OBJECTIVE_AGGREGATIONS: readonly MultiObjectiveAggregation[] = ['sum_then_normalize', 'normalize_then_sum'];

/** One reward function's score per completion; null where the function declined to score. */
export type ScoreColumn = readonly (number | null)[];

/** The rewards of a batch of completions, as the advantage and metric code reads them. */
export interface CombinedRewards {
  /** Σ_k w_k · r_k over the functions that scored the row (0 when every function declined). */
  total: Float64Array;
  /** 1 where at least one function scored the row, 0 where every function declined. */
  scored: Uint8Array;
}

/**
 * One completion's reward: Σ_k w_k · r_k over the functions that scored it, in function order;
 * null when every function declined (the row then carries no reward, not a reward of 0).
 */
export function weightedReward(scores: readonly (number | null)[], weights: readonly number[]): number | null {
  if (scores.length !== weights.length) throw new RangeError(`weightedReward: ${scores.length} scores but ${weights.length} weights`);
  let total = 0;
  let scored = false;
  for (let k = 0; k < scores.length; k++) {
    const v = scores[k];
    if (v === null) continue;
    total += weights[k] * v;
    scored = true;
  }
  return scored ? total : null;
}

/** The rewards of `rows` (each already combined by `weightedReward`) as arrays. */
export function batchRewards(rows: readonly { reward: number | null }[]): CombinedRewards {
  return { total: Float64Array.from(rows, (r) => r.reward ?? 0), scored: Uint8Array.from(rows, (r) => (r.reward === null ? 0 : 1)) };
}

export interface AdvantageOptions {
  /** Completions per prompt; rows i·G … i·G+G−1 form group i. */
  groupSize: number;
  scale: ScaleRewards;
  /** Added to σ before dividing (TRL 1e-4). */
  eps: number;
  /** Default grpo (the scale option applies to it only). */
  estimator?: AdvantageEstimator;
  /** reinforce_plus_plus: each row's tokens in the loss (its weight in the batch whitening). */
  tokens?: ArrayLike<number>;
  /** grpo: normalise_then_sum needs `columns` and `weights`; default sum_then_normalize. */
  aggregation?: MultiObjectiveAggregation;
  /** Each reward function's scores (one column per function, rows in batch order). */
  columns?: readonly ScoreColumn[];
  weights?: readonly number[];
}

export interface Advantages {
  /** One advantage per completion (0 for rows every reward function declined). */
  advantages: Float64Array;
  /** Per-group mean and sample standard deviation (n−1) over the group's scored rows. */
  groupMean: Float64Array;
  groupStd: Float64Array;
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

/** Rows i·G … i·G+G−1 of `rewards` as group g, checking the size first. */
function groupCount(rewards: CombinedRewards, G: number): number {
  if (!(G >= 1) || rewards.total.length % G !== 0) throw new RangeError(`computeAdvantages: ${rewards.total.length} rows is not a multiple of the group size ${G}`);
  return rewards.total.length / G;
}

/** Per group: 1 when its scored rewards are all equal, so it carries no learning signal (DAPO's filter). */
export function zeroStdGroups(rewards: CombinedRewards, groupSize: number): Uint8Array {
  const G = groupSize;
  const zeroStd = new Uint8Array(groupCount(rewards, G));
  for (let g = 0; g < zeroStd.length; g++) zeroStd[g] = allEqual(rewards.total.subarray(g * G, g * G + G), rewards.scored.subarray(g * G, g * G + G)) ? 1 : 0;
  return zeroStd;
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
  const estimator = opts.estimator ?? 'grpo';
  const G = opts.groupSize;
  const groups = groupCount(rewards, G);
  const groupMean = new Float64Array(groups);
  const groupStd = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const s = meanStd(total.subarray(g * G, g * G + G), scored.subarray(g * G, g * G + G));
    groupMean[g] = s.mean;
    groupStd[g] = s.std;
  }
  const advantages = new Float64Array(total.length);
  if (estimator === 'rloo') {
    rlooAdvantages(rewards, G, advantages);
    return { advantages, groupMean, groupStd };
  }
  if (estimator === 'reinforce_plus_plus') {
    whitenedAdvantages(rewards, opts, advantages);
    return { advantages, groupMean, groupStd };
  }
  if (opts.aggregation === 'normalize_then_sum') {
    normalizeThenSum(rewards, opts, advantages);
    return { advantages, groupMean, groupStd };
  }
  const batchStd = opts.scale === 'batch' ? meanStd(total, scored).std : 0;
  for (let i = 0; i < total.length; i++) {
    if (!scored[i]) continue;
    const g = Math.floor(i / G);
    const centred = total[i] - groupMean[g];
    if (opts.scale === 'none') advantages[i] = centred;
    else advantages[i] = centred / ((opts.scale === 'group' ? groupStd[g] : batchStd) + opts.eps);
  }
  return { advantages, groupMean, groupStd };
}

/**
 * RLOO (Ahmadian et al. 2024): A_i = R_i − mean of the other scored rows of its group
 * = n/(n−1)·(R_i − μ_g) over the group's n scored rows; 0 when n < 2 (no other sample).
 */
function rlooAdvantages({ total, scored }: CombinedRewards, G: number, out: Float64Array): void {
  for (let g = 0; g < total.length / G; g++) {
    const s = meanStd(total.subarray(g * G, g * G + G), scored.subarray(g * G, g * G + G));
    if (s.n < 2) continue;
    for (let i = g * G; i < g * G + G; i++) if (scored[i]) out[i] = (s.n / (s.n - 1)) * (total[i] - s.mean);
  }
}

/**
 * REINFORCE++ (Hu et al. 2025) without a KL term in the reward: every token of completion i has
 * the return R_i (γ = 1, reward at the last token), and the returns are whitened over all tokens
 * in the loss of the batch: A_i = (R_i − μ_tok)/(σ_tok + eps), μ and σ (n−1) weighting each row
 * by its token count. No group statistics.
 */
function whitenedAdvantages({ total, scored }: CombinedRewards, opts: AdvantageOptions, out: Float64Array): void {
  const tokens = opts.tokens;
  if (!tokens || tokens.length !== total.length) throw new RangeError('computeAdvantages: reinforce_plus_plus needs the token count of every row');
  let n = 0;
  let sum = 0;
  for (let i = 0; i < total.length; i++) if (scored[i]) {
    n += tokens[i];
    sum += tokens[i] * total[i];
  }
  if (n === 0) return;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < total.length; i++) if (scored[i]) ss += tokens[i] * (total[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  for (let i = 0; i < total.length; i++) if (scored[i] && tokens[i] > 0) out[i] = (total[i] - mean) / (std + opts.eps);
}

/**
 * GDPO's normalize_then_sum (TRL multi_objective_aggregation): each function's scores are
 * normalised within the group, z = (r − μ_{g,k})/(σ_{g,k} + eps) over the rows it scored (declined
 * scores add 0); R_i = Σ_k w_k·z_{i,k}; then A_i = (R_i − mean)/(std + eps) over the batch's
 * scored rows (n − 1 std). Rows every function declined get 0. scale_rewards is not used.
 */
function normalizeThenSum({ total, scored }: CombinedRewards, opts: AdvantageOptions, out: Float64Array): void {
  const { columns, weights } = opts;
  const G = opts.groupSize;
  if (!columns || !weights || columns.length !== weights.length || columns.some((c) => c.length !== total.length)) {
    throw new RangeError('computeAdvantages: normalize_then_sum needs one score column and one weight per reward function');
  }
  const summed = new Float64Array(total.length);
  columns.forEach((col, k) => {
    for (let g = 0; g < total.length / G; g++) {
      const vals = Float64Array.from({ length: G }, (_, j) => col[g * G + j] ?? 0);
      const has = Uint8Array.from({ length: G }, (_, j) => (col[g * G + j] === null ? 0 : 1));
      const s = meanStd(vals, has);
      for (let j = 0; j < G; j++) if (has[j]) summed[g * G + j] += weights[k] * ((vals[j] - s.mean) / (s.std + opts.eps));
    }
  });
  const b = meanStd(summed, scored);
  for (let i = 0; i < total.length; i++) if (scored[i]) out[i] = (summed[i] - b.mean) / (b.std + opts.eps);
}

/** One forward pass's rows for `klShapedAdvantages`: [B, T] arrays and each row's reward. */
export interface KlShapedChunk {
  B: number;
  T: number;
  mask: ArrayLike<number>;
  /** log π_old (the sampling policy) and log π_ref of each completion token, [B, T]. */
  oldLogp: ArrayLike<number>;
  refLogp: ArrayLike<number>;
  /** Each row's reward R_i, and 1 where some reward function scored it (0: no reward, advantage 0). */
  rewards: ArrayLike<number>;
  scored: ArrayLike<number>;
}

/**
 * REINFORCE++ with the KL in the reward (Hu et al. 2025): token t of row i earns
 * r_t = 1[t = last]·R_i − β·(ℓold_t − ℓref_t) (k1), the return is G_t = Σ_{s≥t} r_s (γ = 1), and
 * the returns are whitened over every masked token of every scored row of the batch:
 * A_t = (G_t − μ)/(σ + eps), σ with n − 1. One [B, T] array of token advantages per chunk
 * (0 off the mask and on unscored rows).
 */
export function klShapedAdvantages(chunks: readonly KlShapedChunk[], beta: number, eps: number): Float32Array[] {
  const returns = chunks.map((c) => {
    const g = new Float64Array(c.B * c.T);
    for (let i = 0; i < c.B; i++) {
      if (!c.scored[i]) continue;
      let acc = c.rewards[i];
      for (let t = c.T - 1; t >= 0; t--) {
        const k = i * c.T + t;
        if (!c.mask[k]) continue;
        acc -= beta * (c.oldLogp[k] - c.refLogp[k]);
        g[k] = acc;
      }
    }
    return g;
  });
  const inStats = (c: KlShapedChunk, k: number) => c.mask[k] && c.scored[Math.floor(k / c.T)];
  // μ and σ over every chunk's returns together, in order.
  const all = new Float64Array(returns.reduce((n, g) => n + g.length, 0));
  const include = new Uint8Array(all.length);
  let at = 0;
  chunks.forEach((c, j) => {
    all.set(returns[j], at);
    for (let k = 0; k < c.B * c.T; k++) include[at + k] = inStats(c, k) ? 1 : 0;
    at += c.B * c.T;
  });
  const { mean, std } = meanStd(all, include);
  return chunks.map((c, j) => {
    const a = new Float32Array(c.B * c.T);
    for (let k = 0; k < a.length; k++) if (inStats(c, k)) a[k] = (returns[j][k] - mean) / (std + eps);
    return a;
  });
}
