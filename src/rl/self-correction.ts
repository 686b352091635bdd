// SCoRe (Kumar et al. 2024): self-correction trained by two-attempt RL. A rollout answers the
// prompt (y1); a fixed instruction saying the answer may be wrong is appended after y1 and the
// model answers again (y2); the task's verifier grades both. Attempt 2 is an ordinary row whose
// prompt is prompt + y1 + instruction (with conversational prompts: the chat continued by y1 as the
// assistant's turn and the instruction as the user's), so y1 and the instruction are context and
// never in the loss.
// Stage I rewards y2 only, with a strong KL (score_beta_first) holding attempt 1 to the starting
// policy; Stage II rewards both attempts, y2 with the shaped bonus α·(r̂(y2) − r̂(y1)).
// docs/self-correction.md (## SCoRe) has the design and the figures.
import { AhaError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { batchRewards, computeAdvantages, zeroStdGroups, type AdvantageEstimator, type CombinedRewards, type ScaleRewards } from './advantages.js';
import type { CollectedBatch } from './dynamic-sampling.js';
import { withThinkPrefilled, type PromptItem, type PromptSource } from './prompts.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { rollout, type Judges, type RolloutOptions, type Sampler, type ScoredRow } from './rollout.js';
import { lossTokens } from './packing.js';
import { afterPromptOpening, RETRY_TURN } from '../tasks/task.js';

/**
 * The user turn between the attempts with text prompts: the demo frame's RETRY_TURN (SCoRe's p,
 * paraphrased in the demo tokenizer's characters), which keeps the chat frame of the task prompts
 * and opens the think block (the format rewards then count that "<think>").
 */
export const SCORE_INSTRUCTION = RETRY_TURN;

/**
 * The default user turn between the attempts with conversational prompts (a real model's chat):
 * SCoRe's instruction in aha's words — the solution may be wrong; correct it, rewrite all of it,
 * and keep the final answer's format (so the task's verifier still finds it).
 */
export const SCORE_CHAT_INSTRUCTION = 'There may be an error in your solution above. Find it if there is one, correct it, and write the whole solution again, giving the final answer in the same format as before.';

/**
 * The instruction a run uses: the one set, except that the default text frame (SCORE_INSTRUCTION,
 * "User: … Assistant: <think>") gives way to the chat wording with conversational prompts, where
 * the instruction is the user's turn and the template frames it.
 */
export function scoreInstructionFor(instruction: string, conversational: boolean): string {
  return conversational && instruction === SCORE_INSTRUCTION ? SCORE_CHAT_INSTRUCTION : instruction;
}

export type ScoreStage = 1 | 2 | 'both';

/**
 * Stage II's baseline for attempt 2 (docs/self-correction.md, "The two stages"): `group` normalises
 * the G second attempts of a prompt together; `first_outcome` normalises those after a right first
 * attempt apart from those after a wrong one, so the bonus's −α·r̂(y1), fixed before y2 is sampled,
 * is constant within each subgroup and drops out instead of adding noise of size α.
 */
export type ScoreSecondBaseline = 'group' | 'first_outcome';
export const SCORE_SECOND_BASELINES: readonly ScoreSecondBaseline[] = ['group', 'first_outcome'];

/**
 * What attempt 2's prompt keeps of the first attempt: `full`, y1 as written; `answer`, y1 with its
 * reasoning dropped (the text after its think block, usually the answer block alone), as the chat
 * templates of reasoning models (Qwen3's; R1's recommended practice) drop earlier turns'
 * reasoning. Between the prompt and the instruction the second turn then reads y1's answer alone.
 */
export type ScoreFirstAttemptContext = 'full' | 'answer';
export const SCORE_FIRST_ATTEMPT_CONTEXTS: readonly ScoreFirstAttemptContext[] = ['full', 'answer'];

/** The SCoRe options of a GRPO config (validated by `checkScoreOptions`). */
export interface ScoreOptions {
  /** 'none' (single-attempt GRPO) or 'score' (two attempts, SCoRe stages). */
  self_correction: 'none' | 'score';
  /** 1 or 2 for one stage the whole run; 'both' = Stage I for score_stage_one_steps steps, then Stage II. */
  score_stage: ScoreStage;
  /** With 'both': steps of Stage I (null = half of max_steps). */
  score_stage_one_steps: number | null;
  /** α of Stage II's shaped bonus α·(r̂(y2) − r̂(y1)) (paper 10, unverified). */
  score_alpha: number;
  /** β₂ of Stage I, the KL coefficient on attempt-1 rows (paper 0.1 on MATH, unverified). */
  score_beta_first: number;
  /**
   * Between the attempts: text appended after y1 (text prompts), or the user message after y1's
   * assistant turn (conversational prompts). Left at SCORE_INSTRUCTION with conversational prompts,
   * the run uses SCORE_CHAT_INSTRUCTION (prepareGrpo; config.json records the one used).
   */
  score_instruction: string;
  /** Stage II: attempt 2's group-relative baseline over the whole group, or per first-attempt outcome. */
  score_second_baseline: ScoreSecondBaseline;
  /** What attempt 2's prompt keeps of y1: all of it, or its answer without the reasoning. */
  score_first_attempt_context: ScoreFirstAttemptContext;
  /**
   * The warm-up before Stage I (docs/self-correction.md, "The warm-up"): prompts whose G first
   * attempts are sampled and paired into re-attempt transcripts (`reattemptPairs`) for a short SFT,
   * so a model that has never seen a second turn starts with a fair one. 0 = no warm-up.
   */
  score_warmup_prompts: number;
  /** The warm-up SFT's passes over its transcripts. */
  score_warmup_epochs: number;
  /** The warm-up SFT's peak learning rate. */
  score_warmup_learning_rate: number;
  /** The warm-up SFT's batch size (transcripts per optimizer step). */
  score_warmup_batch_size: number;
}

export const SCORE_DEFAULTS: ScoreOptions = {
  self_correction: 'none',
  score_stage: 'both',
  score_stage_one_steps: null,
  score_alpha: 10,
  score_beta_first: 0.1,
  score_instruction: SCORE_INSTRUCTION,
  score_second_baseline: 'group',
  score_first_attempt_context: 'full',
  score_warmup_prompts: 0,
  score_warmup_epochs: 3,
  score_warmup_learning_rate: 3e-4,
  score_warmup_batch_size: 16,
};

/** The warm-up's settings besides its switch (score_warmup_prompts). */
const WARMUP_SETTINGS = ['score_warmup_epochs', 'score_warmup_learning_rate', 'score_warmup_batch_size'] as const;

const SCORE_KEYS = Object.keys(SCORE_DEFAULTS).filter((k) => k !== 'self_correction') as (keyof ScoreOptions)[];

/**
 * Checks the SCoRe options against each other and the rest of the config; returns score_stage
 * normalised (a CLI "1" becomes 1). Every error names the field.
 */
export function checkScoreOptions(c: ScoreOptions & { max_steps: number; dynamic_sampling: boolean; multi_objective_aggregation: string; lora: string | null; scale_rewards: ScaleRewards; advantage_estimator: AdvantageEstimator }): ScoreStage {
  const fail = (field: string, msg: string): never => {
    throw new AhaError(`${field}: ${msg}`);
  };
  if (c.self_correction !== 'none' && c.self_correction !== 'score') fail('self_correction', `unknown value "${String(c.self_correction)}"; choose none or score`);
  if (c.self_correction === 'none') {
    for (const k of SCORE_KEYS) {
      if (JSON.stringify(c[k]) !== JSON.stringify(SCORE_DEFAULTS[k])) fail(k, 'is a SCoRe option: set self_correction: score (or --recipe score) to use it');
    }
    return c.score_stage;
  }
  const raw = c.score_stage as unknown;
  const stage: ScoreStage = raw === 'both' ? 'both' : raw === 1 || raw === '1' ? 1 : raw === 2 || raw === '2' ? 2 : fail('score_stage', `must be 1, 2 or both, got ${JSON.stringify(raw)}`);
  const n = c.score_stage_one_steps;
  if (n !== null) {
    if (stage !== 'both') fail('score_stage_one_steps', `splits a run into Stage I then Stage II; it conflicts with score_stage ${stage}`);
    if (!Number.isInteger(n) || n < 0 || n > c.max_steps) fail('score_stage_one_steps', `must be an integer from 0 to max_steps (${c.max_steps}), got ${n}`);
  }
  if (!(typeof c.score_alpha === 'number' && Number.isFinite(c.score_alpha) && c.score_alpha >= 0)) fail('score_alpha', `must be a number >= 0, got ${c.score_alpha}`);
  if (!(typeof c.score_beta_first === 'number' && Number.isFinite(c.score_beta_first) && c.score_beta_first >= 0)) fail('score_beta_first', `must be a number >= 0, got ${c.score_beta_first}`);
  if (typeof c.score_instruction !== 'string' || c.score_instruction.trim() === '') fail('score_instruction', 'must be a non-empty string');
  checkSecondBaseline(c, stage, fail);
  if (!SCORE_FIRST_ATTEMPT_CONTEXTS.includes(c.score_first_attempt_context)) fail('score_first_attempt_context', `unknown value ${JSON.stringify(c.score_first_attempt_context)}; choose ${SCORE_FIRST_ATTEMPT_CONTEXTS.join(' or ')}`);
  if (c.dynamic_sampling) fail('dynamic_sampling', 'conflicts with self_correction score (two-attempt groups are trained whole)');
  if (c.multi_objective_aggregation !== 'sum_then_normalize') fail('multi_objective_aggregation', 'must be sum_then_normalize with self_correction score (the shaped reward is one total, not per-function columns)');
  checkWarmup(c, fail);
  return stage;
}

/** score_second_baseline: a known value, and with first_outcome a Stage II that uses it and group statistics to condition. */
function checkSecondBaseline(c: ScoreOptions & { scale_rewards: ScaleRewards; advantage_estimator: AdvantageEstimator }, stage: ScoreStage, fail: (field: string, msg: string) => never): void {
  const b = c.score_second_baseline;
  if (!SCORE_SECOND_BASELINES.includes(b)) fail('score_second_baseline', `unknown value ${JSON.stringify(b)}; choose ${SCORE_SECOND_BASELINES.join(' or ')}`);
  if (b === 'group') return;
  if (stage === 1) fail('score_second_baseline', 'first_outcome sets Stage II\'s baseline for attempt 2; it conflicts with score_stage 1');
  // REINFORCE++ has no group baseline to split, and a batch-wide σ of the shaped rewards would still carry −α·r̂(y1)'s spread.
  if (c.advantage_estimator === 'reinforce_plus_plus') fail('score_second_baseline', 'first_outcome splits each group\'s baseline; advantage_estimator reinforce_plus_plus has none (use grpo or rloo)');
  if (c.scale_rewards === 'batch') fail('score_second_baseline', 'first_outcome conflicts with scale_rewards batch (a batch-wide sigma would still pool second attempts after right and wrong first ones); use group or none');
}

/** The warm-up's options: whole numbers where they count things, and nothing set for a warm-up that is off. */
function checkWarmup(c: ScoreOptions & { lora: string | null }, fail: (field: string, msg: string) => never): void {
  const n = c.score_warmup_prompts;
  if (!Number.isInteger(n) || n < 0) fail('score_warmup_prompts', `must be an integer >= 0 (0 = no warm-up), got ${JSON.stringify(n)}`);
  if (n === 0) {
    for (const k of WARMUP_SETTINGS) if (c[k] !== SCORE_DEFAULTS[k]) fail(k, 'sets the warm-up, which is off: set score_warmup_prompts > 0 to use it');
    return;
  }
  if (c.lora !== null) fail('score_warmup_prompts', 'the warm-up is a full-weight SFT and conflicts with lora; start from a model that already writes a second attempt, or set score_warmup_prompts: 0');
  const e = c.score_warmup_epochs;
  if (!Number.isInteger(e) || e < 1) fail('score_warmup_epochs', `must be an integer >= 1, got ${JSON.stringify(e)}`);
  const lr = c.score_warmup_learning_rate;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) fail('score_warmup_learning_rate', `must be a number > 0, got ${JSON.stringify(lr)}`);
  const b = c.score_warmup_batch_size;
  if (!Number.isInteger(b) || b < 1) fail('score_warmup_batch_size', `must be an integer >= 1, got ${JSON.stringify(b)}`);
}

