// The code-RL data set forms, detected by their fields and turned into one CodeTests value:
//   tests                       aha's own: {inputs, outputs} | {fn_name, inputs, outputs} | {asserts, entry_point?}
//   input_output                APPS / TACO: JSON (text or object) {inputs, outputs, fn_name?}
//   public_test_cases (+ private_test_cases, metadata.func_name)   LiveCodeBench
//   test_list (+ test_setup_code, test_imports)                     MBPP
//   test + entry_point (+ prompt)                                   HumanEval check(candidate)
//   test with `def test_…` functions                                KodCode (pytest style)
//   prompt + test (or tests) text, language ts/js                    MultiPL-E (HumanEval in TypeScript)
// A record in none of these forms has no code tests (null); a record in one of them with a bad
// part gets the field and what is wrong, before anything runs.
import { inflateSync } from 'node:zlib';
import { AhaError } from '../../util/errors.js';
import { checkCodeTests, type CodeTests } from './run.js';
import { CODE_LANGUAGES, type CodeLanguage } from './languages.js';
import { pickledString } from './pickled-string.js';
import { definesAny } from './extract.js';

export type CodeDataForm = 'tests' | 'apps' | 'livecodebench' | 'mbpp' | 'humaneval' | 'kodcode' | 'multipl-e';

export interface FoundTests {
  tests: CodeTests;
  language: CodeLanguage;
  /** Source put before the solution (HumanEval: the prompt, with its imports and helpers). */
  prefix: string;
  form: CodeDataForm;
}

export type TestsLookup = FoundTests | { error: string; field: string } | null;

export type Part<T> = { ok: T } | { error: string; field: string };

const LANGUAGE_NAMES: Record<string, CodeLanguage> = { python: 'python', python3: 'python', py: 'python', javascript: 'javascript', js: 'javascript', typescript: 'typescript', ts: 'typescript', cpp: 'cpp', 'c++': 'cpp' };

/** The record's `language` (default python), or the field's error. */
export function codeLanguageOf(rec: Record<string, unknown>): Part<CodeLanguage> {
  const l = rec.language;
  if (l === undefined || l === null) return { ok: 'python' };
  const found = typeof l === 'string' ? LANGUAGE_NAMES[l.toLowerCase()] : undefined;
  return found ? { ok: found } : { error: `must be one of ${CODE_LANGUAGES.join(', ')} (or python3, py, js, ts, c++)`, field: 'language' };
}

/** A field that datasets store either as JSON text or as the value itself. */
function jsonField(rec: Record<string, unknown>, field: string): Part<unknown> {
  const v = rec[field];
  if (typeof v !== 'string') return { ok: v };
  if (v.trim() === '') return { error: 'empty: this record has no tests', field };
  try {
    return { ok: JSON.parse(v) as unknown };
  } catch (err) {
    return { error: `not JSON (${(err as Error).message})`, field };
  }
}

/** APPS/TACO store a multi-line stdin or stdout sometimes as a list of lines. */
function joinLines(x: unknown): unknown {
  return Array.isArray(x) && x.every((l) => typeof l === 'string') ? x.join('\n') + '\n' : x;
}

function appsTests(rec: Record<string, unknown>): Part<CodeTests> {
  const io = jsonField(rec, 'input_output');
  if ('error' in io) return io;
  const v = io.ok as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.inputs) || !Array.isArray(v.outputs)) {
    return { error: 'expected {"inputs": [...], "outputs": [...]} (and "fn_name" for call-based tests)', field: 'input_output' };
  }
  if (v.fn_name !== undefined && v.fn_name !== null) return { ok: { fn_name: v.fn_name as string, inputs: v.inputs as unknown[][], outputs: v.outputs } };
  return { ok: { inputs: v.inputs.map(joinLines) as string[], outputs: v.outputs.map(joinLines) as string[] } };
}

interface LcbCase {
  input: string;
  output: string;
  testtype: 'functional' | 'stdin';
}

/**
 * LiveCodeBench's test lists: JSON text, or (private tests in the released data) JSON text
 * pickled as a Python str, zlib-compressed and base64-encoded.
 */
