// Collecting a step's groups, with DAPO dynamic sampling: groups whose rewards are all equal
// carry no advantage, so (when asked) they are dropped and more prompts are sampled until the
// batch holds enough informative groups or the round limit is reached. Rows come with their
// combined reward (rollout.ts); advantages are the trainer's, over the kept rows only.
import type { Rng } from '../util/rng.js';
import { batchRewards, zeroStdGroups } from './advantages.js';
import type { PromptSource } from './prompts.js';
import { rollout, type Judges, type Sampler, type ScoredRow } from './rollout.js';

/** Indices of groups with a learning signal (zeroStd 0), at most `limit` of them, in order. */
export function informativeGroups(zeroStd: ArrayLike<number>, limit = Infinity): number[] {
  const keep: number[] = [];
  for (let g = 0; g < zeroStd.length && keep.length < limit; g++) if (!zeroStd[g]) keep.push(g);
  return keep;
}

export interface CollectOptions {
  prompts: PromptSource;
  promptsPerStep: number;
  groupSize: number;
  /** Drop all-equal groups and sample again, up to maxRounds rounds. */
  dynamic: boolean;
  maxRounds: number;
  weights: readonly number[];
  encode: (prompt: string) => Int32Array;
  sampler: Sampler;
  rng: Rng;
  judges: Judges;
  /** Passed to length-aware rewards as example.max_completion_tokens. */
  maxCompletionTokens?: number;
}

export interface CollectedBatch {
  /** Every completion sampled this step (metrics cover them all). */
  sampled: ScoredRow[];
  /** Per sampled group: 1 when its rewards were all equal. */
  zeroStd: number[];
  /** The completions to train on, whole groups in order. */
  kept: ScoredRow[];
  sampleSeconds: number;
  scoreSeconds: number;
  sampledTokens: number;
}

export async function collectBatch(o: CollectOptions): Promise<CollectedBatch> {
  const G = o.groupSize;
  const out: CollectedBatch = { sampled: [], zeroStd: [], kept: [], sampleSeconds: 0, scoreSeconds: 0, sampledTokens: 0 };
  const rounds = o.dynamic ? o.maxRounds : 1;
  for (let round = 0; round < rounds && out.kept.length < o.promptsPerStep * G; round++) {
    const items = Array.from({ length: o.promptsPerStep }, () => o.prompts.next());
    const r = await rollout({ items, groupSize: G, encode: o.encode, sampler: o.sampler, rng: o.rng, judges: o.judges, weights: o.weights, maxCompletionTokens: o.maxCompletionTokens });
    out.sampleSeconds += r.sampleSeconds;
    out.scoreSeconds += r.scoreSeconds;
    out.sampledTokens += r.sampledTokens;
    const zeroStd = zeroStdGroups(batchRewards(r.rows), G);
    for (const row of r.rows) out.sampled.push(row);
    for (const z of zeroStd) out.zeroStd.push(z);
    const groups = o.dynamic ? informativeGroups(zeroStd, o.promptsPerStep - out.kept.length / G) : Array.from(zeroStd, (_, g) => g);
    for (const g of groups) out.kept.push(...r.rows.slice(g * G, g * G + G));
  }
  return out;
}
