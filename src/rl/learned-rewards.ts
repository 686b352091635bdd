// What a run with a learned reward needs besides the reward itself: the prompt in every example
// (the reward model reads prompt + completion) and the hacking watch over held-out evaluations.
import type { PromptItem, PromptSource } from './prompts.js';
import { HackingWatch } from './hacking-watch.js';

export { isLearnedReward, loadLearnedReward, type LearnedScope } from './reward-model-reward.js';

/** The item with its prompt in the example (as `prompt`), when `on`. */
export function promptInExample(item: PromptItem, on: boolean): PromptItem {
  return on && item.example.prompt === undefined ? { ...item, example: { ...item.example, prompt: item.prompt } } : item;
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