/** The stage (1 or 2) of the step that starts after `step` completed steps. */
export function stageAt(step: number, o: Pick<ScoreOptions, 'score_stage' | 'score_stage_one_steps'>, maxSteps: number): 1 | 2 {
  if (o.score_stage !== 'both') return o.score_stage;
  return step < (o.score_stage_one_steps ?? Math.floor(maxSteps / 2)) ? 1 : 2;
}

/** Whether the run needs the frozen reference model: a KL on any row. */
export function needsReference(c: ScoreOptions & { beta: number; score_stage: ScoreStage }): boolean {
  return c.beta > 0 || (c.self_correction === 'score' && c.score_stage !== 2 && c.score_beta_first > 0);
}

/** How attempt 2's prompt is written from the item and y1's text. */
export type SecondAttemptPrompt = (item: PromptItem, firstText: string) => string;

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

/**
 * y1 without its reasoning (score_first_attempt_context: answer): the text after its last
 * `</think>`, leading white space dropped, as Qwen3's chat template keeps an earlier assistant
 * turn. A think block that was opened (by y1, or by its prompt: `promptOpened`) and never closed
 * is all reasoning, so nothing is left; a y1 with no think block at all is kept whole. With
 * `closePromptBlock` (a text prompt, which stays as it was written), a block the prompt opened is
 * closed empty by y1's own `</think>`, so the transcript stays well-formed.
 */
