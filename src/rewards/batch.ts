// Line-by-line batch verification, shared by `aha verify` and the reward server: each JSON
// Lines record becomes one result object in the same order; a bad record becomes an
// {"error": ...} object on its own line instead of stopping the batch.
import { BoundedMathVerifier } from './math/bounded.js';
import { MATH_DEADLINE_MS } from './math/pool.js';
import { runCode } from './code/run.js';
import { codeLanguageOf, codeTestsOf, programFor } from './code/formats.js';
import { formatLocation } from '../util/errors.js';
import { utf8OrNull } from '../util/text-file.js';

export interface BatchOptions {
  /** Name of the input shown in error messages. */
  file?: string;
  lastNumberFallback?: boolean;
  timeoutMs?: number;
  memoryMb?: number;
}

export type BatchResult = Record<string, unknown>;

function errorAt(file: string | undefined, line: number | undefined, problem: string, field?: string): BatchResult {
  return { error: `${formatLocation({ file, line, field })}: ${problem}` };
}

/** A result for a record that could not be checked (bad input), as opposed to a checked one. */
export function isInputError(result: BatchResult): boolean {
  return 'error' in result && !('statuses' in result) && !('equal' in result);
}

/** The first field of a math record that cannot be checked, before any work; null if none. */
export function mathRecordProblem(rec: Record<string, unknown>): { field: string; problem: string } | null {
  for (const field of ['pred', 'gold']) {
    const v = rec[field];
    // Numbers are accepted as answers too ({"gold": 42}).
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) return { field, problem: v === undefined ? 'missing' : 'must be a string' };
  }
  return null;
}

/** A code record's program and tests ready to run, or the first field that cannot be checked. */
function readCodeRecord(rec: Record<string, unknown>): { field: string; problem: string } | { run: Parameters<typeof runCode>[0] } {
  const language = codeLanguageOf(rec);
  if ('error' in language) return { field: language.field, problem: language.error };
  if (typeof rec.code !== 'string') return { field: 'code', problem: rec.code === undefined ? 'missing' : 'must be a string' };
  const found = codeTestsOf(rec);
  if (found === null) return { field: 'tests', problem: 'no tests: give "tests", "input_output", "public_test_cases", "test_list" or "test" (see docs/rewards.md)' };
  if ('error' in found) return { field: found.field, problem: found.error };
  const code = programFor(found, rec.code);
  return { run: { language: found.language, code, tests: found.tests } };
}

/** The first field of a code record that cannot be checked, before any program runs; null if none. */
export function codeRecordProblem(rec: Record<string, unknown>): { field: string; problem: string } | null {
  const r = readCodeRecord(rec);
  return 'run' in r ? null : r;
}

type Parsed = { ok: true; rec: Record<string, unknown> } | { ok: false; error: BatchResult };

function parseLine(raw: string, line: number, file?: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: errorAt(file, line, `not valid JSON (${(err as Error).message})`) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: errorAt(file, line, 'expected a JSON object') };
  return { ok: true, rec: value as Record<string, unknown> };
}

/** One math record {pred, gold} -> {equal, pred_extracted, gold_extracted, reason?}. */
export async function verifyMathRecord(
  rec: Record<string, unknown>,
  verifier: BoundedMathVerifier,
  opts: BatchOptions,
  line?: number,
): Promise<BatchResult> {
  const bad = mathRecordProblem(rec);
  if (bad) return errorAt(opts.file, line, bad.problem, bad.field);
  const texts = { pred: String(rec.pred), gold: String(rec.gold) };
  const fallback = typeof rec.last_number_fallback === 'boolean' ? rec.last_number_fallback : opts.lastNumberFallback;
  return { ...(await verifier.verify(texts.pred, texts.gold, { lastNumberFallback: fallback, timeoutMs: opts.timeoutMs })) };
}

/** One code record {language?, code, tests in any code data set form} -> {statuses, reward, ...}. */
export async function verifyCodeRecord(rec: Record<string, unknown>, opts: BatchOptions, line?: number): Promise<BatchResult> {
  const r = readCodeRecord(rec);
  if (!('run' in r)) return errorAt(opts.file, line, r.problem, r.field);
  try {
    return { ...(await runCode({ ...r.run, timeoutMs: opts.timeoutMs, memoryMb: opts.memoryMb })) };
  } catch (err) {
    if (err instanceof Error && err.name === 'AhaError' && !/sandbox|cannot (run|compile)/.test(err.message)) return errorAt(opts.file, line, err.message, 'tests');
    throw err; // a missing sandbox or compiler stops the whole batch
  }
}

/**
 * Verifies every non-blank line (text, or bytes decoded as strict UTF-8), calling `emit` with each result in input order while
 * keeping up to `window` records in flight.
 */
export async function verifyLines(
  kind: 'math' | 'code',
  lines: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  emit: (result: BatchResult) => void,
  opts: BatchOptions = {},
  window = 64,
): Promise<{ count: number; errors: number }> {
  const verifier = kind === 'math' ? new BoundedMathVerifier({ hardTimeoutMs: Math.max(5000, (opts.timeoutMs ?? MATH_DEADLINE_MS) * 2), defaultTimeoutMs: MATH_DEADLINE_MS }) : null;
  const inflight: Promise<BatchResult>[] = [];
  let count = 0;
  let errors = 0;
  // Lines that could not be checked (not programs that failed their tests).
  const flush = async (keep: number): Promise<void> => {
    while (inflight.length > keep) {
      const r = await inflight.shift()!;
      if (isInputError(r)) errors++;
      emit(r);
    }
  };
  try {
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      // Lines given as bytes are decoded strictly: a Latin-1 answer would otherwise be checked as U+FFFD text.
      const text = typeof line === 'string' ? line : utf8OrNull(line);
      if (text !== null && text.trim() === '') continue;
      count++;
      if (text === null) {
        inflight.push(Promise.resolve(errorAt(opts.file, lineNo, 'not UTF-8 text; save the input as UTF-8')));
        await flush(window);
        continue;
      }
      // A byte-order mark before the first line is no part of its JSON.
      const raw = lineNo === 1 ? text.replace(/^\ufeff/, '') : text;
      const parsed = parseLine(raw, lineNo, opts.file);
      if (!parsed.ok) inflight.push(Promise.resolve(parsed.error));
      else inflight.push(kind === 'math' ? verifyMathRecord(parsed.rec, verifier!, opts, lineNo) : verifyCodeRecord(parsed.rec, opts, lineNo));
      await flush(window);
    }
    await flush(0);
  } finally {
    await verifier?.close();
  }
  return { count, errors };
}
