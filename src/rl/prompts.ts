// Where the trainer's prompts come from: a built-in task's generator (an endless, deterministic
// stream) or a JSON Lines file (reshuffled every epoch). Either way the position in the stream is
// a small plain object saved in the checkpoint, so a resumed run sees the very same prompts.
import { InputError, AhaError } from '../util/errors.js';
import { readJsonl } from '../util/jsonl.js';
import { Rng } from '../util/rng.js';
import type { RewardExample } from '../rewards/types.js';
import { codeProblemText, codeTestsOf } from '../rewards/code/formats.js';
import { VERIFIER_NEEDS } from '../rewards/verifiable.js';
import { frame, type Problem, type Task } from '../tasks/task.js';
import { problemExample } from '../tasks/rewards.js';

/** One prompt the trainer samples a group for. */
export interface PromptItem {
  id: string;
  prompt: string;
  /** What reward functions see: the gold answer plus task fields. */
  example: RewardExample;
  /** The task problem, when the prompt came from a task (its verifier judges correctness). */
  problem?: Problem;
  taskVerify?: Task['verify'];
}

/** The position in a prompt stream: `index` items of pass/chunk `epoch` already used. */
export interface PromptPosition {
  epoch: number;
  index: number;
}

export interface PromptSource {
  /** Describes the source in config.json and errors. */
  readonly label: string;
  next(): PromptItem;
  position(): PromptPosition;
  seek(pos: PromptPosition): void;
}

/** Problems generated per chunk; chunk c is generated with a seed derived from (seed, c). */
const CHUNK = 256;

export function taskPrompts(task: Task, seed: number, difficulty: readonly number[] | null): PromptSource {
  let pos: PromptPosition = { epoch: 0, index: 0 };
  let chunk: Problem[] | null = null;
  const load = () => {
    const chunkSeed = new Rng(seed).fork().nextU32() ^ Math.imul(pos.epoch + 1, 0x9e3779b1);
    chunk = task.generate({ split: 'train', count: CHUNK, seed: chunkSeed >>> 0, difficulty: difficulty ?? task.difficulties });
    if (chunk.length === 0) throw new AhaError(`task ${task.name} generated no training problems`);
  };
  return {
    label: `task:${task.name}`,
    next() {
      if (!chunk) load();
      if (pos.index >= chunk!.length) {
        pos = { epoch: pos.epoch + 1, index: 0 };
        load();
      }
      const p = chunk![pos.index];
      pos = { epoch: pos.epoch, index: pos.index + 1 };
      return taskItem(task, p);
    },
    position: () => ({ ...pos }),
    seek(p) {
      pos = { ...p };
      chunk = null;
    },
  };
}

function taskItem(task: Task, p: Problem): PromptItem {
  return { id: p.id, prompt: task.prompt(p), example: problemExample(p), problem: p, taskVerify: (c, q) => task.verify(c, q) };
}

/** `count` problems of the task's held-out split (never seen in training), fixed for a seed. */
export function heldoutItems(task: Task, count: number, seed: number, difficulty: readonly number[] | null): PromptItem[] {
  const problems = task.generate({ split: 'heldout', count, seed, difficulty: difficulty ?? task.difficulties });
  return problems.map((p) => taskItem(task, p));
}

const PROMPT_FIELDS = ['prompt', 'problem', 'question'] as const;
const GOLD_FIELDS = ['answer', 'gold'] as const;

/**
 * Reads a JSON Lines data set: `prompt` is used verbatim; a bare `problem` or `question` (code
 * data: LiveCodeBench's `question_content`, MBPP's `text` + asserts) is put in the R1-Zero frame
 * (the same one the built-in tasks use).
 * The gold answer is `answer` or `gold`; code tests in any form of docs/rewards.md are checked
 * here. Other fields are passed to the reward functions unchanged.
 */
export function readPromptFile(file: string): PromptItem[] {
  const records = readJsonl(file);
  if (records.length === 0) throw new InputError({ file }, 'no prompts in the file');
  return records.map(({ line, value }) => {
    const key = PROMPT_FIELDS.find((k) => value[k] !== undefined);
    const codeText = key ? null : codeProblemText(value);
    if (codeText) return fileItem(file, line, value, frame(codeText.text));
    if (!key) throw new InputError({ file, line, field: 'prompt' }, 'missing: give "prompt" (verbatim) or "problem"/"question" (framed)');
    const text = value[key];
    if (typeof text !== 'string' || text.trim() === '') throw new InputError({ file, line, field: key }, 'must be a non-empty string');
    return fileItem(file, line, value, key === 'prompt' ? text : frame(text));
  });
}

/** One data-file record with its prompt chosen: the gold answer and code tests checked. */
function fileItem(file: string, line: number, value: Record<string, unknown>, prompt: string): PromptItem {
  const goldKey = GOLD_FIELDS.find((k) => value[k] !== undefined);
  const gold = goldKey === undefined ? undefined : value[goldKey];
  if (gold !== undefined && typeof gold !== 'string' && typeof gold !== 'number') throw new InputError({ file, line, field: goldKey }, 'must be a string or a number');
  const id = typeof value.id === 'string' || typeof value.id === 'number' ? String(value.id) : `line-${line}`;
  const example: RewardExample = { ...value, id };
  if (gold !== undefined) example.gold = String(gold);
  // Code tests in any data set form are checked now, not at the first step that samples them
  // (on the example itself, whose lookup is then cached for the run's own checks).
  const code = codeTestsOf(example);
  if (code !== null && 'error' in code) throw new InputError({ file, line, field: code.field }, code.error);
  return { id, prompt, example };
}

/**
 * A data file none of whose rows the run's verifier can check would train on the other rewards
 * alone while looking like an RLVR run (the verifier declines every completion): refused, naming
 * what the rows lack. Some rows without: the count, for a warning (none when a learned reward
 * scores the rest, as in R1's final stage). Rewards without a verifier: nothing to check.
 */
export function uncheckableRows(file: string, items: readonly PromptItem[], rewardNames: readonly string[], learnedReward: boolean): string | null {
  const used = rewardNames.filter((n) => Object.hasOwn(VERIFIER_NEEDS, n));
  if (used.length === 0 || learnedReward) return null;
  const missing = items.filter((it) => !used.some((n) => VERIFIER_NEEDS[n].has(it.example))).length;
  const need = used.map((n) => `${VERIFIER_NEEDS[n].what} for the ${n} reward`).join(', or ');
  if (missing === items.length) throw new InputError({ file }, `no row has ${need}: the verifier would decline every completion; add them, or choose rewards that need none`);
  return missing > 0 ? `${file}: ${missing} of ${items.length} rows have no ${need.replace(/^a /, '')}; the verifier declines those rows' completions (advantage 0 from it)` : null;
}

/** Cycles through `items`, in a fresh seeded shuffle every epoch. */
export function filePrompts(items: readonly PromptItem[], seed: number, label: string): PromptSource {
  let pos: PromptPosition = { epoch: 0, index: 0 };
  let order: number[] | null = null;
  const shuffle = () => {
    order = new Rng((seed ^ Math.imul(pos.epoch + 1, 0x85ebca6b)) >>> 0).shuffle(items.map((_, i) => i));
  };
  return {
    label,
    next() {
      if (!order) shuffle();
      if (pos.index >= items.length) {
        pos = { epoch: pos.epoch + 1, index: 0 };
        shuffle();
      }
      const item = items[order![pos.index]];
      pos = { epoch: pos.epoch, index: pos.index + 1 };
      return item;
    },
    position: () => ({ ...pos }),
    seek(p) {
      pos = { ...p };
      order = null;
    },
  };
}
