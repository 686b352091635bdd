// Learned reward models as search scorers. `RewardModelLike` is the part of src/model/reward-model.ts's
// `ScalarRewardModel` (a scalar-head language model: a score at any token, read at the last one, or
// at each step separator for a process model) a scorer uses, so tests can hand in a scripted one; `loadRewardModel` there opens one from a folder.
import { AhaError } from '../../util/errors.js';
import { completionSteps, rewardInput, stepInput } from '../../model/reward-model.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import type { SearchProblem } from './problem.js';
import { lastStepValue, type OutcomeScorer, type StepScorer } from './scorers.js';

export type RewardModelKindLike = 'preference' | 'outcome' | 'process';

export interface RewardModelLike {
  readonly kind: RewardModelKindLike;
  readonly tokenizer: Tokenizer;
  /** The text that ends a step for a process model; null for the others. */
  readonly stepSeparator: string | null;
  /** The separator's one token id (process models), null for the others. */
  readonly stepSeparatorId: number | null;
  /** Scores at the given token positions of each sequence. */
  scoreAt(seqs: readonly Int32Array[], positions: readonly (readonly number[])[]): Float32Array[];
  /** Where a sequence's score is read: its last token that is not the pad token (transformers' rule). */
  lastPosition(seq: Int32Array, i?: number): number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * A reward model as outcome and step scorer, its inputs built as training builds them
 * (src/model/reward-model.ts): the prompt and the completion encoded apart (`rewardInput`), and
 * for a process model each step followed by the separator as its own token (`stepInput`), so the
 * prompt's own separators are never read. Outcome: a process model gives the last step's score
 * (Snell et al.'s choice), the others their sequence score (at the last non-pad token). Every
 * score is handed out as σ(score): the probability an outcome or process model was trained to
 * give (and the GRPO reward gives), so the weighted vote sums probabilities as Snell et al. do
 * (raw scores can be negative, and a sum of negative scores counts more votes against an answer);
 * for a preference model σ(r) keeps its order and makes the weights positive. Steps: a process
 * model scores the candidate's steps in one pass, a finished last step given a separator too; an
 * outcome or preference model scores each step prefix as a sequence of its own (with `lastOnly`,
 * only the whole candidate). `taskSeparator` is the separator the candidate's steps end with.
 */
export function rewardModelScorer(rm: RewardModelLike, taskSeparator: string, name = `rm-${rm.kind}`): OutcomeScorer & StepScorer {
  const processRows = (problem: SearchProblem, rows: readonly (readonly string[])[]): number[][] => {
    if (rm.stepSeparator === null || rm.stepSeparatorId === null) throw new AhaError(`${name}: a process reward model needs its step separator`);
    const inputs = rows.map((steps, i) => {
      if (steps.length === 0) throw new AhaError(`${name}: candidate ${i} has no step to score`);
      const bare = steps.map((s) => (s.endsWith(taskSeparator) ? s.slice(0, s.length - taskSeparator.length) : s));
      try {
        return stepInput(rm.tokenizer, rm.stepSeparator!, rm.stepSeparatorId!, problem.prompt, bare);
      } catch (err) {
        throw new AhaError(`${name}: candidate ${i}: ${(err as Error).message}`);
      }
    });
    return rm.scoreAt(inputs.map((x) => x.ids), inputs.map((x) => x.positions)).map((scores) => Array.from(scores, sigmoid));
  };
  const sequences = (problem: SearchProblem, completions: readonly string[]): number[] => {
    const ids = completions.map((c) => rewardInput(rm.tokenizer, problem.prompt, c));
    return rm.scoreAt(ids, ids.map((x, i) => [rm.lastPosition(x, i)])).map((s) => sigmoid(s[0]));
  };
  return {
    name,
    async score(problem, completions) {
      // A finished completion's steps as the GRPO reward reads them (blank steps dropped).
      if (rm.kind === 'process') return processRows(problem, completions.map((c) => completionSteps(c, taskSeparator))).map(lastStepValue);
      return sequences(problem, completions);
    },
    async scoreSteps(problem, rows, _meter, opts) {
      if (rm.kind === 'process') return processRows(problem, rows);
      const prefixes = rows.map((steps) => (opts?.lastOnly ? [steps.join('')] : steps.map((_, i) => steps.slice(0, i + 1).join(''))));
      const flat = sequences(problem, prefixes.flat());
      let at = 0;
      return prefixes.map((ps) => ps.map(() => flat[at++]));
    },
  };
}
