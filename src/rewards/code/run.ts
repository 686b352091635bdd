// Running model code against tests in the sandbox: stdin/stdout pairs (one run per test, in
// parallel up to the core count; C++ compiled once first), Python assert scripts and call-based
// tests (one run of the harness, one status per test), and whole programs (HumanEval style:
// pass iff the program exits 0).
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AhaError } from '../../util/errors.js';
import { runSandboxed, type SandboxRun, JOB_DIR } from './sandbox.js';
import { runtimeFor, type CodeLanguage, type LanguageRuntime } from './languages.js';
import { PYTHON_TEST_HARNESS, HARNESS_FILES, harnessInput, type HarnessSpec } from './python-harness.js';
import { callCases } from './call-tests.js';
import { compileProgram } from './compile.js';
import { Semaphore } from './semaphore.js';
import { runnableSource } from './typescript.js';

export type TestStatus = 'pass' | 'wrong_answer' | 'runtime_error' | 'timeout' | 'compile_error' | 'memory_limit';

/** stdin/stdout pairs; a `null` input is an empty stdin. */
export interface StdioTests {
  inputs: (string | null)[];
  outputs: string[];
}

/**
 * Call-based tests (APPS / TACO / LiveCodeBench `fn_name`): each input is the argument list as
 * a JSON array, or LiveCodeBench's text of one JSON value per line (then the output is JSON
 * text too); the function's return value must equal the output (see call-tests.ts).
 */
export interface CallTests {
  fn_name: string;
  inputs: (unknown[] | string)[];
  outputs: unknown[];
}

/** A Python assert script: top-level asserts, `test_*` functions, or `check(candidate)` with `entry_point`. */
export interface AssertTests {
  asserts: string;
  entry_point?: string;
}

export type CodeTests = StdioTests | CallTests | AssertTests;

export interface RunCodeRequest {
  language: CodeLanguage;
  code: string;
  tests: CodeTests;
  /** Wall-clock limit per run in ms (default 4000). */
  timeoutMs?: number;
  /** Memory budget per run in MiB (default 512). */
  memoryMb?: number;
  /**
   * Python harness tests: stop at the first test that does not pass, the rest getting its
   * status (all-or-nothing graders; a looping reply then costs one time limit, not one per test).
   */
  stopAtFailure?: boolean;
}

export interface RunCodeResult {
  /** One status per test, in order. */
  statuses: TestStatus[];
  /** Fraction of tests passed (0 when there are none). */
  reward: number;
  passed: number;
  total: number;
  /**
   * Why the first failing test failed, for debugging: the error output of the first run that
   * crashed (its exception line, without stack frames), else the limit it hit, the failed
   * assert, or the first output line that differs from the expected one.
   */
  error?: string;
}

export interface RunProgramRequest {
  language: CodeLanguage;
  program: string;
  stdin?: string;
  timeoutMs?: number;
  memoryMb?: number;
}

export interface RunProgramResult {
  /** pass iff exit code 0 (wrong_answer if an assertion failed). */
  status: TestStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Killed for printing more than CODE_DEFAULTS.maxOutputBytes (stdout is what came before). */
  outputLimited: boolean;
}

export const CODE_DEFAULTS = { timeoutMs: 4000, memoryMb: 512, maxOutputBytes: 1 << 20, maxFileMb: 16 };
const MAX_CODE_CHARS = 200_000;
/** stdin/stdout tests run one process each; harness tests share one process. */
const MAX_STDIO_TESTS = 256;
const MAX_CALL_TESTS = 1024;
/** A harness run may take one time limit per test plus one, up to this long in all. */
const MAX_HARNESS_RUN_MS = 120_000;

const pool = new Semaphore(Math.max(1, availableParallelism()));

function limitsFor(rt: LanguageRuntime, timeoutMs: number, memoryMb: number) {
  return {
    timeoutMs,
    addressSpaceMb: rt.addressSpaceMb(memoryMb),
    cpuSeconds: Math.ceil(timeoutMs / 1000) + 1,
    maxProcesses: rt.baseProcesses + 16,
    maxFileMb: CODE_DEFAULTS.maxFileMb,
    maxOutputBytes: CODE_DEFAULTS.maxOutputBytes,
  };
}

