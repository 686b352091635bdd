// Learned reward models as search scorers. `RewardModelLike` is the part of src/model/reward-model.ts's
// `RewardModel` (a scalar-head language model: one score per sequence, or per step for a process
// model) a scorer uses, so tests can hand in a scripted one; `loadRewardModel` there opens one from a folder.
import { AhaError } from '../../util/errors.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import type { SearchProblem } from './problem.js';
import { lastStepValue, type OutcomeScorer, type StepScorer } from './scorers.js';

export type RewardModelKindLike = 'preference' | 'outcome' | 'process';

export interface RewardModelLike {
  readonly kind: RewardModelKindLike;
  readonly tokenizer: Tokenizer;
  /** The text that ends a step for a process model; null for the others. */
  readonly stepSeparator: string | null;
  /** One score per sequence (prompt and completion tokens). */
  scoreSequences(seqs: readonly Int32Array[]): Float32Array;
  /** Per sequence, one score per step (a process model). */
  scoreSteps(seqs: readonly Int32Array[]): Float32Array[];
}

/**
 * A reward model as outcome and step scorer. Outcome: a process model gives the last step's score
 * (Snell et al.'s choice), the others their sequence score. Steps: a process model scores the
 * candidate's steps joined with its own separator in one pass; an outcome or preference model
 * scores each step prefix as a sequence of its own (with `lastOnly`, only the whole candidate).
 * A process model scores at each separator of the whole sequence (src/model/reward-model.ts):
 * the prompt's separators are skipped and a finished last step is given one.
 * `taskSeparator` is the separator the candidate's steps end with, replaced by the model's.
 */
/** A completion's steps: each ends with the separator, except a last one without it. */
export function splitSteps(text: string, sep: string): string[] {
  const parts = text.split(sep);
  const steps = parts.slice(0, -1).map((p) => p + sep);
  if (parts[parts.length - 1] !== '') steps.push(parts[parts.length - 1]);
  return steps;
}

export function rewardModelScorer(rm: RewardModelLike, taskSeparator: string, name = `rm-${rm.kind}`): OutcomeScorer & StepScorer {
  const encode = (text: string) => rm.tokenizer.encode(text, { addSpecialTokens: true });
  const joinSteps = (steps: readonly string[]): string => {
    const sep = rm.stepSeparator;
    if (sep === null || sep === taskSeparator) return steps.join('');
    return steps.map((s) => (s.endsWith(taskSeparator) ? s.slice(0, s.length - taskSeparator.length) + sep : s)).join('');
  };
  // A process model scores every separator of the sequence, the prompt's too: those are dropped.
  // The last step gets a separator when it has none (a finished answer), so that it is scored.
  const processRows = (problem: SearchProblem, rows: readonly (readonly string[])[]): number[][] => {
    const sep = rm.stepSeparator ?? taskSeparator;
    const inPrompt = problem.prompt.split(sep).length - 1;
    const texts = rows.map((steps) => {
      const body = joinSteps(steps);
      return problem.prompt + (body.endsWith(sep) ? body : body + sep);
    });
    const out = rm.scoreSteps(texts.map(encode));
    return out.map((scores, i) => {
      const mine = Array.from(scores).slice(inPrompt);
      if (mine.length === 0) throw new AhaError(`${name}: the process reward model found no step in candidate ${i} (step separator ${JSON.stringify(rm.stepSeparator)})`);
      return mine;
    });
  };
  return {
    name,
    async score(problem, completions) {
      if (rm.kind === 'process') return processRows(problem, completions.map((c) => splitSteps(c, taskSeparator))).map(lastStepValue);
      return Array.from(rm.scoreSequences(completions.map((c) => encode(problem.prompt + c))));
    },
    async scoreSteps(problem, rows, _meter, opts) {
      if (rm.kind === 'process') return processRows(problem, rows);
      const prefixes = rows.map((steps) => (opts?.lastOnly ? [steps.join('')] : steps.map((_, i) => steps.slice(0, i + 1).join(''))));
      const flat = rm.scoreSequences(prefixes.flat().map((p) => encode(problem.prompt + p)));
      let at = 0;
      return prefixes.map((ps) => ps.map(() => flat[at++]));
    },
  };
}
