// Satori's Chain-of-Action-Thought in RL (Shen et al. 2025): reading meta-actions back out of a
// completion, the reflection bonus, Restart-and-Explore prompts and the COAT metrics.
//
// A completion's thinking is a list of steps, each after the first opened by a meta-action. The
// intermediate answer after a step is the last candidate stated so far (the task says how to read
// one and how to verify it: tasks/coat-demos.ts for Countdown). A `<|reflect|>` turn *changes* the
// answer when the candidate after its step differs from the one before; it *fixes* it when the one
// before was wrong and the one after is right, and *breaks* it the other way round.
//
// Restart-and-Explore: earlier trajectories (right and wrong ones) are cut at a step boundary, the
// last t ≤ 2 steps dropped, and `<|reflect|>` appended; some of the step's prompts are these states
// (prompt + prefix), so the policy practises going on from the middle of a trajectory, a failed one
// included. The verifier still judges only the completion's final answer (the prefix never holds
// one), so the outcome reward stays the main signal.
import { Rng } from '../util/rng.js';
import { AhaError } from '../util/errors.js';
import { META_ACTIONS, REFLECT, type MetaAction } from '../util/meta-actions.js';
import type { RewardExample, RewardFunction } from '../rewards/types.js';
import type { PromptItem, PromptPosition, PromptSource } from './prompts.js';

/** How a task's intermediate answers are read and judged. */
export interface CandidateReader {
  /** The last candidate stated in a piece of working, or null. */
  candidate(text: string): string | null;
  /** A verifier of candidates for this problem; null when the example does not carry the problem. */
  judge(example: RewardExample): ((candidate: string) => boolean) | null;
}

export interface ReflectionTurn {
  /** Index of the `<|reflect|>` token in the text. */
  at: number;
  before: string | null;
  after: string | null;
  changed: boolean;
  fixed: boolean;
  broke: boolean;
}

const THINK_END = '</think>';
const META_RE = new RegExp(META_ACTIONS.map((m) => m.replace(/[|]/g, '\\|')).join('|'), 'g');

/** Each meta-action in `text` with its index. */
export function metaActionsIn(text: string): { action: MetaAction; at: number }[] {
  return [...text.matchAll(META_RE)].map((m) => ({ action: m[0] as MetaAction, at: m.index }));
}

/** The reflect turns of `text` (within its thinking) whose token starts at or after `from`. */
export function reflectionTurns(text: string, reader: CandidateReader, judge: (c: string) => boolean, from = 0): ReflectionTurn[] {
  const end = text.includes(THINK_END) ? text.indexOf(THINK_END) : text.length;
  const metas = metaActionsIn(text.slice(0, end));
  const out: ReflectionTurn[] = [];
  metas.forEach((m, k) => {
    if (m.action !== REFLECT || m.at < from) return;
    const stepEnd = k + 1 < metas.length ? metas[k + 1].at : end;
    const before = reader.candidate(text.slice(0, m.at));
    const after = reader.candidate(text.slice(0, stepEnd));
    const changed = after !== null && after !== before;
    const wasRight = before !== null && judge(before);
    const isRight = after !== null && judge(after);
    out.push({ at: m.at, before, after, changed, fixed: changed && !wasRight && isRight, broke: changed && wasRight && !isRight });
  });
  return out;
}

/** Example fields a restarted prompt carries (the prefix is part of the prompt the model saw). */
export const RESTART_PREFIX_FIELD = 'coat_prefix';

export interface ReflectionBonusOptions {
  /** β: + for a reflection that fixes the answer, − for one that breaks it (Satori's 0.5). */
  beta: number;
  reader: CandidateReader;
}

/**
 * The reflection bonus as a reward function (`coat_reflection`): β·clamp(fixes − breaks, −1, 1)
 * over the reflect turns the policy wrote (those in the completion, plus the `<|reflect|>` a restart
 * appended to its prefix, whose step the completion writes). Null when the example has no puzzle.
 */
