// The built-in reward functions and their registration: accuracy (math), format,
// format_lenient, tag_count, code, language, overlong, and the reflection metric.
import type { BoundedMathVerifier, MathVerdict } from './math/index.js';
import { sharedMathVerifier } from './math/pool.js';
import { runCode, extractCode, codeTestsOf, testedNames, programFor } from './code/index.js';
import { AhaError } from '../util/errors.js';
import { strictFormat, lenientFormat, tagCount, thinkingText, withPrefill } from './format.js';
import { languageConsistency } from './language.js';
import { overlongPenalty } from './length.js';
import { countReflections } from './reflection.js';
import { registerReward, hasReward } from './registry.js';
import type { RewardExample, RewardFunction } from './types.js';

/** The gold answer of an example as the accuracy reward reads it (`gold`, else `answer`), or null. */
export function goldOf(example: RewardExample): string | null {
  const g = example.gold ?? example.answer;
  if (typeof g === 'string' && g.trim() !== '') return g;
  if (typeof g === 'number' && Number.isFinite(g)) return String(g);
  return null;
}

export interface AccuracyOptions {
  /** Fall back to the last number when no \boxed{}/<answer>/"answer is" is found (default false). */
  lastNumberFallback?: boolean;
  /** Deadline per check in ms (default: the verifier's own, MATH_DEADLINE_MS for the shared pool): the worker running the check is killed at it. */
  timeoutMs?: number;
  /** The worker pool to check in (default: the process-wide one, sharedMathVerifier()). */
  verifier?: BoundedMathVerifier;
  /**
   * Called when a check was cut short (timeout, oversize input, verifier error) rather than
   * simply finding a different answer. Default: a line on stderr, at most 20 per process.
   */
  onIssue?: (reason: string, predExtracted: string | null) => void;
}

let issuesLogged = 0;
function logIssue(reason: string, pred: string | null): void {
  issuesLogged++;
  if (issuesLogged > 20) return;
  const shown = pred === null ? '' : ` (answer: ${JSON.stringify(pred.length > 80 ? pred.slice(0, 80) + '…' : pred)})`;
  process.stderr.write(`aha: accuracy reward scored 0: ${reason}${shown}${issuesLogged === 20 ? '; further such messages suppressed' : ''}\n`);
}

/** Reasons worth telling the user about: the check did not run to completion. */
function isIssue(reason: string | undefined): reason is string {
  return reason !== undefined && /timeout|longer than|nested|powers|digits|factorial|error|crashed|unavailable/.test(reason);
}

/** Math accuracy: 1 if the completion's final answer equals `example.gold`, else 0; null without gold. */
export function createAccuracyReward(opts: AccuracyOptions = {}): RewardFunction {
  return {
    name: 'accuracy',
    description: 'math: 1 if the final answer (<answer>, \\boxed{}, "the answer is") equals the gold answer, else 0',
    score(completion, example) {
      const gold = goldOf(example);
      if (gold === null) return null;
      const fallback = typeof example.last_number_fallback === 'boolean' ? example.last_number_fallback : (opts.lastNumberFallback ?? false);
      const vopts = { lastNumberFallback: fallback, timeoutMs: opts.timeoutMs };
      const onIssue = opts.onIssue ?? logIssue;
      const toScore = (v: MathVerdict): number => {
        if (isIssue(v.reason)) onIssue(v.reason, v.pred_extracted);
        return v.equal ? 1 : 0;
      };
      return (opts.verifier ?? sharedMathVerifier()).verify(completion, gold, vopts).then(toScore);
    },
  };
}

/**
 * Code accuracy: the fraction of tests passed by the program in the completion (last fenced
 * block of the example's language). The tests come from the example in any code data set form
 * (`codeTestsOf`: aha's `tests`, APPS/TACO `input_output`, LiveCodeBench `public_test_cases`,
 * MBPP `test_list`, HumanEval `test` + `entry_point`, KodCode `test`). Null without tests.
 */
export function createCodeReward(opts: { timeoutMs?: number; memoryMb?: number } = {}): RewardFunction {
  return {
    name: 'code',
    description: 'code: fraction of tests passed by the completion\'s program in the sandbox',
    async score(completion, example) {
      const found = codeTestsOf(example);
      if (found === null) return null;
      if ('error' in found) {
        const id = example.id === undefined ? '' : ` ${String(example.id)}`;
        throw new AhaError(`example${id}, field "${found.field}": ${found.error}`);
      }
      const code = extractCode(completion, found.language, testedNames(found.tests));
      // HumanEval: the prompt always goes first (it carries the imports); a completion that
      // repeats the whole function simply redefines it.
      const program = programFor(found, code);
      return (await runCode({ language: found.language, code: program, tests: found.tests, timeoutMs: opts.timeoutMs, memoryMb: opts.memoryMb })).reward;
    },
  };
}

/**
 * DAPO soft overlong penalty. Needs the completion's token count in `example.completion_tokens`
 * (the trainer knows it; null otherwise). L and B come from the options or from
 * `example.max_completion_tokens` / `example.overlong_buffer`.
 */
export function createOverlongReward(opts: { maxLength?: number; buffer?: number } = {}): RewardFunction {
  return {
    name: 'overlong',
    description: 'DAPO soft overlong penalty: 0 up to L-B tokens, linear to -1 at L, -1 beyond',
    score(_completion, example) {
      const len = example.completion_tokens;
      if (typeof len !== 'number') return null;
      const L = opts.maxLength ?? (typeof example.max_completion_tokens === 'number' ? example.max_completion_tokens : null);
      if (L === null) return null;
      const B = opts.buffer ?? (typeof example.overlong_buffer === 'number' ? example.overlong_buffer : Math.max(1, Math.floor(L / 4)));
      return overlongPenalty(len, L, B);
    },
  };
}

export const formatReward: RewardFunction = {
  name: 'format',
  description: 'strict R1 template: exactly <think>\\n…\\n</think>\\n<answer>\\n…\\n</answer>, 1 or 0',
  score: (c, e) => strictFormat(c, e),
};

export const formatLenientReward: RewardFunction = {
  name: 'format_lenient',
  description: 'lenient R1 template: a <think>…</think> block followed by a non-empty <answer>…</answer>, 1 or 0',
  score: (c, e) => lenientFormat(c, e),
};

export const tagCountReward: RewardFunction = {
  name: 'tag_count',
  description: 'partial credit: 0.25 per template tag used exactly once',
  score: (c, e) => tagCount(c, e),
};

export const languageReward: RewardFunction = {
  name: 'language',
  description: 'share of the chain of thought written in the target language (example.target_language, default en)',
  score(c, e) {
    const lang = typeof e.target_language === 'string' ? e.target_language : 'en';
    return languageConsistency(thinkingText(withPrefill(c, e)), lang);
  },
};

export const reflectionMetric: RewardFunction = {
  name: 'reflection',
  description: 'metric: number of reflection words (wait, verify, check, mistake, ...) in the completion',
  score: (c) => countReflections(c),
  metricOnly: true,
};

/** Registers the built-ins once (idempotent; importing src/rewards does it). */
export function registerBuiltinRewards(): void {
  const all = [createAccuracyReward(), formatReward, formatLenientReward, tagCountReward, createCodeReward(), languageReward, createOverlongReward(), reflectionMetric];
  for (const fn of all) if (!hasReward(fn.name)) registerReward(fn);
}