export function firstAnswerOnly(firstText: string, promptOpened: boolean, closePromptBlock = false): string {
  const close = firstText.lastIndexOf(THINK_CLOSE);
  if (close < 0) return promptOpened || firstText.includes(THINK_OPEN) ? '' : firstText;
  return promptOpened && closePromptBlock ? firstText.slice(close) : firstText.slice(close + THINK_CLOSE.length).replace(/^\s+/, '');
}

/**
 * Attempt 2's prompt: a text prompt gets y1's text and the instruction appended; a conversational
 * one (item.messages) is the chat continued — y1 as the assistant's turn, the instruction as the
 * user's — rendered by the model's chat template with the assistant's next turn opened, as the
 * first attempt's prompt was (a real model sees its own turn markers, not the miniature's frame).
 * With `context` answer, y1 enters either form without its reasoning (firstAnswerOnly).
 */
export function secondAttemptPrompt(instruction: string, tokenizer?: Pick<Tokenizer, 'applyChatTemplate'>, context: ScoreFirstAttemptContext = 'full'): SecondAttemptPrompt {
  return (item, text) => {
    const opened = typeof item.example.think_prefilled === 'string';
    if (item.messages === undefined) return item.prompt + (context === 'answer' ? firstAnswerOnly(text, opened, true) : text) + instruction;
    if (!tokenizer) throw new AhaError(`self_correction score: item ${item.id} is a list of messages; its second attempt needs the tokenizer's chat template`);
    // The template renders y1 as an assistant turn of its own, without the generation prompt's opening.
    const chat = [...item.messages, { role: 'assistant', content: context === 'answer' ? firstAnswerOnly(text, opened) : text }, { role: 'user', content: instruction }];
    return tokenizer.applyChatTemplate(chat, { addGenerationPrompt: true, templateArgs: item.templateArgs });
  };
}

