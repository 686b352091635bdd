// The scorers search strategies rank candidates with, behind two interfaces: an outcome scorer
// (one score per finished completion: an ORM, or the verifier as an oracle upper bound) and a
// step scorer (one score per step prefix: a PRM, or the Monte Carlo oracle of Math-Shepherd:
// the share of the policy's continuations from that prefix that reach a verified answer).
// Learned reward models plug in through `rewardModelScorer` (reward-model-scorer.ts).
import type { Judge, SearchProblem } from './problem.js';
import { seedOf, type Policy, type TokenMeter } from './policy.js';

export interface OutcomeScorer {
  readonly name: string;
  /** One score per completion, higher is better. */
  score(problem: SearchProblem, completions: readonly string[], meter?: TokenMeter): Promise<number[]>;
}

export interface StepScoreOptions {
  /** Only the last step's score is wanted (beam search's ranking): a scorer may return one score per candidate. */
  lastOnly?: boolean;
}

export interface StepScorer {
  readonly name: string;
  /**
   * Scores for the step prefixes of each candidate: element i of a row is the score of steps
   * 0..i (each step ends with its separator, the last may not). With `lastOnly` a row may hold
   * just the last prefix's score. Higher is better.
   */
  scoreSteps(problem: SearchProblem, stepsPerCandidate: readonly (readonly string[])[], meter?: TokenMeter, opts?: StepScoreOptions): Promise<number[][]>;
}

/** The value of a candidate as Snell et al. take it: the last step's score. */
export function lastStepValue(row: readonly number[]): number {
  if (row.length === 0) throw new Error('a step scorer returned no score for a candidate');
  return row[row.length - 1];
}

/**
 * The verifier as an outcome scorer: 1 for a right answer, 0 otherwise. It knows the reference
 * answer, so what it selects is an upper bound for any learned verifier, not a deployable method.
 */
export function verifierScorer(judge: Judge): OutcomeScorer {
  return {
    name: 'verifier',
    async score(problem, completions) {
      return completions.map((c) => (judge.judge(problem, c).correct ? 1 : 0));
    },
  };
}

export interface MonteCarloOptions {
  /** Continuations sampled from each step prefix (Math-Shepherd used 8). */
  rollouts: number;
}

/**
 * The Monte Carlo process-reward oracle: a prefix scores the share of `rollouts` policy
 * continuations from it that end in a verified answer (Math-Shepherd's soft label); a finished
 * prefix scores its own verdict. It uses the reference answer, so it too is an oracle; its
 * rollouts are counted on the meter's scorer tokens, apart from the generation budget.
 */
export function monteCarloScorer(policy: Policy, judge: Judge, o: MonteCarloOptions): StepScorer & OutcomeScorer {
  // A prefix is rolled out once: beam search asks about the same prefixes again (final ranking,
  // the next budget), and the estimate would only differ by its noise.
  const cache = new Map<string, Promise<number>>();
  const valueOf = (problem: SearchProblem, prefix: string, meter?: TokenMeter): Promise<number> => {
    if (judge.finished(prefix)) return Promise.resolve(judge.judge(problem, prefix).correct ? 1 : 0);
    const key = JSON.stringify([problem.id, prefix]);
    let v = cache.get(key);
    if (!v) {
      v = rollOut(problem, prefix, meter);
      cache.set(key, v);
    }
    return v;
  };
  const rollOut = async (problem: SearchProblem, prefix: string, meter?: TokenMeter): Promise<number> => {
    const seeds = Array.from({ length: o.rollouts }, (_, i) => seedOf(problem.id, 'mc', prefix, i));
    const outs = await policy.continueText(problem.prompt, prefix, seeds, { maxTokens: policy.maxTokens });
    let right = 0;
    for (const c of outs) {
      if (meter) meter.scorer += c.tokens;
      if (judge.judge(problem, prefix + c.text).correct) right += 1;
    }
    return right / o.rollouts;
  };
  return {
    name: `mc${o.rollouts}`,
    async scoreSteps(problem, rows, meter, opts) {
      return Promise.all(
        rows.map(async (steps) => {
          const ends = opts?.lastOnly ? [steps.length] : steps.map((_, i) => i + 1);
          return Promise.all(ends.map((end) => valueOf(problem, steps.slice(0, end).join(''), meter)));
        }),
      );
    },
    async score(problem, completions, meter) {
      return Promise.all(completions.map((c) => valueOf(problem, c, meter)));
    },
  };
}