const MEMORY_SIGNS = /MemoryError|heap out of memory|Allocation failed|Cannot allocate memory|std::bad_alloc|ERR_MEMORY|out of memory/i;

/** Status of a finished run that did not exit cleanly. */
function failureStatus(r: SandboxRun): TestStatus {
  if (r.timedOut || r.signal === 'SIGXCPU') return 'timeout';
  if (MEMORY_SIGNS.test(r.stderr)) return 'memory_limit';
  return 'runtime_error';
}

/** Output comparison: trailing spaces on each line and trailing blank lines do not matter. */
export function outputsMatch(actual: string, expected: string): boolean {
  const canon = (s: string) => s.replace(/\r\n/g, '\n').split('\n').map((l) => l.trimEnd()).join('\n').trimEnd();
  return canon(actual) === canon(expected);
}

/** What a request's tests come down to: stdin runs, or one harness run. */
type Plan =
  | { kind: 'stdio'; inputs: string[]; outputs: string[] }
  | { kind: 'harness'; spec: HarnessSpec; tests: string; expectedCount: number };

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Throws an AhaError naming what is wrong with `tests` for `language`; nothing runs. */
export function checkCodeTests(tests: unknown, language: CodeLanguage): void {
  plan({ language, code: '', tests: tests as CodeTests }, 1);
}

/** Validates a request's tests (an AhaError naming the bad part) and plans their runs. */
function plan(req: RunCodeRequest, perTestS: number): Plan {
  if (typeof req.code !== 'string') throw new AhaError('code must be a string');
  if (req.code.length > MAX_CODE_CHARS) throw new AhaError(`code longer than ${MAX_CODE_CHARS} characters`);
  const t: unknown = req.tests;
  if (!isObject(t)) throw new AhaError('tests must be {"inputs", "outputs"}, {"fn_name", "inputs", "outputs"} or {"asserts"}');
  const pythonOnly = (what: string): void => {
    if (req.language !== 'python') throw new AhaError(`${what} run Python only (language is ${req.language})`);
  };
  if ('asserts' in t) {
    if (typeof t.asserts !== 'string') throw new AhaError('tests.asserts must be a string');
    if (t.entry_point !== undefined && (typeof t.entry_point !== 'string' || !/^[A-Za-z_]\w*$/.test(t.entry_point))) throw new AhaError('tests.entry_point must be a Python identifier');
    if (req.language === 'cpp') throw new AhaError('assert tests run Python (and JavaScript as one program), not C++');
    const units = (t.asserts.match(/^\s*assert\b/gm)?.length ?? 0) + (t.asserts.match(/^def test/gm)?.length ?? 0);
    return { kind: 'harness', spec: { mode: 'asserts', entry_point: (t.entry_point as string | undefined) ?? null, per_test_s: perTestS, stop_at_failure: req.stopAtFailure === true }, tests: t.asserts, expectedCount: Math.max(1, units) };
  }
  if ('fn_name' in t) {
    pythonOnly('call-based tests (fn_name)');
    const { cases, unwrapSingle } = callCases(t as unknown as CallTests);
    if (cases.length > MAX_CALL_TESTS) throw new AhaError(`more than ${MAX_CALL_TESTS} tests`);
    return { kind: 'harness', spec: { mode: 'call', fn_name: t.fn_name as string, cases, unwrap_single: unwrapSingle, per_test_s: perTestS, stop_at_failure: req.stopAtFailure === true }, tests: '', expectedCount: cases.length };
  }
  if (!Array.isArray(t.inputs) || !Array.isArray(t.outputs)) throw new AhaError('tests must have "inputs" and "outputs" arrays (or "asserts")');
  if (t.inputs.length !== t.outputs.length) throw new AhaError(`tests.inputs has ${t.inputs.length} items but tests.outputs has ${t.outputs.length}`);
  if (t.inputs.length > MAX_STDIO_TESTS) throw new AhaError(`more than ${MAX_STDIO_TESTS} tests`);
  const bad = t.inputs.findIndex((x) => x !== null && typeof x !== 'string');
  if (bad >= 0) throw new AhaError(`tests.inputs[${bad}] must be a string (stdin) or null (empty stdin)`);
  const badOut = t.outputs.findIndex((x) => typeof x !== 'string');
  if (badOut >= 0) throw new AhaError(`tests.outputs[${badOut}] must be a string`);
  return { kind: 'stdio', inputs: (t.inputs as (string | null)[]).map((x) => x ?? ''), outputs: t.outputs as string[] };
}