/**
 * Refuses an instruction with characters the tokenizer only knows as its unknown token (the demo's
 * character tokenizer reads any letter outside its 58 characters as <unk>, an embedding pretraining
 * never trained), naming them, before anything is sampled.
 */
export function assertInstructionEncodable(instruction: string, tokenizer: Pick<Tokenizer, 'encode' | 'tokenToId'>, modelDir: string): void {
  const unk = tokenizer.tokenToId('<unk>') ?? tokenizer.tokenToId('[UNK]');
  if (unk === undefined || !tokenizer.encode(instruction, { addSpecialTokens: false }).includes(unk)) return;
  const unknown = [...new Set(Array.from(instruction))].filter((ch) => tokenizer.encode(ch, { addSpecialTokens: false }).includes(unk));
  throw new AhaError(`score_instruction: ${unknown.map((ch) => JSON.stringify(ch)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the tokenizer of ${modelDir}, which would read ${unknown.length === 1 ? 'it' : 'them'} as <unk>; write the instruction in the characters its vocabulary has`);
}

/**
 * Attempt 2's prompt item (context: the prompt, y1 and the instruction). Whether it opened the
 * think block is its own (withThinkPrefilled), not the first prompt's.
 */
export function secondAttemptItem(first: ScoredRow, prompt: SecondAttemptPrompt): PromptItem {
  const { think_prefilled: _first, ...example } = first.item.example;
  return withThinkPrefilled({ ...first.item, prompt: prompt(first.item, first.text), example });
}

/** A rollout's options, with the instruction and the context every attempt-2 prompt must fit. */
export interface TwoAttemptOptions extends RolloutOptions {
  maxCompletionTokens: number;
  /** Attempt 2's prompt (secondAttemptPrompt). */
  secondPrompt: SecondAttemptPrompt;
  /** The model's context: every attempt-2 prompt plus maxCompletionTokens must fit in it. */
  contextLength: number;
}

