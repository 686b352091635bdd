// The registry of benchmark files bundled with aha (data/benchmarks/ at the package root), so
// `aha eval --data gsm8k` finds the file, knows how it is graded and which records belong to the
// test split. Provenance and licenses live next to each file in LICENSE.md.
import { join } from 'node:path';
import { packageRoot } from '../util/paths.js';

/** How a benchmark's records are turned into problems and graded. */
export type BenchmarkFormat =
  /** Problem text + gold answer, graded by the math verifier. */
  | 'math'
  /** HumanEval: `prompt`, `test`, `entry_point`; run in the code sandbox. */
  | 'humaneval'
  /** MBPP: `text`, `test_list` asserts; run in the code sandbox. */
  | 'mbpp'
  /** Code tests in any data set form of docs/rewards.md (APPS/TACO, LiveCodeBench, KodCode, aha `tests`); passed iff every test passes. */
  | 'code';

export interface Benchmark {
  name: string;
  /** Path relative to the package root. */
  file: string;
  format: BenchmarkFormat;
  records: number;
  license: string;
  description: string;
  /** Keeps only the records of the evaluation split (e.g. MBPP's task ids 11–510). */
  include?: (record: Record<string, unknown>) => boolean;
}

const BENCHMARKS: readonly Benchmark[] = [
  { name: 'gsm8k', file: 'data/benchmarks/gsm8k/test.jsonl', format: 'math', records: 1319, license: 'MIT', description: 'GSM8K test: grade-school word problems, numeric answers after "####"' },
  { name: 'math500', file: 'data/benchmarks/math500/test.jsonl', format: 'math', records: 500, license: 'MIT', description: 'MATH-500: the PRM800K test split of MATH, boxed answers' },
  { name: 'aime24', file: 'data/benchmarks/aime24/test.jsonl', format: 'math', records: 30, license: 'MIT (repo); problems (c) MAA', description: 'AIME 2024 I and II, integer answers 0-999' },
  { name: 'amc23', file: 'data/benchmarks/amc23/test.jsonl', format: 'math', records: 40, license: 'MIT (repo); problems (c) MAA', description: 'AMC 12 2023 without the choices, numeric answers' },
  { name: 'humaneval', file: 'data/benchmarks/humaneval/HumanEval.jsonl', format: 'humaneval', records: 164, license: 'MIT', description: 'HumanEval: Python functions checked by unit tests' },
  {
    name: 'mbpp',
    file: 'data/benchmarks/mbpp/mbpp.jsonl',
    format: 'mbpp',
    records: 500,
    license: 'CC-BY-4.0',
    description: 'MBPP test split (task ids 11-510): Python tasks checked by 3 asserts',
    include: (r) => typeof r.task_id === 'number' && r.task_id >= 11 && r.task_id <= 510,
  },
];

export function benchmarkNames(): string[] {
  return BENCHMARKS.map((b) => b.name);
}

/** The bundled benchmark called `name` (case-insensitive), or undefined. */
export function findBenchmark(name: string): Benchmark | undefined {
  const key = name.toLowerCase();
  return BENCHMARKS.find((b) => b.name === key);
}

export function listBenchmarks(): readonly Benchmark[] {
  return BENCHMARKS;
}

/** Absolute path of a bundled benchmark's file. */
export function benchmarkPath(b: Benchmark): string {
  return join(packageRoot(), b.file);
}