/** The limits a run was held to, for naming the one a failing test hit. */
interface LimitsNote {
  timeoutMs: number;
  memoryMb: number;
}

function summarize(statuses: TestStatus[], error?: string, limits?: LimitsNote): RunCodeResult {
  const passed = statuses.filter((s) => s === 'pass').length;
  // A test killed at a limit often leaves no error output: the limit it hit is the reason.
  const failed = statuses.find((s) => s !== 'pass');
  const why = error || (failed === 'timeout' && limits ? `time limit exceeded (${limits.timeoutMs} ms per test)` : failed === 'memory_limit' && limits ? `memory limit exceeded (${limits.memoryMb} MiB)` : undefined);
  return { statuses, reward: statuses.length ? passed / statuses.length : 0, passed, total: statuses.length, ...(why ? { error: why } : {}) };
}

// Node's stack frames and version line say nothing about what failed; an exception's headline
// (Python's last traceback line, Node's "ReferenceError: …") does.
// V8's native frames (" 4: 0x10fb205 …") after a fatal error are noise too.
const STACK_NOISE = /^\s+at\s|^Node\.js v\d|^\s*\d+: 0x[0-9a-f]+\s/;
const HEADLINE = /^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b|^FATAL ERROR:|^test \d+ failed:/;

/**
 * The part of a failed run's error output worth showing: its last 6 lines without stack frames,
 * or, when the headline of the exception lies further up (Node prints an assertion's details
 * after it), that headline and the lines after it.
 */
function errorSummary(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !STACK_NOISE.test(l));
  let shown = lines.slice(-6);
  if (!shown.some((l) => HEADLINE.test(l))) {
    let at = lines.length - 1;
    while (at >= 0 && !HEADLINE.test(lines[at])) at--;
    if (at >= 0) shown = lines.slice(at, at + 6);
  }
  // Long lines (V8's GC trace) are cut so that the headline still fits.
  return shown
    .map((l) => (l.length > 160 ? l.slice(0, 160) + '…' : l))
    .join('\n')
    .slice(0, 600);
}

/**
 * One line of a result's `error` for test `index` (0-based): the harness's line for that test,
 * else the exception's headline, else the last line.
 */
export function errorLineFor(error: string, index: number): string {
  const lines = error.trim().split('\n');
  return lines.find((l) => l.startsWith(`test ${index + 1} failed:`)) ?? lines.find((l) => HEADLINE.test(l) && !/^test \d+ failed:/.test(l)) ?? lines.at(-1) ?? '';
}

/** Why a run ended early at one of its limits, or undefined. */
function limitNote(r: SandboxRun, timeoutMs: number): string | undefined {
  if (r.outputLimited) return `output limit exceeded (${CODE_DEFAULTS.maxOutputBytes >> 20} MiB of stdout and stderr)`;
  if (r.timedOut || r.signal === 'SIGXCPU') return `time limit exceeded (${timeoutMs} ms)`;
  return undefined;
}

/** A run's reason: the limit it hit, then what its error output says. */
function failureNote(r: SandboxRun, stderr: string, timeoutMs: number): string | undefined {
  return [limitNote(r, timeoutMs), errorSummary(stderr)].filter((x) => x).join('\n') || undefined;
}

/** The first line where a wrong output differs from the expected one, for the result's reason. */
function outputDifference(actual: string, expected: string): string {
  const a = actual.replace(/\r\n/g, '\n').trimEnd().split('\n');
  const e = expected.replace(/\r\n/g, '\n').trimEnd().split('\n');
  const i = Array.from({ length: Math.max(a.length, e.length) }, (_, k) => k).find((k) => (a[k] ?? '').trimEnd() !== (e[k] ?? '').trimEnd()) ?? 0;
  const show = (l: string | undefined): string => (l === undefined ? 'nothing' : JSON.stringify(l.length > 80 ? l.slice(0, 80) + '…' : l));
  return `line ${i + 1} of the output: expected ${show(e[i])}, got ${show(a[i])}`;
}