export function reflectionBonus(o: ReflectionBonusOptions): RewardFunction {
  if (!(Number.isFinite(o.beta) && o.beta >= 0)) throw new AhaError(`reflection bonus: beta must be a number ≥ 0, got ${o.beta}`);
  return {
    name: 'coat_reflection',
    description: `Satori's reflection bonus: +${o.beta} when a <|reflect|> turns a wrong intermediate answer right, -${o.beta} when it turns a right one wrong`,
    score(completion, example) {
      const judge = o.reader.judge(example);
      if (!judge) return null;
      const prefix = typeof example[RESTART_PREFIX_FIELD] === 'string' ? (example[RESTART_PREFIX_FIELD] as string) : '';
      const from = prefix.endsWith(REFLECT) ? prefix.length - REFLECT.length : prefix.length;
      let net = 0;
      for (const t of reflectionTurns(prefix + completion, o.reader, judge, from)) net += t.fixed ? 1 : t.broke ? -1 : 0;
      return o.beta * Math.max(-1, Math.min(1, net));
    },
  };
}

/** An earlier trajectory: the prompt it answered, its completion and whether the verifier said right. */
export interface Trajectory {
  item: PromptItem;
  completion: string;
  correct: boolean;
}

/** A state to restart from: the item with the prefix (ending in `<|reflect|>`) to go on from. */
export interface RestartState {
  item: PromptItem;
  prefix: string;
  /** From a right trajectory (Satori's D+) or a wrong one (D−). */
  fromCorrect: boolean;
}

/**
 * Restart states of a trajectory: its thinking cut at each step boundary that drops the last t ≤
 * `maxDrop` steps (t = 0 keeps all the thinking but not the answer), with `<|reflect|>` appended.
 * A completion that does not open with a thinking block (a chat model's COAT answer, Satori's own
 * format) is all working, its final answer in its last step: that step is always dropped (t ≥ 1).
 */
export function restartStates(t: Trajectory, maxDrop = 2): RestartState[] {
  // The thinking block was opened by the completion, or by the prompt (R1-Distill's template).
  const prefilled = t.item.example.think_prefilled;
  const thinks = t.completion.startsWith('<think>') || prefilled === true || typeof prefilled === 'string';
  // A trajectory that never closed its thinking (cut off at the length limit) is all thinking.
  const end = thinks ? t.completion.indexOf(THINK_END) : -1;
  const thinking = end < 0 ? t.completion : t.completion.slice(0, end);
  const bounds = [...metaActionsIn(thinking).map((m) => m.at), thinking.length];
  const last = thinks ? bounds.length : bounds.length - 1;
  const out: RestartState[] = [];
  for (let k = Math.max(0, bounds.length - 1 - maxDrop); k < last; k++) {
    const prefix = thinking.slice(0, bounds[k]);
    if (!/\d/.test(prefix)) continue; // nothing stated yet
    out.push({ item: t.item, prefix: prefix + REFLECT, fromCorrect: t.correct });
  }
  return out;
}

/**
 * The restart buffer from trajectories: their restart states (restartStates) whose prompt + prefix,
 * encoded, is at most `room` tokens, so a whole completion still fits in the context after it.
 */
export function fittingRestartStates(trajectories: readonly Trajectory[], encode: (text: string) => ArrayLike<number>, room: number, maxDrop = 2): RestartState[] {
  return trajectories.flatMap((t) => restartStates(t, maxDrop)).filter((s) => encode(s.item.prompt + s.prefix).length <= room);
}

/**
 * The prompt item of a restart state: prompt + prefix, the prefix recorded for the reflection bonus.
 * A prefix that opened the thinking block makes the example `think_prefilled`: the format rewards
 * read the completion as if "<think>" preceded it (without it no restart completion could pass them);
 * a prompt that opened it itself keeps its own mark (withThinkPrefilled's tail).
 * A conversational prompt is already rendered, so the prefix continues the assistant's turn.
 */
