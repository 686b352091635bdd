// Reward functions written in TypeScript, in TRL's shape: one call scores a batch,
// `(completions, examples) => scores`. The trainer scores completion by completion (the
// RewardFunction contract); the adapter here gathers the calls made together (a step's rollout
// scores all its completions at once) into one call of the user's function, so it sees the whole
// batch as TRL's reward functions do. A null or undefined score declines that completion.
import { AhaError } from '../util/errors.js';
import { hasReward, registerReward } from './registry.js';
import type { RewardExample, RewardFunction, RewardScore } from './types.js';

/** One example as a reward function sees it: `gold`, `prompt` when known, and the data's own fields. */
export type Example = RewardExample;

/** A batch reward: one score per completion, or null/undefined to decline one. */
export type RewardFunc = (completions: string[], examples: Example[]) => ReadonlyArray<number | null | undefined> | Promise<ReadonlyArray<number | null | undefined>>;

export interface DefineRewardOptions {
  /** One line for listings and run reports. */
  description?: string;
}

/** Names a reward can have: a TypeScript function's name as it is; a registered name in lower case (the registry's and the CLI's spelling). */
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const REGISTERED_NAME = /^[a-z][a-z0-9_-]*$/;

interface Pending {
  completion: string;
  example: Example;
  resolve: (s: RewardScore) => void;
  reject: (e: unknown) => void;
}

/** A RewardFunction (the trainer's contract) that calls the batch function `fn` once per batch of scores asked for together. */
export function batchReward(name: string, fn: RewardFunc, opts: DefineRewardOptions = {}): RewardFunction {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new AhaError(`reward name ${JSON.stringify(name)} is not valid: use letters, digits, _ and -, starting with a letter`);
  }
  if (typeof fn !== 'function') throw new AhaError(`reward "${name}": expected a function (completions, examples) => scores, got ${typeof fn}`);
  let pending: Pending[] = [];
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    try {
      const scores = await fn(batch.map((p) => p.completion), batch.map((p) => p.example));
      if (!Array.isArray(scores) || scores.length !== batch.length) {
        const got = Array.isArray(scores) ? `${scores.length} scores` : typeof scores;
        throw new AhaError(`reward "${name}" returned ${got} for ${batch.length} completions; return one score (or null) per completion`);
      }
      scores.forEach((s, i) => {
        if (s === null || s === undefined) batch[i].resolve(null);
        else if (typeof s === 'number' && Number.isFinite(s)) batch[i].resolve(s);
        else batch[i].reject(new AhaError(`reward "${name}" returned ${String(s)} for completion ${i} of its batch; scores must be finite numbers, or null to decline`));
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  return {
    name,
    description: opts.description ?? `user reward ${name}`,
    score(completion, example) {
      return new Promise<RewardScore>((resolve, reject) => {
        // The first call of a batch schedules the call of `fn` after every score asked for in
        // this turn of the event loop has joined it.
        if (pending.length === 0) setImmediate(() => void flush());
        pending.push({ completion, example, resolve, reject });
      });
    },
  };
}

/**
 * Registers a TypeScript reward under `name`, usable by name beside the built-in rewards (in a
 * trainer's reward list, `"name:0.5"` with a weight). Returns the registered reward function.
 */
export function defineReward(name: string, fn: RewardFunc, opts: DefineRewardOptions = {}): RewardFunction {
  if (typeof name !== 'string' || !REGISTERED_NAME.test(name)) {
    throw new AhaError(`defineReward: name ${JSON.stringify(name)} is not valid: use lower-case letters, digits, _ and -, starting with a letter`);
  }
  const reward = batchReward(name, fn, opts);
  if (hasReward(name)) throw new AhaError(`a reward named "${name}" already exists; choose another name`);
  registerReward(reward);
  return reward;
}