/** Runs `code` against the tests in the sandbox and returns one status per test. */
export async function runCode(req: RunCodeRequest): Promise<RunCodeResult> {
  const timeoutMs = req.timeoutMs ?? CODE_DEFAULTS.timeoutMs;
  const memoryMb = req.memoryMb ?? CODE_DEFAULTS.memoryMb;
  const rt = runtimeFor(req.language);
  const p = plan(req, timeoutMs / 1000);
  if (p.kind === 'harness') {
    if (req.language === 'javascript' || req.language === 'typescript') return runJavascriptAsserts(req.language, req.code, p.tests, timeoutMs, memoryMb);
    return runHarness(rt, req.code, p, timeoutMs, memoryMb);
  }
  const source = runnableSource(req.language, req.code);
  if ('error' in source) return summarize(p.inputs.map(() => 'compile_error'), source.error);
  const program = await programFiles(rt, source.ok);
  if ('compileError' in program) return summarize(p.inputs.map(() => 'compile_error'), program.compileError);
  const { files } = program;
  const limits = limitsFor(rt, timeoutMs, memoryMb);
  // The reason shown is the first crashed test's (in test order, not in order of finishing): its
  // error output says more than a wrong output, which is the reason only when nothing crashed.
  const notes: (string | undefined)[] = [];
  const differences: string[] = [];
  const statuses = await Promise.all(
    p.inputs.map((input, i) =>
      pool.run(async () => {
        const r = await runSandboxed({ files, argv: rt.argv(`${JOB_DIR}/${rt.file}`, memoryMb), stdin: input, limits }, rt.binds);
        if (r.exitCode === 0 && !r.timedOut && !r.outputLimited) {
          if (outputsMatch(r.stdout, p.outputs[i])) return 'pass' as const;
          differences[i] = `test ${i + 1}: ${outputDifference(r.stdout, p.outputs[i])}`;
          return 'wrong_answer' as const;
        }
        notes[i] = failureNote(r, r.stderr, timeoutMs);
        return failureStatus(r);
      }),
    ),
  );
  return summarize(statuses, notes.find((n) => n !== undefined) ?? differences.find((d) => d !== undefined), { timeoutMs, memoryMb });
}

/**
 * JavaScript (or TypeScript) asserts run as one program (`assert` is node:assert): one status for
 * the whole script. Exit code 0 alone is not a pass, since a reply may call process.exit(0)
 * before the tests: the program must also reach its last line, which echoes a nonce it reads
 * from stdin only then. node:assert is frozen first, so a reply cannot turn its checks into
 * no-ops (`require('assert').deepEqual = () => {}`).
 */
async function runJavascriptAsserts(language: 'javascript' | 'typescript', code: string, asserts: string, timeoutMs: number, memoryMb: number): Promise<RunCodeResult> {
  const source = `${code}\n;\n${asserts}\n`;
  const js = runnableSource(language, source);
  if ('error' in js) return summarize(['compile_error'], js.error);
  const nonce = randomBytes(12).toString('hex');
  const prologue = "const __ahaAssert = require('node:assert'), __ahaFs = require('node:fs'), __ahaOut = process.stdout;\nObject.freeze(__ahaAssert); Object.freeze(require('node:assert/strict')); globalThis.assert = __ahaAssert;\n";
  const epilogue = "\n;__ahaOut.write('\\n' + __ahaFs.readFileSync(0, 'utf8').trim() + '\\n');\n";
  const r = await runProgram({ language: 'javascript', program: prologue + js.ok + epilogue, stdin: nonce, timeoutMs, memoryMb });
  const finished = r.stdout.trimEnd().split('\n').at(-1) === nonce;
  const status: TestStatus = r.status === 'pass' && !finished ? 'runtime_error' : r.status;
  const note = status === 'pass' ? undefined : r.status === 'pass' ? 'the program exited before its tests finished' : errorSummary(r.stderr);
  return summarize([status], note, { timeoutMs, memoryMb });
}