export interface TwoAttempts {
  /** Attempt 1, G rows per item, grouped by item. */
  first: ScoredRow[];
  /** Attempt 2, row i answering after first[i]. */
  second: ScoredRow[];
  sampleSeconds: number;
  scoreSeconds: number;
  sampledTokens: number;
}

/** Samples and grades both attempts of G rollouts per item. */
export async function twoAttemptRollout(o: TwoAttemptOptions): Promise<TwoAttempts> {
  const a = await rollout({ items: o.items, groupSize: o.groupSize, encode: o.encode, sampler: o.sampler, rng: o.rng, judges: o.judges, weights: o.weights, maxCompletionTokens: o.maxCompletionTokens });
  const items2 = a.rows.map((r) => secondAttemptItem(r, o.secondPrompt));
  const encode2 = (prompt: string): Int32Array => {
    const ids = o.encode(prompt);
    if (ids.length + o.maxCompletionTokens > o.contextLength) {
      throw new AhaError(`self_correction score: an attempt-2 prompt (prompt + first answer + score_instruction) of ${ids.length} tokens plus max_completion_length ${o.maxCompletionTokens} exceeds the model's context of ${o.contextLength}`);
    }
    return ids;
  };
  const b = await rollout({ items: items2, groupSize: 1, encode: encode2, sampler: o.sampler, rng: o.rng, judges: o.judges, weights: o.weights, maxCompletionTokens: o.maxCompletionTokens });
  return {
    first: a.rows,
    second: b.rows,
    sampleSeconds: a.sampleSeconds + b.sampleSeconds,
    scoreSeconds: a.scoreSeconds + b.scoreSeconds,
    sampledTokens: a.sampledTokens + b.sampledTokens,
  };
}

/**
 * The rewards trained on, per attempt. Stage I: attempt 1 carries none (null: advantage 0, only its
 * KL term acts), attempt 2 its own reward r(y2). Stage II: r(y1), and r(y2) + α·(r̂(y2) − r̂(y1))
 * with r̂ the verifier's 0/1. Each attempt's tokens get their own attempt's reward (see the doc).
 */
export function scoreRewards(first: readonly ScoredRow[], second: readonly ScoredRow[], stage: 1 | 2, alpha: number): { first: (number | null)[]; second: (number | null)[] } {
  if (first.length !== second.length) throw new RangeError(`scoreRewards: ${first.length} first attempts but ${second.length} second`);
  const hat = (r: ScoredRow) => (r.correct ? 1 : 0);
  return {
    first: first.map((r) => (stage === 1 ? null : r.reward)),
    second: second.map((r, i) => (r.reward === null ? null : stage === 1 ? r.reward : r.reward + alpha * (hat(r) - hat(first[i])))),
  };
}

/** Per-row KL coefficient: β₂ on attempt-1 rows in Stage I, the run's β everywhere else. */
export function scoreRowBeta(rows: number, stage: 1 | 2, beta: number, betaFirst: number): Float64Array {
  const out = new Float64Array(2 * rows).fill(beta);
  if (stage === 1) out.fill(betaFirst, 0, rows);
  return out;
}

/** Levenshtein distance between two strings (the collapse check: y2 copying y1 has distance 0). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The paper's self-correction metrics over paired attempts (shares in [0, 1]). */
export interface SelfCorrectionMetrics {
  acc_t1: number;
  acc_t2: number;
  /** Acc@t2 − Acc@t1. */
  delta_t1_t2: number;
  /** Share of problems wrong at t1 and right at t2. */
  delta_i2c: number;
  /** Share right at t1 and wrong at t2. */
  delta_c2i: number;
  /** Share whose y2 is y1's text unchanged, and the mean edit distance over max length (0 = copy). */
  same_answer_frac: number;
  edit_distance: number;
}

