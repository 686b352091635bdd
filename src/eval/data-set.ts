// A benchmark or JSON Lines file turned into what an evaluation needs: its problems (validated
// before any model loads), the grader for its format, the prompt template and the names a run
// records. `aha eval`, `aha sample` and the pipeline's sample and eval stages share it.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { AhaError } from '../util/errors.js';
import { benchmarkNames, benchmarkPath, findBenchmark, type Benchmark, type BenchmarkFormat } from '../tasks/benchmarks.js';
import type { ApiKind } from './generator.js';
import type { Grader } from './grading.js';
import { loadProblems, type EvalProblem, type FieldOptions } from './problems.js';
import { defaultTemplateName, resolveTemplate, type PromptTemplate } from './templates.js';
import { defaultStop, multiplEContinuation } from './defaults.js';

/** Where a data set's records come from: a bundled benchmark or a user's file. */
export interface DataSource {
  file: string;
  /** Short name for output files and summaries. */
  label: string;
  /** The bundled benchmark, when it is one. */
  benchmark?: Benchmark;
}

export function benchmarkSource(benchmark: Benchmark): DataSource {
  return { file: benchmarkPath(benchmark), label: benchmark.name, benchmark };
}

export function fileSource(file: string): DataSource {
  return { file, label: basename(file).replace(/\.jsonl$/, '') };
}

/** `--data` of `aha eval`: an existing file, else a bundled benchmark by name. */
export function resolveDataSource(value: string): DataSource {
  if (existsSync(value)) return fileSource(value);
  const b = findBenchmark(value);
  if (b) return benchmarkSource(b);
  throw new AhaError(`--data ${value}: no such file, and not a bundled benchmark (${benchmarkNames().join(', ')})`);
}

export interface DataSetOptions {
  /** How records are graded; default the benchmark's format, or detected from a file's fields. */
  format?: BenchmarkFormat;
  fields?: FieldOptions;
  /** Only the first n problems. */
  limit?: number;
  /** Named template or file; default by format and API. */
  promptTemplate?: string;
  api: ApiKind;
  lastNumberFallback: boolean;
  codeTimeoutMs: number;
}

export interface DataSet {
  problems: EvalProblem[];
  grader: Grader;
  template: PromptTemplate;
  /** Short name for files and summaries. */
  label: string;
  /** What identifies the data in resumable settings: a bundled benchmark by name (so a moved or
   *  upgraded install still resumes), a file by its full path. */
  key: string;
  format: BenchmarkFormat;
  /** Stop strings when none are given: HumanEval's on the completions API, MultiPL-E records' own (defaults.ts). */
  stop?: string[];
}

export async function loadDataSet(source: DataSource, opts: DataSetOptions): Promise<DataSet> {
  // The verifier and sandbox load only when something is actually graded (keeps `aha --help` quick).
  const { graderFor, finalBoxed } = await import('./verifiers.js');
  const b = source.benchmark;
  const loaded = loadProblems({ file: source.file, format: opts.format ?? b?.format, fields: opts.fields, include: b?.include, boxedAnswer: finalBoxed });
  const continuation = multiplEContinuation(loaded.format, opts.api, loaded.problems);
  const template = resolveTemplate(opts.promptTemplate ?? continuation?.template ?? defaultTemplateName(loaded.format, opts.api));
  const stop = defaultStop(loaded.format, opts.api) ?? continuation?.stop;
  return {
    problems: opts.limit === undefined ? loaded.problems : loaded.problems.slice(0, opts.limit),
    grader: graderFor(loaded.format, { lastNumberFallback: opts.lastNumberFallback, codeTimeoutMs: opts.codeTimeoutMs }),
    template,
    label: source.label,
    key: b ? `bundled:${b.name}` : resolve(source.file),
    format: loaded.format,
    ...(stop !== undefined ? { stop } : {}),
  };
}
