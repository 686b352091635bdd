// A reward model as a GRPO reward function (`--reward rm:<folder>:<weight>`), beside the
// rule-based ones. Every completion of a step is queued and scored together in one or a few
// batched forwards (the trainer awaits all rewards of a step at once). The prompt comes from the
// example's `prompt` field (setup puts it there when a learned reward is in the run); a completion
// without one is declined. Scores: a preference model's raw score; an outcome model's
// probability σ(s) that the answer is right; a process model's Math-Shepherd aggregate, the
// minimum over the completion's steps of σ(step score), the completion split at the separator and
// each step followed by the separator token as in training (`completionSteps`, `stepInput`).
// Scoped to unverifiable prompts (R1's final stage), it declines those the verifiers score.
import { completionSteps, loadRewardModelSync, rewardInput, stepInput, type ScalarRewardModel } from '../model/reward-model.js';
import { verifiable } from '../rewards/verifiable.js';
import type { RewardExample, RewardFunction, RewardScore } from '../rewards/types.js';
import { AhaError } from '../util/errors.js';

import { isLearnedReward, LEARNED_PREFIX, type LearnedScope } from './learned-on.js';

export { isLearnedReward, LEARNED_PREFIX, type LearnedScope };

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface Pending {
  ids: Int32Array;
  /** Where the scores are read: the last non-pad token, or each step's separator (process). */
  positions: number[];
  resolve: (s: number) => void;
  reject: (e: unknown) => void;
}

/** The reward function of a loaded reward model, named `name`. */
export function rewardModelReward(rm: ScalarRewardModel, name: string, scope: LearnedScope = 'all'): RewardFunction & { model: ScalarRewardModel } {
  let queue: Pending[] = [];
  const flush = (): void => {
    const batch = queue;
    queue = [];
    try {
      const scores = rm.scoreAt(batch.map((p) => p.ids), batch.map((p) => p.positions));
      batch.forEach((p, i) => {
        const s = scores[i];
        p.resolve(rm.kind === 'preference' ? s[0] : rm.kind === 'outcome' ? sigmoid(s[0]) : Math.min(...Array.from(s, sigmoid)));
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  return {
    name,
    description: `learned ${rm.kind} reward model ${name.slice(LEARNED_PREFIX.length)}${scope === 'unverifiable' ? ' (prompts without a verifiable answer)' : ''}`,
    model: rm,
    score(completion: string, example: RewardExample): RewardScore | Promise<RewardScore> {
      const prompt = example.prompt;
      if (typeof prompt !== 'string' || (scope === 'unverifiable' && verifiable(example))) return null;
      let ids: Int32Array, positions: number[];
      if (rm.kind === 'process') {
        // A step holding the separator cannot happen: the completion was split at it.
        ({ ids, positions } = stepInput(rm.tokenizer, rm.stepSeparator!, rm.stepSeparatorId!, prompt, completionSteps(completion, rm.stepSeparator!)));
      } else {
        ids = rewardInput(rm.tokenizer, prompt, completion);
        positions = [rm.lastPosition(ids)];
      }
      if (ids.length > rm.config.max_position_embeddings) {
        throw new AhaError(`reward ${name}: prompt and completion are ${ids.length} tokens, more than the reward model's context of ${rm.config.max_position_embeddings}`);
      }
      return new Promise<number>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ ids, positions, resolve, reject });
      });
    },
  };
}

/** Loads the reward model a `rm:<folder>` reward name points at. */
export function loadLearnedReward(name: string, scope: LearnedScope = 'all'): RewardFunction & { model: ScalarRewardModel } {
  const dir = name.slice(LEARNED_PREFIX.length);
  if (dir === '') throw new AhaError(`reward "${name}": give the reward model folder, e.g. rm:runs/rm:0.5`);
  return rewardModelReward(loadRewardModelSync(dir), name, scope);
}
