// The reward-function contract shared by the GRPO trainer, the eval harness and the reward server:
// a named, described scorer `(completion, example) => number | null`, and weighted combination.

/**
 * One training/eval example as a reward function sees it. `gold` is the reference answer (math)
 * or unused (code); task-specific fields (tests, language, target, numbers, ...) ride along.
 */
export interface RewardExample {
  gold?: string;
  [field: string]: unknown;
}

/** A score, or null when the function declines to score this example (e.g. no gold answer). */
export type RewardScore = number | null;

export interface RewardFunction {
  /** Registry name, e.g. `accuracy`, `format`. */
  name: string;
  /** One line for `--help` listings and run reports. */
  description: string;
  score(completion: string, example: RewardExample): RewardScore | Promise<RewardScore>;
  /** A metric to log, not to train on (e.g. the reflection counter); trainers skip it unless asked. */
  metricOnly?: boolean;
}

export interface WeightedReward {
  fn: RewardFunction;
  weight: number;
}

/** The per-function scores and their weighted sum, as the trainer logs them. */
export interface CombinedScore {
  /** Σ weight·score over the functions that scored; null when every function declined. */
  total: number | null;
  /** Score of each function by name (null = declined). */
  parts: Record<string, RewardScore>;
}

/**
 * Combines reward functions with weights: R = Σ_k w_k · r_k over the functions that did not
 * decline. A row that every function declines gets total null (the trainer gives it advantage 0).
 */
export function combineRewards(fns: readonly WeightedReward[]): RewardFunction & {
  scoreDetailed(completion: string, example: RewardExample): Promise<CombinedScore>;
} {
  for (const { fn, weight } of fns) {
    if (!Number.isFinite(weight)) throw new RangeError(`reward "${fn.name}" has a non-finite weight ${weight}`);
  }
  const scoreDetailed = async (completion: string, example: RewardExample): Promise<CombinedScore> => {
    const parts: Record<string, RewardScore> = {};
    let total: number | null = null;
    const scores = await Promise.all(fns.map(({ fn }) => fn.score(completion, example)));
    fns.forEach(({ fn, weight }, i) => {
      const s = scores[i];
      parts[fn.name] = s;
      if (s === null) return;
      total = (total ?? 0) + weight * s;
    });
    return { total, parts };
  };
  return {
    name: fns.map(({ fn, weight }) => (weight === 1 ? fn.name : `${weight}*${fn.name}`)).join('+'),
    description: `weighted sum of ${fns.map(({ fn }) => fn.name).join(', ')}`,
    score: async (completion, example) => (await scoreDetailed(completion, example)).total,
    scoreDetailed,
  };
}