function lcbCases(rec: Record<string, unknown>, field: string): Part<LcbCase[]> {
  let v = rec[field];
  if (v === undefined || v === null || v === '') return { ok: [] };
  if (typeof v === 'string' && !/^\s*\[/.test(v)) {
    try {
      v = pickledString(inflateSync(Buffer.from(v, 'base64')));
    } catch (err) {
      return { error: `neither JSON nor LiveCodeBench's compressed form (${(err as Error).message})`, field };
    }
  }
  const parsed = jsonField({ [field]: v }, field);
  if ('error' in parsed) return parsed;
  const cases = parsed.ok;
  if (!Array.isArray(cases)) return { error: 'expected a list of {"input", "output", "testtype"}', field };
  for (const [i, c] of cases.entries()) {
    const ok = c !== null && typeof c === 'object' && typeof c.input === 'string' && typeof c.output === 'string' && (c.testtype === 'functional' || c.testtype === 'stdin');
    if (!ok) return { error: `item ${i}: expected {"input": string, "output": string, "testtype": "functional" | "stdin"}`, field };
  }
  return { ok: cases as LcbCase[] };
}

function lcbTests(rec: Record<string, unknown>): Part<CodeTests> {
  const pub = lcbCases(rec, 'public_test_cases');
  if ('error' in pub) return pub;
  const priv = lcbCases(rec, 'private_test_cases');
  if ('error' in priv) return priv;
  const all = [...pub.ok, ...priv.ok];
  if (all.length === 0) return { error: 'no test cases', field: 'public_test_cases' };
  const kinds = new Set(all.map((c) => c.testtype));
  if (kinds.size > 1) return { error: 'mixes "functional" and "stdin" test cases', field: 'public_test_cases' };
  if (kinds.has('stdin')) return { ok: { inputs: all.map((c) => c.input), outputs: all.map((c) => c.output) } };
  const meta = jsonField(rec, 'metadata');
  if ('error' in meta) return meta;
  const fn = (meta.ok as { func_name?: unknown } | null | undefined)?.func_name;
  if (typeof fn !== 'string') return { error: 'functional tests need "func_name" in metadata', field: 'metadata' };
  return { ok: { fn_name: fn, inputs: all.map((c) => c.input), outputs: all.map((c) => c.output) } };
}

function stringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function mbppTests(rec: Record<string, unknown>): Part<CodeTests> {
  if (!stringList(rec.test_list) || rec.test_list.length === 0) return { error: 'expected a non-empty list of assert statements', field: 'test_list' };
  const imports = rec.test_imports === undefined ? [] : rec.test_imports;
  if (!stringList(imports)) return { error: 'expected a list of import statements', field: 'test_imports' };
  const setup = rec.test_setup_code ?? '';
  if (typeof setup !== 'string') return { error: 'must be a string', field: 'test_setup_code' };
  return { ok: { asserts: [...imports, setup, ...rec.test_list].filter((l) => l !== '').join('\n') } };
}

/** Which form a record is in, by its fields; null when it carries no code tests. */
export function codeFormOf(rec: Record<string, unknown>): CodeDataForm | null {
  if (isMultiplE(rec)) return 'multipl-e';
  if (rec.tests !== undefined) return 'tests';
  if (rec.input_output !== undefined) return 'apps';
  if (rec.public_test_cases !== undefined) return 'livecodebench';
  if (rec.test_list !== undefined) return 'mbpp';
  if (typeof rec.test === 'string' && rec.entry_point !== undefined) return 'humaneval';
  if (typeof rec.test === 'string' && /^(async\s+)?def test/m.test(rec.test)) return 'kodcode';
  return null;
}

/** MultiPL-E's records: a prompt that opens the function, and a test program (`test`, also kept as `tests`) in JavaScript or TypeScript. */
function isMultiplE(rec: Record<string, unknown>): boolean {
  const lang = typeof rec.language === 'string' ? LANGUAGE_NAMES[rec.language.toLowerCase()] : undefined;
  return (lang === 'typescript' || lang === 'javascript') && typeof rec.prompt === 'string' && typeof (rec.test ?? rec.tests) === 'string';
}

/** The function a MultiPL-E prompt opens (the last `function name(` in it). */
function openedFunction(prompt: string): string | undefined {
  return [...prompt.matchAll(/\bfunction\s+([A-Za-z_]\w*)\s*\(/g)].at(-1)?.[1];
}

const FIELD_OF: Record<CodeDataForm, string> = { tests: 'tests', apps: 'input_output', livecodebench: 'public_test_cases', mbpp: 'test_list', humaneval: 'test', kodcode: 'test', 'multipl-e': 'test' };

function lookup(rec: Record<string, unknown>): TestsLookup {
  const form = codeFormOf(rec);
  if (form === null) return null;
  const language = codeLanguageOf(rec);
  if ('error' in language) return language;
  let prefix = '';
  let part: Part<CodeTests>;
  if (form === 'tests') part = rec.tests !== null && typeof rec.tests === 'object' ? { ok: rec.tests as CodeTests } : { error: 'must be an object', field: 'tests' };
  else if (form === 'apps') part = appsTests(rec);
  else if (form === 'livecodebench') part = lcbTests(rec);
  else if (form === 'mbpp') part = mbppTests(rec);
  else if (form === 'humaneval') {
    if (typeof rec.entry_point !== 'string') return { error: 'must be a string', field: 'entry_point' };
    if (rec.prompt !== undefined && typeof rec.prompt !== 'string') return { error: 'must be a string', field: 'prompt' };
    prefix = (rec.prompt as string | undefined) ?? '';
    part = { ok: { asserts: rec.test as string, entry_point: rec.entry_point } };
  } else if (form === 'multipl-e') {
    prefix = rec.prompt as string;
    const entry = openedFunction(prefix);
    part = { ok: { asserts: (rec.test ?? rec.tests) as string, ...(entry ? { entry_point: entry } : {}) } };
  } else part = { ok: { asserts: rec.test as string } };
  if ('error' in part) return part;
  try {
    checkCodeTests(part.ok, language.ok);
  } catch (err) {
    if (!(err instanceof AhaError)) throw err;
    return { error: err.message, field: FIELD_OF[form] };
  }
  return { tests: part.ok, language: language.ok, prefix, form };
}

/**
 * The problem statement of a code record that has none of the usual text fields (prompt,
 * problem, question): LiveCodeBench's `question_content`, or MBPP's `text` followed by its
 * asserts (they name the function to write, as MBPP prompts show them). Null otherwise.
 */
export function codeProblemText(rec: Record<string, unknown>): { text: string; field: string } | null {
  if (typeof rec.question_content === 'string' && rec.question_content.trim() !== '') return { text: rec.question_content, field: 'question_content' };
  if (codeFormOf(rec) === 'mbpp' && typeof rec.text === 'string' && rec.text.trim() !== '' && stringList(rec.test_list)) {
    return { text: `${rec.text}\nYour code should pass these tests:\n\n${rec.test_list.join('\n')}`, field: 'text' };
  }
  return null;
}

/**
 * The program to run for a reply's code: the record's prefix (HumanEval's prompt, with its
 * imports) then the code. A Python reply that restates the whole function simply redefines it
 * after the prompt; a MultiPL-E prompt ends inside the function's open body, so a reply that
 * defines the function itself (`function f(`, `export function f<T>(`, `const f = (…) =>`)
 * replaces the prompt instead of being nested in it.
 */
export function programFor(found: FoundTests, code: string): string {
  if (found.form === 'multipl-e') {
    const entry = 'asserts' in found.tests ? found.tests.entry_point : undefined;
    if (entry !== undefined && definesAny(code, [entry])) return code;
  }
  return found.prefix + code;
}

const seen = new WeakMap<object, TestsLookup>();

/**
 * The code tests of a record in any of the forms above (validated; nothing runs), an error with
 * the field at fault, or null when the record has none. Cached per record object: a training
 * example is scored many times.
 */
export function codeTestsOf(rec: Record<string, unknown>): TestsLookup {
  if (seen.has(rec)) return seen.get(rec)!;
  const found = lookup(rec);
  seen.set(rec, found);
  return found;
}
