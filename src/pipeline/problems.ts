// Where `aha sample` and the pipeline's sample and eval stages get their problems, grader and
// generator: a built-in task (arithmetic, countdown: generated problems, exact verifier), a
// bundled benchmark (gsm8k, …) or a JSON Lines file (through the eval harness's loader and
// graders), and either aha's own model folder or an OpenAI-compatible server. Nothing here
// judges or generates itself: it only binds the eval harness and the tasks part.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AhaError } from '../util/errors.js';
import { benchmarkNames, benchmarkPath, findBenchmark, type BenchmarkFormat } from '../tasks/benchmarks.js';
import { getTask, listTasks } from '../tasks/registry.js';
import type { Problem, Split } from '../tasks/task.js';
import { loadProblems, type EvalProblem, type FieldOptions } from '../eval/problems.js';
import { defaultTemplateName, resolveTemplate, type PromptTemplate } from '../eval/templates.js';
import type { Grader } from '../eval/grading.js';
import type { ApiKind, Generator } from '../eval/generator.js';
import { RemoteGenerator } from '../eval/remote.js';

export type DataKind = 'task' | 'benchmark' | 'file';

/** What a `data` value names: a task, a bundled benchmark, or a file (in that order of lookup). */
export function dataKind(data: string): DataKind | null {
  if (listTasks().some((t) => t.name === data)) return 'task';
  if (findBenchmark(data)) return 'benchmark';
  if (existsSync(data) && statSync(data).isFile()) return 'file';
  return null;
}

/** A one-line description of the accepted `data` values, for errors and help. */
export function dataChoices(): string {
  return `a JSON Lines file, a task (${listTasks().map((t) => t.name).join(', ')}) or a bundled benchmark (${benchmarkNames().join(', ')})`;
}

export interface ProblemSpec {
  data: string;
  /** Task data: which split, how many problems, which difficulty levels (default all). */
  split?: Split;
  count?: number;
  difficulty?: number[];
  /** Task data: seed of the problem generator. */
  dataSeed?: number;
  /** Only the first n problems. */
  limit?: number;
  fields?: FieldOptions;
  /** Named template or file; default: raw for tasks (their prompts are complete), else by format. */
  promptTemplate?: string;
  api: ApiKind;
}

export interface ProblemSet {
  problems: EvalProblem[];
  grader: Grader;
  template: PromptTemplate;
  /** Short name for files and summaries. */
  label: string;
  /** What identifies the data in resumable settings. */
  key: string;
  format: BenchmarkFormat;
}

function taskProblems(spec: ProblemSpec): ProblemSet {
  const task = getTask(spec.data);
  const split = spec.split ?? 'train';
  const count = spec.count ?? 200;
  const generated = task.generate({ split, count, seed: spec.dataSeed ?? 0, difficulty: spec.difficulty ?? task.difficulties });
  const byId = new Map<string, Problem>(generated.map((p) => [p.id, p]));
  const problems: EvalProblem[] = generated.map((p, i) => ({ id: p.id, line: i + 1, problem: task.prompt(p), gold: p.gold }));
  const grader: Grader = {
    async grade(problem, completion) {
      const v = task.verify(completion, byId.get(problem.id)!);
      return v.correct ? { extracted: v.extracted, correct: true } : { extracted: v.extracted, correct: false, reason: v.extracted === null ? 'no answer found' : 'wrong answer' };
    },
    equivalent: (a, b) => a.trim() === b.trim(),
  };
  const template = resolveTemplate(spec.promptTemplate ?? 'raw');
  const key = `task:${task.name}:${split}:${count}:${spec.dataSeed ?? 0}:${(spec.difficulty ?? task.difficulties).join(',')}`;
  return { problems: limit(problems, spec.limit), grader, template, label: `${task.name}-${split}`, key, format: 'math' };
}

function limit<T>(xs: T[], n: number | undefined): T[] {
  return n === undefined ? xs : xs.slice(0, n);
}

/** Loads and validates the problems (before any model is loaded) and binds their grader. */
export async function loadProblemSet(spec: ProblemSpec): Promise<ProblemSet> {
  const kind = dataKind(spec.data);
  if (kind === null) throw new AhaError(`data "${spec.data}": no such file, and not ${dataChoices().replace(/^a JSON Lines file, /, '')}`);
  if (kind === 'task') return taskProblems(spec);
  // The verifier and sandbox load only when something is actually graded.
  const { graderFor, lastBoxed } = await import('../eval/verifiers.js');
  const bench = kind === 'benchmark' ? findBenchmark(spec.data)! : null;
  const file = bench ? benchmarkPath(bench) : spec.data;
  const loaded = loadProblems({ file, label: bench ? spec.data : file, format: bench?.format, fields: spec.fields, include: bench?.include, lastBoxed });
  const grader = graderFor(loaded.format, { lastNumberFallback: true, codeTimeoutMs: 10_000 });
  const template = resolveTemplate(spec.promptTemplate ?? defaultTemplateName(loaded.format, spec.api));
  const label = bench ? bench.name : file.replace(/^.*\//, '').replace(/\.jsonl$/, '');
  return { problems: limit(loaded.problems, spec.limit), grader, template, label, key: bench ? `bundled:${bench.name}` : resolve(file), format: loaded.format };
}

export interface GeneratorSpec {
  /** Model folder (local) or, with `endpoint`, the served model name. */
  model: string;
  endpoint?: string;
  api: ApiKind;
  apiKey?: string;
  system?: string;
  timeoutS?: number;
  retries?: number;
}

/** The generator: a served model when an endpoint is given, else aha's model folder. */
export async function openGenerator(spec: GeneratorSpec): Promise<Generator> {
  if (spec.endpoint !== undefined) {
    return new RemoteGenerator({
      endpoint: spec.endpoint,
      model: spec.model,
      api: spec.api,
      apiKey: spec.apiKey ?? process.env.OPENAI_API_KEY,
      system: spec.system,
      timeoutMs: (spec.timeoutS ?? 600) * 1000,
      retries: spec.retries ?? 5,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
    });
  }
  // Loaded only here: remote sampling never needs the compute core.
  const { LocalGenerator } = await import('../eval/local.js');
  return LocalGenerator.open(spec.model, { api: spec.api, system: spec.system });
}

/** Where the samples came from, for provenance fields: the endpoint and model, or the model folder. */
export function sourceName(spec: GeneratorSpec): string {
  return spec.endpoint !== undefined ? `${spec.endpoint} ${spec.model}` : resolve(spec.model);
}
