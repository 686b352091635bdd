// The `learned_on` option of a GRPO run (R1's final stage): which rows a learned reward
// (`rm:<folder>`) scores. `all` (default): every row, beside the rule-based rewards. `unverifiable`:
// only rows whose prompt has no verifiable answer (no gold, no code tests), so the rule-based
// rewards score the verifiable prompts and a preference model the others, in one run. Kept apart
// from reward-model-reward.ts so config validation stays cheap (no model code imported).

export const LEARNED_PREFIX = 'rm:';

/** Whether a reward name is a learned reward (`rm:<folder>`). */
export function isLearnedReward(name: string): boolean {
  return name.startsWith(LEARNED_PREFIX);
}

/** Which rows a learned reward scores. */
export type LearnedScope = 'all' | 'unverifiable';
export const LEARNED_SCOPES: readonly LearnedScope[] = ['all', 'unverifiable'];

export interface LearnedRewardOptions {
  /** Rows a learned reward scores: all, or only prompts without a verifiable answer (R1's final stage). */
  learned_on: LearnedScope;
}

export const LEARNED_REWARD_DEFAULTS: LearnedRewardOptions = { learned_on: 'all' };

/** The first problem with learned_on, or null; the message names the field. */
export function learnedOnProblem(c: LearnedRewardOptions & { rewards: readonly { name: string }[] }): string | null {
  if (!(LEARNED_SCOPES as readonly unknown[]).includes(c.learned_on)) return `learned_on must be all or unverifiable, got ${JSON.stringify(c.learned_on)}`;
  // A setting nothing reads is an error, not ignored.
  if (c.learned_on !== 'all' && !c.rewards.some((r) => isLearnedReward(r.name))) {
    return `learned_on ${c.learned_on} scopes learned rewards, but no learned reward (rm:<folder>) is among the rewards (${c.rewards.map((r) => r.name).join(', ') || 'the defaults'})`;
  }
  return null;
}
