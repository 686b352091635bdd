// What a run with a learned reward needs besides the reward itself: the prompt in every example
// (the reward model reads prompt + completion) and the hacking watch over held-out evaluations.
// With learned_on unverifiable (R1's final stage) the trainer also logs per-source metrics.
import type { RewardExample } from '../rewards/types.js';
import { AhaError } from '../util/errors.js';
import { meanStd } from './advantages.js';
import type { PromptItem, PromptSource } from './prompts.js';
import type { ScoredRow } from './rollout.js';
import { HackingWatch } from './hacking-watch.js';
import { verifiable } from '../rewards/verifiable.js';

export { isLearnedReward, loadLearnedReward, type LearnedScope } from './reward-model-reward.js';

/**
 * The item with its prompt text in the example (as `prompt`), when `on`: a conversational row's
 * `prompt` (its messages) becomes the rendered text the policy saw, which a reward model reads.
 */
export function promptInExample(item: PromptItem, on: boolean): PromptItem {
  return on && typeof item.example.prompt !== 'string' ? { ...item, example: { ...item.example, prompt: item.prompt } } : item;
}

/** A prompt source whose items carry their prompt in the example, when `on`. */
export function withPromptField(src: PromptSource, on: boolean): PromptSource {
  if (!on) return src;
  return { label: src.label, next: () => promptInExample(src.next(), true), position: () => src.position(), seek: (p) => src.seek(p) };
}

/**
 * The hacking watch for a run whose rewards at `learned` are learned, or undefined without
 * learned rewards. Without held-out problems there is no gold signal: a warning says so.
 */
export function learnedRewardWatch(learned: readonly number[], heldout: boolean, quiet = false): HackingWatch | undefined {
  if (learned.length === 0) return undefined;
  if (!heldout) {
    if (!quiet) process.stderr.write('aha: warning: a learned reward without held-out problems (a task and --eval-problems) runs without the hacking watch: nothing checks it against the verifier\n');
    return undefined;
  }
  return new HackingWatch({ learned, quiet });
}

/** The examples of the next `n` prompts of a source (a task's prompts, to check their shape). */
export function sampleExamples(src: PromptSource, n: number): RewardExample[] {
  return Array.from({ length: n }, () => src.next().example);
}

/**
 * learned_on unverifiable needs prompts without a verifiable answer: when every one has gold or
 * code tests the learned reward would score nothing, silently. `label` names the prompts.
 */
export function assertSomeUnverifiable(examples: readonly RewardExample[], label: string): void {
  if (examples.length > 0 && examples.every(verifiable)) {
    throw new AhaError(`learned_on unverifiable: every prompt of ${label} has a verifiable answer (gold or code tests), so the learned reward would score none; ` +
      'give prompts without gold (a data file mixing both), or learned_on all');
  }
}

const SOURCES = ['verifiable', 'unverifiable'] as const;

/**
 * Per-source metrics of a step (learned_on unverifiable): for the rows of verifiable prompts and
 * those of the others, their number, the mean weighted reward, and each reward's mean over the
 * rows of that source it scored (left out when it scored none of them): the
 * verifier's accuracy on the first source, the learned score on the second.
 */
export function sourceMetrics(names: readonly string[], rows: readonly ScoredRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const source of SOURCES) {
    const mine = rows.filter((r) => verifiable(r.item.example) === (source === 'verifiable'));
    out[`source/${source}/rows`] = mine.length;
    const totals = mine.flatMap((r) => (r.reward === null ? [] : [r.reward]));
    if (totals.length > 0) out[`source/${source}/reward/mean`] = meanStd(totals).mean;
    names.forEach((name, k) => {
      const vals = mine.flatMap((r) => (r.scores[k] === null ? [] : [r.scores[k] as number]));
      if (vals.length > 0) out[`source/${source}/${name}/mean`] = meanStd(vals).mean;
    });
  }
  return out;
}
