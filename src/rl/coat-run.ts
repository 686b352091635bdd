// Satori's stage 2 inside a GRPO run (`coat: true`; coat-options.ts): the restart buffer, the
// prompt source that mixes restart states into each step, the reflection bonus and the per-step
// COAT metrics. setup.ts builds it (cheap checks first: the tokenizer's meta-action tokens, a row
// the reader can judge); runGrpo calls `prepare` once before the first step.
//
// The buffer is Satori's offline one: at the start the policy answers `coat_restart_problems`
// training prompts once each (drawn from their own stream, so the training prompts are the ones
// a run without COAT would see), every trajectory right or wrong is cut into restart states
// (rl/coat.ts `restartStates`), those whose prompt + prefix leaves no room for a whole completion
// are dropped, and the rest are written to coat_restarts.jsonl in the run folder. A resumed run
// reads them back from there, so it restarts from the very same states.
import { existsSync, mkdirSync } from 'node:fs';
import { atomicWriteFile } from '../util/atomic.js';
import { join } from 'node:path';
import type { Tokenizer } from '../model/tokenizer.js';
import type { RewardExample } from '../rewards/types.js';
import { AhaError } from '../util/errors.js';
import { readJsonl } from '../util/jsonl.js';
import { META_ACTIONS } from '../util/meta-actions.js';
import { Rng } from '../util/rng.js';
import { coatMetrics, fittingRestartStates, restartPrompts, RESTART_PREFIX_FIELD, type RestartState } from './coat.js';
import type { CoatGrpoOptions } from './coat-options.js';
import { COAT_READERS, type CoatReaderName } from './coat-readers.js';
import type { PromptItem, PromptPosition, PromptSource } from './prompts.js';
import { rollout, type Judges, type Sampler, type ScoredRow } from './rollout.js';

/** The run folder's record of the restart buffer (one state a line). */
export const COAT_RESTARTS_FILE = 'coat_restarts.jsonl';

/** Seed salt of the restart problems' own prompt stream. */
export const RESTART_STREAM_SALT = 0x5bd1e995;

/**
 * Refuses a tokenizer that cannot carry the meta-actions through a completion's text: each must be
 * one token (`aha tokens add`), and not a special one, which decoding with special tokens skipped
 * (how completions become text) would drop, so the bonus and the metrics would never see it.
 */
export function checkMetaActionTokens(tokenizer: Tokenizer, where: string): void {
  for (const m of META_ACTIONS) {
    const ids = tokenizer.encode(m, { addSpecialTokens: false });
    if (ids.length !== 1) throw new AhaError(`coat: the tokenizer of ${where} has no ${m} token (it encodes to ${ids.length} pieces); add the meta-actions first: aha tokens add --model ${where} --out DIR`);
    if (tokenizer.decode(ids, { skipSpecialTokens: true }) !== m) {
      throw new AhaError(`coat: ${m} is a special token in ${where}, so completions decoded with special tokens skipped lose it; add the meta-actions again with this version's \`aha tokens add\` (non-special added tokens)`);
    }
  }
}

/** Refuses prompts none of whose examples the reader can judge (the bonus and the metrics would read nothing). */
export function assertJudgeable(reader: CoatReaderName, examples: readonly RewardExample[], where: string): void {
  if (examples.some((ex) => COAT_READERS[reader].judge(ex) !== null)) return;
  const what = reader === 'math' ? 'a gold answer ("answer" or "gold" field)' : 'a Countdown puzzle (numbers and target)';
  throw new AhaError(`coat_reader: ${reader} judges intermediate answers against ${what}; no prompt of ${where} has one`);
}

export interface CoatPrepareContext {
  sampler: Sampler;
  encode: (prompt: string) => Int32Array;
  judges: Judges;
  weights: readonly number[];
  runDir: string;
  /** The run continues from a checkpoint: read the buffer back instead of sampling it. */
  resumed: boolean;
  quiet?: boolean;
}

/** COAT's part of a GRPO run. */
export interface CoatRun {
  /** The step's prompts: the base source, a share of them restart states once `prepare` has run. */
  prompts: PromptSource;
  /** Fills the restart buffer (a no-op with coat_restart_share 0). */
  prepare(ctx: CoatPrepareContext): Promise<void>;
  /** COAT metrics of rows (`coat/…`): meta-actions per answer, reflections that changed, fixed and broke an answer, restart share. */
  metrics(rows: readonly ScoredRow[]): Record<string, number>;
}

export interface CoatRunOptions {
  config: CoatGrpoOptions & { coat_reader: CoatReaderName | null; seed: number; max_completion_length: number; prompts_per_step: number; num_generations: number };
  base: PromptSource;
  /** The training prompts the buffer is cut from (coat_restart_problems of them, from their own stream). */
  problems: readonly PromptItem[];
  contextLength: number;
}

