// Where `aha sample` and the pipeline's sample and eval stages get their problems and grader: a
// built-in task (arithmetic, countdown: generated problems, exact verifier), or a bundled
// benchmark (gsm8k, …) or JSON Lines file (the eval harness's data set). Nothing here judges
// itself: it only binds the eval harness and the tasks part. Generators: src/eval/open-generator.ts.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AhaError } from '../util/errors.js';
import { benchmarkNames, findBenchmark } from '../tasks/benchmarks.js';
import { getTask, listTasks } from '../tasks/registry.js';
import type { Problem, Split } from '../tasks/task.js';
import type { EvalProblem, FieldOptions } from '../eval/problems.js';
import { resolveTemplate } from '../eval/templates.js';
import type { Grader } from '../eval/grading.js';
import type { ApiKind } from '../eval/generator.js';
import { EVAL_DEFAULTS } from '../eval/defaults.js';
import { benchmarkSource, fileSource, loadDataSet, type DataSet } from '../eval/data-set.js';
import type { GeneratorSpec } from '../eval/open-generator.js';

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

/** A task's generated problems, or a benchmark's or file's (the eval harness's data set). */
export type ProblemSet = DataSet;

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
  const source = kind === 'benchmark' ? benchmarkSource(findBenchmark(spec.data)!) : fileSource(spec.data);
  return loadDataSet(source, { fields: spec.fields, limit: spec.limit, promptTemplate: spec.promptTemplate, api: spec.api, lastNumberFallback: true, codeTimeoutMs: EVAL_DEFAULTS.codeTimeoutS * 1000 });
}

/** Where the samples came from, for provenance fields: the endpoint and model, or the model folder. */
export function sourceName(spec: GeneratorSpec): string {
  return spec.endpoint !== undefined ? `${spec.endpoint} ${spec.model}` : resolve(spec.model);
}