export function restartItem(s: RestartState): PromptItem {
  const opened = s.prefix.startsWith('<think>') || (s.item.example.think_prefilled ?? false);
  return {
    ...s.item,
    id: `${s.item.id}#restart`,
    prompt: s.item.prompt + s.prefix,
    example: { ...s.item.example, [RESTART_PREFIX_FIELD]: s.prefix, coat_restart_from: s.fromCorrect ? 'correct' : 'wrong', think_prefilled: opened },
  };
}

export interface RestartPromptOptions {
  /** Share of prompts that are restart states, in [0, 1). */
  share: number;
  seed: number;
}

/**
 * Prompts of `base`, a `share` of them replaced by restart states (right and wrong ones alternately,
 * so failed trajectories are always among them). Whether the n-th prompt is replaced and by which
 * state depends only on (seed, position), so the base source's position still resumes exactly.
 */
export function restartPrompts(base: PromptSource, states: readonly RestartState[], o: RestartPromptOptions): PromptSource {
  if (!(o.share >= 0 && o.share < 1)) throw new AhaError(`restart_share must be in [0, 1), got ${o.share}`);
  if (o.share > 0 && states.length === 0) throw new AhaError('restart-and-explore: no restart states (no earlier trajectory had a thinking block)');
  const pools = [states.filter((s) => !s.fromCorrect), states.filter((s) => s.fromCorrect)].filter((p) => p.length > 0);
  return {
    label: `${base.label}+restart(${o.share})`,
    next() {
      const pos = base.position();
      const item = base.next();
      const rng = new Rng((o.seed ^ Math.imul(pos.epoch + 1, 0x27d4eb2f) ^ Math.imul(pos.index + 1, 0x165667b1)) >>> 0);
      if (rng.next() >= o.share) return item;
      const pool = pools[rng.int(pools.length)];
      return restartItem(pool[rng.int(pool.length)]);
    },
    position: (): PromptPosition => base.position(),
    seek: (p) => base.seek(p),
  };
}

/** COAT metrics over a set of answers. */
export interface CoatMetrics {
  n: number;
  accuracy: number;
  /** Each meta-action per answer. */
  continue_per_answer: number;
  reflect_per_answer: number;
  explore_per_answer: number;
  /** Reflect turns that changed the intermediate answer. */
  reflect_changed: number;
  reflect_fixed: number;
  reflect_broke: number;
  /** fixed / changed (NaN when no reflection changed an answer). */
  reflect_fix_rate: number;
}

/** COAT metrics of answers (`text` is what the model wrote for the item, prefix included). */
export function coatMetrics(rows: readonly { text: string; example: RewardExample; correct: boolean }[], reader: CandidateReader): CoatMetrics {
  const counts = { '<|continue|>': 0, '<|reflect|>': 0, '<|explore|>': 0 } as Record<MetaAction, number>;
  let changed = 0;
  let fixed = 0;
  let broke = 0;
  let right = 0;
  for (const r of rows) {
    if (r.correct) right++;
    for (const m of metaActionsIn(r.text)) counts[m.action]++;
    const judge = reader.judge(r.example);
    if (!judge) continue;
    for (const t of reflectionTurns(r.text, reader, judge)) {
      if (t.changed) changed++;
      if (t.fixed) fixed++;
      if (t.broke) broke++;
    }
  }
  const n = Math.max(1, rows.length);
  return {
    n: rows.length,
    accuracy: right / n,
    continue_per_answer: counts['<|continue|>'] / n,
    reflect_per_answer: counts['<|reflect|>'] / n,
    explore_per_answer: counts['<|explore|>'] / n,
    reflect_changed: changed,
    reflect_fixed: fixed,
    reflect_broke: broke,
    reflect_fix_rate: changed > 0 ? fixed / changed : NaN,
  };
}
