// Turns benchmark records (JSON Lines) into evaluation problems: the text that fills the prompt
// template, the gold answer (math) or the tests (code), and a stable id. Every bad record is
// reported with its file and line before any generation starts.
import { InputError, type Location } from '../util/errors.js';
import { readJsonl, type JsonlRecord } from '../util/jsonl.js';
import type { BenchmarkFormat } from '../tasks/benchmarks.js';
import { codeFormOf, codeTestsOf } from '../rewards/code/formats.js';

/** What a code problem needs to be run against its tests. */
export interface CodeTests {
  format: 'humaneval' | 'mbpp' | 'code';
  /** code: the record itself; the rewards part reads its tests (codeTestsOf), whatever its form. */
  record?: Record<string, unknown>;
  /** HumanEval: the function header and docstring the completion continues. */
  prompt: string;
  /** HumanEval: source defining `check(candidate)`. MBPP: setup code plus the asserts. */
  test: string;
  /** HumanEval: the function `check` is called with. */
  entryPoint?: string;
}

export interface EvalProblem {
  /** Stable id (from the data, else "line-<n>"): keys samples in the output for resumption. */
  id: string;
  /** 1-based line in the data file. */
  line: number;
  /** The text substituted for `{problem}` in the prompt template. */
  problem: string;
  /** Math: the gold answer text (verifier input). Code: empty. */
  gold: string;
  /** Present for code problems. */
  code?: CodeTests;
}

/** Which record fields hold what; unset fields fall back to the conventional names. */
export interface FieldOptions {
  /** Default: `problem`, else `question`. */
  problem?: string;
  /** Default: `answer`, else the final boxed answer of `solution`. */
  answer?: string;
  /** Default: `solution`. */
  solution?: string;
  /** Default: `id`, `task_id`, `unique_id`, `idx`, else the line number. */
  id?: string;
}

export interface LoadOptions {
  file: string;
  /** Display name of the data in errors (defaults to the file). */
  label?: string;
  /** Format; detected from the first record when absent. */
  format?: BenchmarkFormat;
  fields?: FieldOptions;
  /** Keeps only matching records (a benchmark's split). */
  include?: (record: Record<string, unknown>) => boolean;
  /**
   * The final boxed answer of a solution (boxes joined by "and" or commas are one answer), or
   * null: golds taken from `solution` are read as the reward reads them (rewards' finalBoxed).
   */
  boxedAnswer: (text: string) => string | null;
}

const ID_FIELDS = ['id', 'task_id', 'unique_id', 'idx'];