/** One run of the Python harness: assert scripts or call-based tests, one status per test. */
async function runHarness(rt: LanguageRuntime, code: string, p: Extract<Plan, { kind: 'harness' }>, timeoutMs: number, memoryMb: number): Promise<RunCodeResult> {
  const wallMs = Math.min(timeoutMs * (p.expectedCount + 1), Math.max(MAX_HARNESS_RUN_MS, timeoutMs * 2));
  const limits = limitsFor(rt, wallMs, memoryMb);
  const nonce = randomBytes(12).toString('hex');
  // The tests and their expected values go in on stdin, not as job files the solution could read.
  const files = { [HARNESS_FILES.harness]: PYTHON_TEST_HARNESS, [HARNESS_FILES.solution]: code };
  const stdin = harnessInput(nonce, p.spec, p.tests);
  const r = await pool.run(() => runSandboxed({ files, argv: rt.argv(`${JOB_DIR}/${HARNESS_FILES.harness}`, memoryMb), stdin, limits }, rt.binds));
  let count: number | null = null;
  let setup: TestStatus | null = null;
  const reported = new Map<number, TestStatus>();
  for (const line of r.stderr.split('\n')) {
    if (!line.startsWith(nonce + ' ')) continue;
    const [, key, value] = line.split(' ');
    if (key === 'count') count = Number(value);
    else if (key === 'setup') setup = value as TestStatus;
    else reported.set(Number(key), value as TestStatus);
  }
  const cleanStderr = r.stderr.split('\n').filter((l) => !l.startsWith(nonce)).join('\n');
  if (count === null) {
    // The harness did not get as far as counting (e.g. a syntax error in the tests).
    return summarize([r.exitCode === 0 ? 'runtime_error' : failureStatus(r)], failureNote(r, cleanStderr, wallMs) ?? 'tests could not be parsed');
  }
  // Tests the run never reached share its fate (e.g. all timeout when the whole run was killed).
  const unfinished: TestStatus = setup ?? (r.exitCode === 0 ? 'runtime_error' : failureStatus(r));
  const statuses = Array.from({ length: count }, (_, i) => reported.get(i) ?? unfinished);
  return summarize(statuses, statuses.every((s) => s === 'pass') ? undefined : failureNote(r, cleanStderr, wallMs), { timeoutMs, memoryMb });
}

/** The job files that run `source` under `rt`: the source itself, or the program compiled from it once. */
async function programFiles(rt: LanguageRuntime, source: string): Promise<{ files: Record<string, string | Uint8Array> } | { compileError: string }> {
  if (!rt.compile) return { files: { [rt.file]: source } };
  const compiled = await compileProgram(rt.compile, source, (run) => pool.run(run));
  return compiled.ok ? { files: { [rt.file]: compiled.program } } : { compileError: compiled.error };
}

/** Runs a whole program (e.g. HumanEval prompt + completion + test + check(entry_point)). */
export async function runProgram(req: RunProgramRequest): Promise<RunProgramResult> {
  if (typeof req.program !== 'string') throw new AhaError('program must be a string');
  if (req.program.length > MAX_CODE_CHARS) throw new AhaError(`program longer than ${MAX_CODE_CHARS} characters`);
  const timeoutMs = req.timeoutMs ?? CODE_DEFAULTS.timeoutMs;
  const memoryMb = req.memoryMb ?? CODE_DEFAULTS.memoryMb;
  const rt = runtimeFor(req.language);
  const source = runnableSource(req.language, req.program);
  if ('error' in source) return { status: 'compile_error', exitCode: null, stdout: '', stderr: source.error, wallMs: 0, outputLimited: false };
  const program = await programFiles(rt, source.ok);
  if ('compileError' in program) return { status: 'compile_error', exitCode: null, stdout: '', stderr: program.compileError, wallMs: 0, outputLimited: false };
  const { files } = program;
  const limits = limitsFor(rt, timeoutMs, memoryMb);
  const r = await pool.run(() => runSandboxed({ files, argv: rt.argv(`${JOB_DIR}/${rt.file}`, memoryMb), stdin: req.stdin ?? '', limits }, rt.binds));
  let status: TestStatus;
  if (r.exitCode === 0 && !r.timedOut && !r.outputLimited) status = 'pass';
  else if (!r.timedOut && /AssertionError/.test(r.stderr) && !MEMORY_SIGNS.test(r.stderr)) status = 'wrong_answer';
  else status = failureStatus(r);
  return { status, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, wallMs: r.wallMs, outputLimited: r.outputLimited };
}