/** What the policy wrote for a row: a restart's prefix, then the completion. */
function writtenText(r: ScoredRow): string {
  const prefix = r.item.example[RESTART_PREFIX_FIELD];
  return (typeof prefix === 'string' ? prefix : '') + r.text;
}

export function coatRun(o: CoatRunOptions): CoatRun {
  const c = o.config;
  const reader = COAT_READERS[c.coat_reader!];
  let inner: PromptSource | null = c.coat_restart_share > 0 ? null : o.base;
  const prompts: PromptSource = {
    label: o.base.label,
    next() {
      if (inner === null) throw new Error('coat: the restart buffer is not prepared (runGrpo calls prepare before the first step)');
      return inner.next();
    },
    position: (): PromptPosition => o.base.position(),
    seek: (p) => o.base.seek(p),
  };
  return {
    prompts,
    async prepare(ctx) {
      if (inner !== null) return;
      const file = join(ctx.runDir, COAT_RESTARTS_FILE);
      const states = ctx.resumed && existsSync(file) ? readStates(file, o.problems) : await sampleStates(o, ctx);
      if (states.length === 0) {
        throw new AhaError(`coat: none of the ${o.problems.length} trajectories the policy wrote for coat_restart_problems has a step to restart from (a meta-action before its final step, and room in the context); format-tune the model on COAT demonstrations first (aha sft), or set coat_restart_share: 0`);
      }
      if (!ctx.resumed || !existsSync(file)) {
        mkdirSync(ctx.runDir, { recursive: true });
        atomicWriteFile(file, states.map((s) => JSON.stringify({ index: o.problems.indexOf(s.item), problem_id: s.item.id, from: s.fromCorrect ? 'correct' : 'wrong', prefix: s.prefix })).join('\n') + '\n');
      }
      if (!ctx.quiet) process.stderr.write(`coat: ${states.length} restart states (${states.filter((s) => !s.fromCorrect).length} from wrong trajectories)\n`);
      inner = restartPrompts(o.base, states, { share: c.coat_restart_share, seed: c.seed });
    },
    metrics(rows) {
      const m = coatMetrics(rows.map((r) => ({ text: writtenText(r), example: r.item.example, correct: r.correct })), reader);
      const restarts = rows.filter((r) => typeof r.item.example[RESTART_PREFIX_FIELD] === 'string').length;
      const out: Record<string, number> = {
        'coat/continue_per_answer': m.continue_per_answer, 'coat/reflect_per_answer': m.reflect_per_answer, 'coat/explore_per_answer': m.explore_per_answer,
        'coat/reflect_changed': m.reflect_changed, 'coat/reflect_fixed': m.reflect_fixed, 'coat/reflect_broke': m.reflect_broke,
        'coat/restart_share': rows.length > 0 ? restarts / rows.length : 0,
      };
      if (Number.isFinite(m.reflect_fix_rate)) out['coat/reflect_fix_rate'] = m.reflect_fix_rate;
      return out;
    },
  };
}

/** One trajectory per problem from the policy (in batches the size of a step's), cut into the states that fit the context. */
async function sampleStates(o: CoatRunOptions, ctx: CoatPrepareContext): Promise<RestartState[]> {
  const c = o.config;
  const rng = new Rng((c.seed ^ RESTART_STREAM_SALT) >>> 0);
  const batch = c.prompts_per_step * c.num_generations;
  const room = o.contextLength - c.max_completion_length;
  const out: RestartState[] = [];
  for (let i = 0; i < o.problems.length; i += batch) {
    const { rows } = await rollout({ items: o.problems.slice(i, i + batch), groupSize: 1, encode: ctx.encode, sampler: ctx.sampler, rng, judges: ctx.judges, weights: ctx.weights, maxCompletionTokens: c.max_completion_length });
    out.push(...fittingRestartStates(rows.map((r) => ({ item: r.item, completion: r.text, correct: r.correct })), ctx.encode, room, c.coat_restart_max_drop));
  }
  return out;
}

/** The states a run recorded, matched back to its restart problems by index. */
function readStates(file: string, problems: readonly PromptItem[]): RestartState[] {
  return readJsonl(file).map(({ line, value }) => {
    const item = problems[value.index as number];
    if (item === undefined || item.id !== value.problem_id || typeof value.prefix !== 'string') {
      throw new AhaError(`${file}:${line}: the restart state does not match this run's restart problems (was coat_restart_problems or the data changed?)`);
    }
    return { item, prefix: value.prefix, fromCorrect: value.from === 'correct' };
  });
}