/** Guesses the format from a record's fields: HumanEval and MBPP have telltale ones. */
export function detectFormat(record: Record<string, unknown>): BenchmarkFormat {
  if ('entry_point' in record && 'test' in record && 'prompt' in record) return 'humaneval';
  if ('test_list' in record && 'text' in record) return 'mbpp';
  if (codeFormOf(record) !== null) return 'code';
  return 'math';
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/**
 * The gold answer of a math record. A string `answer` with GSM8K's "#### n" convention gives
 * what follows the last "####" with thousands separators removed; any other string or a number
 * is taken as is; without an answer, the solution's final boxed answer (`boxedAnswer`).
 */
export function goldAnswer(record: Record<string, unknown>, fields: FieldOptions, boxedAnswer: LoadOptions['boxedAnswer']): { gold: string } | { error: string; field: string } {
  const answerField = fields.answer ?? 'answer';
  const solutionField = fields.solution ?? 'solution';
  const a = record[answerField];
  if (typeof a === 'number' && Number.isFinite(a)) return { gold: String(a) };
  if (nonEmptyString(a)) {
    const hashes = a.lastIndexOf('####');
    if (hashes >= 0) {
      const after = a.slice(hashes + 4).trim().replace(/(\d),(?=\d{3}\b)/g, '$1');
      if (after === '') return { error: 'nothing after "####"', field: answerField };
      return { gold: after };
    }
    return { gold: a.trim() };
  }
  // A list, object or boolean is never a gold to fall back from: a solution must not stand in for it unseen.
  if (a !== undefined && a !== null && typeof a !== 'string') return { error: `expected a string or number, got ${JSON.stringify(a).slice(0, 40)}`, field: answerField };
  if (fields.answer !== undefined && a === undefined) return { error: 'missing', field: answerField };
  const s = record[solutionField];
  if (nonEmptyString(s)) {
    const boxed = boxedAnswer(s);
    if (boxed === null || boxed.trim() === '') return { error: 'no \\boxed{} answer in the solution', field: solutionField };
    return { gold: boxed.trim() };
  }
  if (typeof a === 'string' || a === null) return { error: `${a === null ? 'null' : 'empty'}, and no "${solutionField}" to take the gold from`, field: answerField };
  if (s !== undefined && s !== null) return { error: 'expected a non-empty string (a solution whose final \\boxed{} is the gold)', field: solutionField };
  return { error: `no gold answer: neither "${answerField}" nor "${solutionField}" is present`, field: answerField };
}

/** Where code data sets keep the problem text (LiveCodeBench: question_content; MBPP: text; HumanEval: prompt). */
const CODE_TEXT_FIELDS = ['problem', 'question', 'question_content', 'text', 'prompt'];

function problemText(record: Record<string, unknown>, fields: FieldOptions, names = ['problem', 'question']): { text: string } | { error: string; field: string } {
  if (fields.problem !== undefined) {
    const v = record[fields.problem];
    return nonEmptyString(v) ? { text: v } : { error: v === undefined ? 'missing' : 'expected a non-empty string', field: fields.problem };
  }
  for (const f of names) {
    const v = record[f];
    if (v === undefined) continue;
    return nonEmptyString(v) ? { text: v } : { error: 'expected a non-empty string', field: f };
  }
  return { error: `no problem text: none of ${names.map((n) => `"${n}"`).join(', ')} is present (use --problem-field)`, field: 'problem' };
}

function recordId(record: Record<string, unknown>, line: number, fields: FieldOptions): { id: string } | { error: string; field: string } {
  const names = fields.id !== undefined ? [fields.id] : ID_FIELDS;
  for (const f of names) {
    const v = record[f];
    if (typeof v === 'string' && v !== '') return { id: v };
    if (typeof v === 'number' && Number.isFinite(v)) return { id: String(v) };
    if (v !== undefined && fields.id !== undefined) return { error: 'expected a string or number', field: f };
  }
  if (fields.id !== undefined) return { error: 'missing', field: fields.id };
  return { id: `line-${line}` };
}

function humanevalProblem(r: Record<string, unknown>): { code: CodeTests; text: string } | { error: string; field: string } {
  for (const f of ['prompt', 'test', 'entry_point']) if (!nonEmptyString(r[f])) return { error: 'missing or not a non-empty string', field: f };
  const prompt = r.prompt as string;
  return { text: prompt, code: { format: 'humaneval', prompt, test: r.test as string, entryPoint: r.entry_point as string } };
}

function mbppProblem(r: Record<string, unknown>): { code: CodeTests; text: string } | { error: string; field: string } {
  if (!nonEmptyString(r.text)) return { error: 'missing or not a non-empty string', field: 'text' };
  const tests = r.test_list;
  if (!Array.isArray(tests) || tests.length === 0 || !tests.every(nonEmptyString)) return { error: 'expected a non-empty list of assert statements', field: 'test_list' };
  const setup = typeof r.test_setup_code === 'string' ? r.test_setup_code : '';
  const asserts = (tests as string[]).join('\n');
  // The asserts name the function the model must write, so the prompt shows them.
  const text = `${r.text}\nYour code should pass these tests:\n\n${asserts}`;
  return { text, code: { format: 'mbpp', prompt: '', test: (setup ? setup + '\n' : '') + asserts } };
}

function toProblem(rec: JsonlRecord<Record<string, unknown>>, format: BenchmarkFormat, opts: LoadOptions): EvalProblem | { error: string; field: string } {
  const fields = opts.fields ?? {};
  const r = rec.value;
  const id = recordId(r, rec.line, fields);
  if ('error' in id) return id;
  if (format === 'math') {
    const text = problemText(r, fields);
    if ('error' in text) return text;
    const gold = goldAnswer(r, fields, opts.boxedAnswer);
    if ('error' in gold) return gold;
    return { id: id.id, line: rec.line, problem: text.text, gold: gold.gold };
  }
  if (format === 'code') {
    const text = problemText(r, fields, CODE_TEXT_FIELDS);
    if ('error' in text) return text;
    const found = codeTestsOf(r);
    if (found === null) return { error: 'no code tests (give "tests", "input_output", "public_test_cases", "test_list" or "test")', field: 'tests' };
    if ('error' in found) return found;
    return { id: id.id, line: rec.line, problem: text.text, gold: '', code: { format: 'code', prompt: '', test: '', record: r } };
  }
  const code = format === 'humaneval' ? humanevalProblem(r) : mbppProblem(r);
  if ('error' in code) return code;
  return { id: id.id, line: rec.line, problem: code.text, gold: '', code: code.code };
}

export interface LoadedProblems {
  format: BenchmarkFormat;
  problems: EvalProblem[];
}

/**
 * Reads and validates every record. All bad lines are collected; the error names the first
 * (file, line, field, what is wrong) and lists the line numbers of the others.
 */
export function loadProblems(opts: LoadOptions): LoadedProblems {
  const label = opts.label ?? opts.file;
  const records = readJsonl(opts.file).filter((r) => !opts.include || opts.include(r.value));
  if (records.length === 0) throw new InputError({ file: label }, 'no records');
  const format = opts.format ?? detectFormat(records[0].value);
  const problems: EvalProblem[] = [];
  const bad: { location: Location; problem: string }[] = [];
  const seen = new Map<string, number>();
  for (const rec of records) {
    const p = toProblem(rec, format, opts);
    if ('error' in p) {
      bad.push({ location: { file: label, line: rec.line, field: p.field }, problem: p.error });
      continue;
    }
    const first = seen.get(p.id);
    if (first !== undefined) {
      bad.push({ location: { file: label, line: rec.line }, problem: `duplicate id "${p.id}" (first on line ${first}); use --id-field to pick a unique field` });
      continue;
    }
    seen.set(p.id, rec.line);
    problems.push(p);
  }
  if (bad.length > 0) {
    const more = bad.length > 1 ? ` (${bad.length - 1} more bad line${bad.length > 2 ? 's' : ''}: ${bad.slice(1, 11).map((e) => e.location.line).join(', ')}${bad.length > 11 ? ', …' : ''})` : '';
    throw new InputError(bad[0].location, bad[0].problem + more);
  }
  return { format, problems };
}