export function selfCorrectionMetrics(pairs: readonly { first: boolean; second: boolean; firstText: string; secondText: string }[]): SelfCorrectionMetrics {
  const n = pairs.length;
  if (n === 0) throw new RangeError('selfCorrectionMetrics: no attempts');
  let t1 = 0, t2 = 0, i2c = 0, c2i = 0, same = 0, edit = 0;
  for (const p of pairs) {
    t1 += +p.first;
    t2 += +p.second;
    if (!p.first && p.second) i2c++;
    if (p.first && !p.second) c2i++;
    if (p.firstText === p.secondText) same++;
    edit += editDistance(p.firstText, p.secondText) / Math.max(p.firstText.length, p.secondText.length, 1);
  }
  return { acc_t1: t1 / n, acc_t2: t2 / n, delta_t1_t2: (t2 - t1) / n, delta_i2c: i2c / n, delta_c2i: c2i / n, same_answer_frac: same / n, edit_distance: edit / n };
}

/**
 * A row's answer with the think opening its prompt prefilled (SCORE_INSTRUCTION opens the block for
 * attempt 2, the task prompt may not for attempt 1), so a copied answer compares equal to its first.
 */
function answerAsWritten(r: ScoredRow): string {
  const open = r.item.example.think_prefilled;
  return (typeof open === 'string' ? open : '') + r.text;
}

/** The metrics of a two-attempt rollout. */
export function twoAttemptMetrics(t: Pick<TwoAttempts, 'first' | 'second'>): SelfCorrectionMetrics {
  return selfCorrectionMetrics(t.first.map((r, i) => ({ first: r.correct, second: t.second[i].correct, firstText: answerAsWritten(r), secondText: answerAsWritten(t.second[i]) })));
}

export interface ScoreStepOptions {
  config: ScoreOptions & { prompts_per_step: number; num_generations: number; max_completion_length: number; max_steps: number; beta: number; scale_rewards: ScaleRewards; advantage_eps: number; advantage_estimator: AdvantageEstimator; mask_truncated_completions: boolean };
  /** Completed steps before this one (decides the stage). */
  step: number;
  prompts: PromptSource;
  encode: (prompt: string) => Int32Array;
  sampler: Sampler;
  rng: Rng;
  judges: Judges;
  weights: readonly number[];
  contextLength: number;
  /** Attempt 2's prompt (secondAttemptPrompt with the run's score_instruction). */
  secondPrompt: SecondAttemptPrompt;
}

export interface ScoreStep {
  /** Attempt-1 rows then attempt-2 rows (groups of G each), rewards replaced by those trained on. */
  batch: CollectedBatch;
  advantages: Float64Array;
  /** The kept rows' rewards, in batch order. */
  rewards: CombinedRewards;
  rowBeta: Float64Array;
  stage: 1 | 2;
  /** For metrics.jsonl: the stage and the paper's metrics over this step's rollouts. */
  metrics: Record<string, number>;
}

/**
 * One SCoRe step's data: two-attempt rollouts, the stage's rewards, group-relative advantages
 * (attempt-1 groups and attempt-2 groups normalised separately) and the per-row β.
 */
export async function scoreStep(o: ScoreStepOptions): Promise<ScoreStep> {
  const cfg = o.config;
  const G = cfg.num_generations;
  const stage = stageAt(o.step, cfg, cfg.max_steps);
  const items = Array.from({ length: cfg.prompts_per_step }, () => o.prompts.next());
  const t = await twoAttemptRollout({
    items, groupSize: G, encode: o.encode, sampler: o.sampler, rng: o.rng, judges: o.judges, weights: o.weights,
    maxCompletionTokens: cfg.max_completion_length, secondPrompt: o.secondPrompt, contextLength: o.contextLength,
  });
  const rewards = scoreRewards(t.first, t.second, stage, cfg.score_alpha);
  const rows: ScoredRow[] = [...t.first.map((r, i) => ({ ...r, reward: rewards.first[i] })), ...t.second.map((r, i) => ({ ...r, reward: rewards.second[i] }))];
  const combined = batchRewards(rows);
  // Each attempt's rows normalised on their own (a batch-wide σ or whitening never pools the two).
  const attemptAdvantages = (part: ScoredRow[]) => computeAdvantages(batchRewards(part), {
    groupSize: G, scale: cfg.scale_rewards, eps: cfg.advantage_eps, estimator: cfg.advantage_estimator, tokens: lossTokens(part, cfg.mask_truncated_completions),
  }).advantages;
  const n = t.first.length;
  const advantages = new Float64Array(rows.length);
  advantages.set(attemptAdvantages(rows.slice(0, n)), 0);
  const conditioned = stage === 2 && cfg.score_second_baseline === 'first_outcome';
  advantages.set(conditioned ? firstOutcomeAdvantages(batchRewards(rows.slice(n)), t.first.map((r) => r.correct), { groupSize: G, scale: cfg.scale_rewards, eps: cfg.advantage_eps, estimator: cfg.advantage_estimator }) : attemptAdvantages(rows.slice(n)), n);
  const m = twoAttemptMetrics(t);
  return {
    batch: { sampled: [...t.first, ...t.second], zeroStd: Array.from(zeroStdGroups(combined, G)), kept: rows, sampleSeconds: t.sampleSeconds, scoreSeconds: t.scoreSeconds, sampledTokens: t.sampledTokens },
    advantages,
    rewards: combined,
    rowBeta: scoreRowBeta(t.first.length, stage, cfg.beta, cfg.score_beta_first),
    stage,
    metrics: {
      'score/stage': stage,
      'score/acc_t1': m.acc_t1,
      'score/acc_t2': m.acc_t2,
      'score/delta_t1_t2': m.delta_t1_t2,
      'score/delta_i2c': m.delta_i2c,
      'score/delta_c2i': m.delta_c2i,
      'score/same_answer_frac': m.same_answer_frac,
      'score/edit_distance': m.edit_distance,
      'score/length_t1': t.first.reduce((s, r) => s + r.completionIds.length, 0) / t.first.length,
      'score/length_t2': t.second.reduce((s, r) => s + r.completionIds.length, 0) / t.second.length,
    },
  };
}

