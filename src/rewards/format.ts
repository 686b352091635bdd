// Format rewards for the R1 template `<think>…</think><answer>…</answer>`: strict (the whole
// completion is exactly the template), lenient (the two blocks appear in order), and tag
// counting (partial credit per well-used tag, which gives a gradient before the format is learnt).
import type { RewardExample } from './types.js';

/**
 * R1-Zero prompts often end with "<think>" (and R1-Distill's chat template with "<think>\n"), so the
 * completion starts inside the thinking block. An example with `think_prefilled: true` is scored
 * as if "<think>" preceded the completion; with the prompt's own tail from "<think>" (a string,
 * which GRPO sets for prompts that end so), as if that tail did, newline included.
 */
export function withPrefill(completion: string, example: RewardExample): string {
  const p = example.think_prefilled;
  const prefill = p === true ? '<think>' : typeof p === 'string' && /^<think>\s*$/.test(p) ? p : null;
  return prefill !== null && !completion.trimStart().startsWith('<think>') ? prefill + completion : completion;
}

const STRICT = /^<think>\n(?:(?!<\/?think>|<\/?answer>)[\s\S])*?\n<\/think>\n<answer>\n(?:(?!<\/?think>|<\/?answer>)[\s\S])*?\S(?:(?!<\/?think>|<\/?answer>)[\s\S])*?\n<\/answer>\s*$/;
const LENIENT = /<think>[\s\S]*?<\/think>\s*<answer>[\s\S]*?\S[\s\S]*?<\/answer>/;

/** 1 if the completion is exactly `<think>\n…\n</think>\n<answer>\n…\n</answer>` (each tag once), else 0. */
export function strictFormat(completion: string, example: RewardExample = {}): number {
  const s = withPrefill(completion, example);
  // Cheap tag census first: it rejects most bad outputs and keeps the regex on well-formed text.
  if (!TAGS.every((tag) => count(s, tag) === 1)) return 0;
  return STRICT.test(s) ? 1 : 0;
}

/** 1 if a `<think>…</think>` block is followed by a non-empty `<answer>…</answer>` block anywhere, else 0. */
export function lenientFormat(completion: string, example: RewardExample = {}): number {
  return LENIENT.test(withPrefill(completion, example)) ? 1 : 0;
}

const TAGS = ['<think>', '</think>', '<answer>', '</answer>'];

function count(s: string, needle: string): number {
  return s.split(needle).length - 1;
}

/** 0.25 for each of <think>, </think>, <answer>, </answer> that appears exactly once (max 1). */
export function tagCount(completion: string, example: RewardExample = {}): number {
  const s = withPrefill(completion, example);
  return TAGS.reduce((acc, tag) => acc + (count(s, tag) === 1 ? 0.25 : 0), 0);
}

/** The text inside <think>…</think> (or everything before <answer> when the tag is missing). */
export function thinkingText(completion: string): string {
  const open = completion.indexOf('<think>');
  const close = completion.indexOf('</think>');
  if (close >= 0) return completion.slice(open >= 0 && open < close ? open + 7 : 0, close);
  const answer = completion.indexOf('<answer>');
  return answer >= 0 ? completion.slice(open >= 0 ? open + 7 : 0, answer) : completion.slice(open >= 0 ? open + 7 : 0);
}
