// One round of rollouts: G completions for each prompt from the policy, then every reward
// function on every completion (all in parallel; async rewards such as the code sandbox are
// awaited together), their weighted total, correctness, the extracted answer and the
// reflection-word count. Each completion is verified once: when one of the run's rewards is the
// verifier, its score is the correctness too.
import type { RewardFunction, RewardScore } from '../rewards/types.js';
import { AhaError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { lastAnswer } from '../tasks/task.js';
import type { PromptItem } from './prompts.js';
import type { RolloutRow } from './packing.js';
import { weightedReward } from './advantages.js';
import type { CompletionSegment } from '../tools/segments.js';

/** One sampled completion as the sampler reports it. */
export interface SampledCompletion {
  /** Completion ids, including the EOS id when it ended with one. */
  ids: Int32Array;
  text: string;
  /** True when it hit max_completion_length without EOS. */
  truncated: boolean;
  /** log p of each completion token as the sampler computed it (ℓsmp, at temperature 1); optional. */
  logprobs?: Float32Array;
  /** Tool-using samplers (rl/tools): 1 for each model-written token, 0 for a tool's. */
  modelMask?: Uint8Array;
  /** Tool-using samplers: the completion's model and tool segments, in order. */
  segments?: CompletionSegment[];
}

/** Samples one completion per prompt row (rows repeat a prompt G times), seeded by `rng`. */
export type Sampler = (prompts: readonly Int32Array[], rng: Rng) => Promise<SampledCompletion[]>;

export interface ScoredRow extends RolloutRow {
  item: PromptItem;
  text: string;
  /** Score of each reward function, in the order of the trainer's reward list. */
  scores: RewardScore[];
  /** The weighted total of `scores`; null when every function declined. */
  reward: number | null;
  correct: boolean;
  extracted: string | null;
  reflections: number;
  /** The completion's model and tool segments (tool-using samplers only). */
  segments?: CompletionSegment[];
}

export interface Judges {
  rewards: readonly RewardFunction[];
  /**
   * The index in `rewards` of the reward that is the run's verifier: a score ≥ 1 means correct,
   * and the answer is the last <answer> block, so nothing is verified twice. Null or absent:
   * `correct` judges.
   */
  correctnessReward?: number | null;
  /** Correctness of a completion when no reward of the run is the verifier (the task's verifier or the accuracy reward). */
  correct(completion: string, item: PromptItem): Promise<{ correct: boolean; extracted: string | null }>;
  /** Reflection words in a completion (a metric, not a reward). */
  reflections(completion: string): number;
}

/** Judges from a task's verifier, else from an accuracy-style reward (score ≥ 1 is correct). */
export function makeCorrectness(accuracy: RewardFunction | null): Judges['correct'] {
  return async (completion, item) => {
    if (item.problem && item.taskVerify) {
      const v = item.taskVerify(completion, item.problem);
      return { correct: v.correct, extracted: v.extracted };
    }
    const extracted = lastAnswer(completion);
    if (!accuracy) return { correct: false, extracted };
    const s = await accuracy.score(completion, item.example);
    return { correct: s !== null && s >= 1, extracted };
  };
}

/** A reward must be a finite number or null: a NaN would silently poison every advantage. */
function checkScore(name: string, score: RewardScore, problemId: string): RewardScore {
  if (score !== null && (typeof score !== 'number' || !Number.isFinite(score))) {
    throw new AhaError(`reward "${name}" returned ${String(score)} for problem ${problemId}; rewards must be finite numbers or null`);
  }
  return score;
}

export interface RolloutOptions {
  items: readonly PromptItem[];
  /** Completions per prompt. */
  groupSize: number;
  encode: (prompt: string) => Int32Array;
  sampler: Sampler;
  rng: Rng;
  judges: Judges;
  /** Weight of each reward function, in the order of judges.rewards. */
  weights: readonly number[];
  /** Passed to length-aware rewards as example.max_completion_tokens. */
  maxCompletionTokens?: number;
}

export interface Rollout {
  /** G rows per prompt, grouped by prompt in `items` order. */
  rows: ScoredRow[];
  sampleSeconds: number;
  scoreSeconds: number;
  sampledTokens: number;
}

/** Correctness from the score of the reward that is the run's verifier. */
function verdictFromScore(score: RewardScore, completion: string): { correct: boolean; extracted: string | null } {
  return { correct: score !== null && score >= 1, extracted: lastAnswer(completion) };
}

/** Samples G completions for each of `items` and scores them; rows are grouped by prompt. */
export async function rollout(o: RolloutOptions): Promise<Rollout> {
  const { items, groupSize: G, judges } = o;
  const own = judges.correctnessReward ?? null;
  if (own !== null && !(Number.isInteger(own) && own >= 0 && own < judges.rewards.length)) throw new RangeError(`rollout: correctnessReward ${own} is not a reward index`);
  const promptIds = items.map((it) => o.encode(it.prompt));
  const prompts: Int32Array[] = [];
  for (const ids of promptIds) for (let j = 0; j < G; j++) prompts.push(ids);
  const t0 = performance.now();
  const samples = await o.sampler(prompts, o.rng);
  const t1 = performance.now();
  const rows = await Promise.all(samples.map(async (s, r): Promise<ScoredRow> => {
    const item = items[Math.floor(r / G)];
    // Length-aware rewards (DAPO's soft overlong penalty) read the token count and the limit here.
    const example = { max_completion_tokens: o.maxCompletionTokens, ...item.example, completion_tokens: s.ids.length };
    const [scores, verdict] = await Promise.all([
      Promise.all(judges.rewards.map(async (fn) => checkScore(fn.name, await fn.score(s.text, example), item.id))),
      own === null ? judges.correct(s.text, item) : null,
    ]);
    const { correct, extracted } = verdict ?? verdictFromScore(scores[own!], s.text);
    return {
      item, promptIds: prompts[r], completionIds: s.ids, truncated: s.truncated, text: s.text, samplerLogprobs: s.logprobs,
      scores, reward: weightedReward(scores, o.weights), correct, extracted, reflections: judges.reflections(s.text),
      ...(s.modelMask ? { modelMask: s.modelMask } : {}), ...(s.segments ? { segments: s.segments } : {}),
    };
  }));
  const t2 = performance.now();
  let sampledTokens = 0;
  for (const s of samples) sampledTokens += s.ids.length;
  return { rows, sampleSeconds: (t1 - t0) / 1000, scoreSeconds: (t2 - t1) / 1000, sampledTokens };
}
