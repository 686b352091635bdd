// What `aha eval` does when a setting is not given. Sampling follows DeepSeek-R1's reported
// evaluation (temperature 0.6, top-p 0.95); the completion budget is long for served models
// (reasoning traces) and short for aha's own small CPU models.
import type { BenchmarkFormat } from '../tasks/benchmarks.js';
import type { ApiKind } from './generator.js';
import type { EvalProblem } from './problems.js';
import { codeFormOf } from '../rewards/code/formats.js';

export const EVAL_DEFAULTS = {
  samples: 1,
  temperature: 0.6,
  topP: 0.95,
  maxTokensRemote: 4096,
  maxTokensLocal: 512,
  concurrency: 8,
  samplesPerRequest: 1,
  seed: 0,
  /** Per request, seconds. */
  timeoutS: 600,
  retries: 5,
  maxFailures: 10,
  /** One sandboxed test program, seconds. */
  codeTimeoutS: 10,
} as const;

/**
 * Where a raw HumanEval completion ends: the function body is done once the model starts another
 * top-level statement. Only for the completions API, where the model continues the prompt's
 * code; chat answers carry their code in a fenced block instead.
 */
export const HUMANEVAL_STOP: readonly string[] = ['\ndef ', '\nclass ', '\nif __name__', '\nprint(', '\n#'];

/** Stop strings when none are given: HumanEval on the completions API, else none. */
export function defaultStop(format: BenchmarkFormat, api: ApiKind): string[] | undefined {
  return format === 'humaneval' && api === 'completions' ? [...HUMANEVAL_STOP] : undefined;
}

/**
 * MultiPL-E records (HumanEval translated to TypeScript, JavaScript …) on the completions API: the
 * model continues the record's open function, so the prompt is the record's text as is and the
 * stop strings are the records' own `stop_tokens` (`["\nfunction ", "\n/*", "\n//", "\nclass"]`
 * for TypeScript), as MultiPL-E runs base models. Null for anything else, or when the records do
 * not all carry the same stop strings (then --stop and --prompt-template say it).
 */
export function multiplEContinuation(format: BenchmarkFormat, api: ApiKind, problems: readonly EvalProblem[]): { template: string; stop: string[] } | null {
  if (format !== 'code' || api !== 'completions' || problems.length === 0) return null;
  let stop: string[] | null = null;
  for (const p of problems) {
    const r = p.code?.record;
    if (r === undefined || codeFormOf(r) !== 'multipl-e') return null;
    const own = r.stop_tokens;
    if (!Array.isArray(own) || own.length === 0 || !own.every((s) => typeof s === 'string' && s !== '')) return null;
    if (stop === null) stop = own as string[];
    else if (JSON.stringify(stop) !== JSON.stringify(own)) return null;
  }
  return stop === null ? null : { template: 'raw', stop: [...stop] };
}