/**
 * Attempt 2's advantages with score_second_baseline first_outcome: each group of G second attempts
 * is split by its first attempts' verdicts r̂(y1), and each part is normalised on its own, with the
 * estimator's group formula (grpo: (R − μ_s)/(σ_s + eps), or R − μ_s with scale none; rloo: the
 * leave-one-out mean of the part). A part of one row, or of equal rewards, gets advantage 0, as an
 * all-equal group does: no other second attempt after the same first-attempt outcome to compare
 * with, and borrowing the other part's mean would put the ±α offset back.
 */
export function firstOutcomeAdvantages(rewards: CombinedRewards, firstCorrect: readonly boolean[], opts: { groupSize: number; scale: ScaleRewards; eps: number; estimator: AdvantageEstimator }): Float64Array {
  const G = opts.groupSize;
  if (firstCorrect.length !== rewards.total.length || rewards.total.length % G !== 0) throw new RangeError(`firstOutcomeAdvantages: ${rewards.total.length} second attempts, ${firstCorrect.length} first, groups of ${G}`);
  if (opts.estimator === 'reinforce_plus_plus' || opts.scale === 'batch') throw new RangeError('firstOutcomeAdvantages: needs a group baseline (grpo or rloo) and scale group or none');
  const out = new Float64Array(rewards.total.length);
  for (let g = 0; g < rewards.total.length; g += G) {
    for (const outcome of [true, false]) {
      const idx: number[] = [];
      for (let i = g; i < g + G; i++) if (firstCorrect[i] === outcome) idx.push(i);
      if (idx.length === 0) continue;
      const part = { total: Float64Array.from(idx, (i) => rewards.total[i]), scored: Uint8Array.from(idx, (i) => rewards.scored[i]) };
      const a = computeAdvantages(part, { groupSize: idx.length, scale: opts.scale, eps: opts.eps, estimator: opts.estimator }).advantages;
      idx.forEach((i, k) => (out[i] = a[k]));
    }
  }
  return out;
}

/** A held-out evaluation of both attempts: one rollout per problem, and the paper's metrics (eval.jsonl keys). */
export async function twoAttemptHeldout(o: Omit<TwoAttemptOptions, 'groupSize'>): Promise<TwoAttempts & { metrics: Record<string, number> }> {
  const t = await twoAttemptRollout({ ...o, groupSize: 1 });
  const m = twoAttemptMetrics(t);
  return { ...t, metrics: { ...m, mean_length_t2: t.second.reduce((s, r) => s + r.completionIds.length, 0) / Math.max(t.second.length, 1) } };
}

/** One SFT example of the Pair-SFT / STaR baselines: attempt 2's prompt and the corrected answer. */
export interface CorrectionPair {
  prompt: string;
  completion: string;
}

