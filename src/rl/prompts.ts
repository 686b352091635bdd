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
import { parseChatMessages, rowChatTemplateArgs, type ChatTemplateArgs } from '../model/chat-template.js';
import type { ChatMessage, Tokenizer } from '../model/tokenizer.js';

/** One prompt the trainer samples a group for. */
export interface PromptItem {
  id: string;
  prompt: string;
  /** What reward functions see: the gold answer plus task fields. */
  example: RewardExample;
  /** The task problem, when the prompt came from a task (its verifier judges correctness). */
  problem?: Problem;
  taskVerify?: Task['verify'];
  /**
   * A conversational prompt (a data file's `prompt` as a list of messages, TRL's conversational
   * format): `prompt` is its chat-template rendering, made by renderChatPrompts once the tokenizer
   * is loaded (empty until then), with these template variables.
   */
  messages?: readonly ChatMessage[];
  templateArgs?: ChatTemplateArgs;
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
 * Reads a JSON Lines data set: `prompt` is used verbatim, or, as a list of messages, rendered with
 * the model's chat template (renderChatPrompts) with the run's template variables (`runArgs`,
 * checked already) and the row's own `chat_template_kwargs`; a bare `problem` or `question`
 * (code data: LiveCodeBench's `question_content`, MBPP's `text` + asserts) is put in the R1-Zero
 * frame (the same one the built-in tasks use). Rows are all text or all conversations, as TRL's
 * first row decides for a whole data set.
 * The gold answer is `answer` or `gold`; code tests in any form of docs/rewards.md are checked
 * here. Other fields are passed to the reward functions unchanged.
 */
export function readPromptFile(file: string, runArgs: ChatTemplateArgs = {}): PromptItem[] {
  const records = readJsonl(file);
  if (records.length === 0) throw new InputError({ file }, 'no prompts in the file');
  const chat = Array.isArray(records[0].value.prompt);
  const items = records.map(({ line, value }) => {
    if (Array.isArray(value.prompt) !== chat) {
      throw new InputError({ file, line, field: 'prompt' }, `${chat ? 'must be a list of messages' : 'is a list of messages'}, as line ${records[0].line}'s ${chat ? 'is' : 'is not'}: every row's prompt is given the same way`);
    }
    if (chat) return chatItem(file, line, value, runArgs);
    if (value.chat_template_kwargs !== undefined) throw new InputError({ file, line, field: 'chat_template_kwargs' }, 'applies to a "prompt" given as a list of messages; a text prompt is used verbatim, no chat template rendered');
    const key = PROMPT_FIELDS.find((k) => value[k] !== undefined);
    const codeText = key ? null : codeProblemText(value);
    if (codeText) return fileItem(file, line, value, frame(codeText.text));
    if (!key) throw new InputError({ file, line, field: 'prompt' }, 'missing: give "prompt" (verbatim, or a list of messages) or "problem"/"question" (framed)');
    const text = value[key];
    if (typeof text !== 'string' || text.trim() === '') throw new InputError({ file, line, field: key }, 'must be a non-empty string or a list of messages');
    return fileItem(file, line, value, key === 'prompt' ? text : frame(text));
  });
  if (!chat && Object.keys(runArgs).length > 0) {
    throw new InputError({ file }, 'chat_template_kwargs are given, but the prompts are text, used verbatim (no chat template is rendered); give each "prompt" as a list of messages');
  }
  return items;
}

/** A row whose prompt is a list of messages (the model answers the last, a user's): checked now, rendered once the tokenizer is loaded. */
function chatItem(file: string, line: number, value: Record<string, unknown>, runArgs: ChatTemplateArgs): PromptItem {
  const messages = parseChatMessages(value.prompt, { file, line, field: 'prompt' });
  const last = messages.length - 1;
  if (messages[last].role !== 'user') throw new InputError({ file, line, field: `prompt[${last}].role` }, 'the last message must be the user\'s, which the model answers');
  return { ...fileItem(file, line, value, ''), messages, templateArgs: rowChatTemplateArgs(value, { file, line }, runArgs) };
}

/**
 * Conversational items with `prompt` rendered by the tokenizer's chat template (ending with the
 * assistant turn's opening, as TRL renders prompts for generation); other items as they are.
 */
export function renderChatPrompts(items: readonly PromptItem[], tokenizer: Tokenizer, file: string): PromptItem[] {
  const chat = items.some((it) => it.messages !== undefined);
  if (chat && tokenizer.chatTemplate === null) throw new InputError({ file, field: 'prompt' }, "prompts are lists of messages, but the model's tokenizer has no chat template to render them; give text prompts");
  return items.map((it) => {
    if (it.messages === undefined) return it;
    try {
      return withThinkPrefilled({ ...it, prompt: tokenizer.applyChatTemplate(it.messages, { addGenerationPrompt: true, templateArgs: it.templateArgs }) });
    } catch (err) {
      if (err instanceof AhaError) throw new AhaError(`${file}, row ${it.id}: ${err.message}`);
      throw err;
    }
  });
}

/**
 * How a run's prompt texts become ids: a rendered chat template carries its special tokens
 * already (encoded without the tokenizer's own, as TRL does); text prompts get them.
 */
export function promptEncoder(tokenizer: Tokenizer, items: readonly PromptItem[] | null): (prompt: string) => Int32Array {
  const addSpecialTokens = !(items ?? []).some((it) => it.messages !== undefined);
  return (prompt) => tokenizer.encode(prompt, { addSpecialTokens });
}

/**
 * An item whose prompt ends by opening the think block (R1-Distill's chat template ends its
 * generation prompt with "<think>\n"; some R1-Zero frames end "Assistant: <think>") is marked
 * `think_prefilled` with that tail: the completion starts inside the block, and the format rewards
 * read it as if the tail preceded it — otherwise they would score every completion of such a model 0.
 */
export function withThinkPrefilled(it: PromptItem): PromptItem {
  const open = /<think>\s*$/.exec(it.prompt);
  return open ? { ...it, example: { ...it.example, think_prefilled: open[0] } } : it;
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
  return withThinkPrefilled({ id, prompt, example });
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
