// The Task contract (generators of problems with exact verifiers) and the pieces every task
// shares: the base-model prompt frame and the extraction of the last <answer>…</answer>.
import { AhaError } from '../util/errors.js';

export type Split = 'train' | 'heldout';

/** One generated problem. `prompt` is the full text a base model is given (see `frame`). */
export interface Problem {
  /** Stable for the problem itself (a hash of its canonical form), whatever seed produced it. */
  id: string;
  prompt: string;
  /** The reference answer, as the verifier's canonical text (an integer for arithmetic, the target for Countdown). */
  gold: string;
  difficulty: number;
  /** Task-specific fields the verifier needs (operands, numbers, target, the question text, the split). */
  meta: Record<string, unknown>;
}

export interface GenerateOptions {
  split: Split;
  count: number;
  seed: number;
  /** One level, or several: each problem then draws its level uniformly from the list. */
  difficulty: number | readonly number[];
}

export interface Verdict {
  correct: boolean;
  /** The text the verifier judged (the trimmed content of the last answer tag), or null if there was none. */
  extracted: string | null;
}

export interface Task {
  readonly name: string;
  readonly description: string;
  /** The valid difficulty levels, easiest first. */
  readonly difficulties: readonly number[];
  /** Deterministic for a given options object; never returns a problem of the other split. */
  generate(options: GenerateOptions): Problem[];
  /** The base-model prompt for a problem (the same text as `problem.prompt`). */
  prompt(problem: Problem): string;
  /** Exact check of a completion (the model's text after the prompt). */
  verify(completion: string, problem: Problem): Verdict;
  /**
   * What two stated answers (Verdict.extracted) share when the verifier treats them as the same
   * answer, so that votes over samples group them (majority, weighted best-of-N). Absent: the
   * answer with white space removed, right for tasks whose verifier compares the text exactly.
   */
  answerKey?(answer: string, problem: Problem): string;
}

/**
 * The R1-Zero style frame for a base model, kept short because the demo model is character-level
 * with a small context. It ends with "Assistant: " so that the completion itself is exactly the
 * strict R1 template `<think>\n…\n</think>\n<answer>\n…\n</answer>` the format reward checks.
 */
export function frame(question: string): string {
  return `User: ${question} Think in <think> </think>, then answer in <answer> </answer>.\nAssistant: `;
}

/**
 * The user turn that asks for a second attempt in that frame (SCoRe's instruction, paraphrased in
 * the demo tokenizer's characters: CHARSET has no capital R or S). It opens the think block, as
 * R1-Zero prompts often do; the Countdown corpus's `retry` documents use the same turn.
 */
export const RETRY_TURN = '\nUser: There may be an error. Correct the solution.\nAssistant: <think>\n';

/**
 * A completion written after a prompt that left the think block to the model (it opens with
 * `<think>`), placed after `prompt` instead: where the prompt already opened the block (as
 * RETRY_TURN does), the completion's own opening is dropped so the block is not opened twice.
 */
export function afterPromptOpening(prompt: string, completion: string): string {
  return /<think>\s*$/.test(prompt) ? completion.replace(/^\s*<think>\s*/, '') : completion;
}

/** The end of a completion in that template: the think block closed, then the answer. */
export function answerTail(answer: string): string {
  return `</think>\n<answer>\n${answer}\n</answer>`;
}

const OPEN = '<answer>';
const CLOSE = '</answer>';

/**
 * The content of the last complete <answer>…</answer> in `text`, trimmed: the last closing tag and
 * the last opening tag before it. Null when there is no complete pair. An unclosed trailing
 * <answer> (a truncated completion) does not count.
 */
export function lastAnswer(text: string): string | null {
  const close = text.lastIndexOf(CLOSE);
  if (close < 0) return null;
  const open = text.lastIndexOf(OPEN, close);
  if (open < 0) return null;
  return text.slice(open + OPEN.length, close).trim();
}

/** Normalises a difficulty option to a non-empty list, checking each level against the task's. */
export function difficultyList(task: string, valid: readonly number[], option: number | readonly number[]): number[] {
  const list = typeof option === 'number' ? [option] : [...option];
  if (list.length === 0) throw new AhaError(`${task}: the difficulty list is empty`);
  for (const d of list) {
    if (!valid.includes(d)) throw new AhaError(`${task}: difficulty ${d} is not one of ${valid.join(', ')}`);
  }
  return list;
}