/**
 * The baselines' SFT data from the model's own samples (G first attempts per item, grouped):
 * - pair: each wrong first attempt paired with a right first attempt of the same problem, as the
 *   second answer (Pair-SFT, Welleck et al.'s pairing as SCoRe's baseline);
 * - star: each (wrong y1, right y2) of a two-attempt rollout, the model's own correction (STaR);
 *   `second` is then required.
 * Prompts are attempt 2's (secondAttemptPrompt), exactly as attempt 2 sees them.
 */
export function correctionPairs(kind: 'pair' | 'star', first: readonly ScoredRow[], groupSize: number, secondPrompt: SecondAttemptPrompt, second?: readonly ScoredRow[]): CorrectionPair[] {
  const out: CorrectionPair[] = [];
  if (kind === 'star') {
    if (!second || second.length !== first.length) throw new RangeError('correctionPairs: star needs the second attempt of every first');
    first.forEach((r, i) => {
      if (!r.correct && second[i].correct) out.push({ prompt: secondAttemptItem(r, secondPrompt).prompt, completion: second[i].text });
    });
    return out;
  }
  for (let g = 0; g < first.length; g += groupSize) {
    const group = first.slice(g, g + groupSize);
    const right = group.filter((r) => r.correct && !r.truncated);
    if (right.length === 0) continue;
    group.filter((r) => !r.correct).forEach((r, k) => {
      const prompt = secondAttemptItem(r, secondPrompt).prompt;
      out.push({ prompt, completion: afterPromptOpening(prompt, right[k % right.length].text) });
    });
  }
  return out;
}

/**
 * The warm-up's SFT data (docs/self-correction.md, "The warm-up"): two-attempt transcripts whose
 * second attempt is another of the model's own first attempts at the same problem. `first` holds G
 * samples per item, grouped; row i of a group is paired with row (i + 1) mod G as its second answer,
 * so y2 is sampled from the first-turn prompt alone, independent of y1 given the problem: right or
 * wrong as often as a first attempt (Δ ≈ 0 in expectation) and never a copy of y1's sample. The
 * prompt is attempt 2's (secondAttemptPrompt), exactly as attempt 2 sees it. A truncated sample is never
 * used as a second answer (it has no end to learn); it may still be a first.
 */
export function reattemptPairs(first: readonly ScoredRow[], groupSize: number, secondPrompt: SecondAttemptPrompt): CorrectionPair[] {
  return reattempts(first, groupSize).map(([y1, y2]) => {
    const prompt = secondAttemptItem(y1, secondPrompt).prompt;
    return { prompt, completion: afterPromptOpening(prompt, y2.text) };
  });
}

/**
 * What the warm-up's transcripts teach, by the verifier's verdicts on (y1, y2): fixes (wrong then
 * right), breaks (right then wrong) and the two ways of staying. Equal fixes and breaks is the fair
 * start the warm-up is for; a seed's sample can lean either way.
 */
export function reattemptCounts(first: readonly ScoredRow[], groupSize: number): { pairs: number; fixes: number; breaks: number; right_right: number; wrong_wrong: number } {
  const c = { pairs: 0, fixes: 0, breaks: 0, right_right: 0, wrong_wrong: 0 };
  for (const [y1, y2] of reattempts(first, groupSize)) {
    c.pairs++;
    if (y1.correct && y2.correct) c.right_right++;
    else if (y1.correct) c.breaks++;
    else if (y2.correct) c.fixes++;
    else c.wrong_wrong++;
  }
  return c;
}

/** The (y1, y2) pairs of reattemptPairs: row i of a group with row (i + 1) mod G, truncated second answers left out. */
function reattempts(first: readonly ScoredRow[], groupSize: number): [ScoredRow, ScoredRow][] {
  if (!Number.isInteger(groupSize) || groupSize < 2) throw new RangeError(`reattemptPairs: a group needs at least 2 samples, got ${groupSize}`);
  if (first.length % groupSize !== 0) throw new RangeError(`reattemptPairs: ${first.length} samples is not a whole number of groups of ${groupSize}`);
  const out: [ScoredRow, ScoredRow][] = [];
  for (let g = 0; g < first.length; g += groupSize) {
    for (let i = 0; i < groupSize; i++) {
      const y1 = first[g + i];
      const y2 = first[g + ((i + 1) % groupSize)];
      if (y1.item.id !== y2.item.id) throw new RangeError(`reattemptPairs: samples ${g + i} and ${g + ((i + 1) % groupSize)} answer different problems (${y1.item.id}, ${y2.item.id})`);
      if (!y2.truncated) out.push([y1, y2]);
    }
  }
  return out;
}
