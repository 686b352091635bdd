// Running model code against tests in the sandbox: stdin/stdout pairs (one run per test, in
// parallel up to the core count), assert-style scripts (one run, one status per assert), and
// whole programs (HumanEval style: pass iff the program exits 0).
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AhaError } from '../../util/errors.js';
import { runSandboxed, type SandboxRun, JOB_DIR } from './sandbox.js';
import { runtimeFor, PYTHON_ASSERT_HARNESS, type CodeLanguage } from './languages.js';
import { Semaphore } from './semaphore.js';

export type TestStatus = 'pass' | 'wrong_answer' | 'runtime_error' | 'timeout' | 'memory_limit';

export type CodeTests = { inputs: string[]; outputs: string[] } | { asserts: string };

export interface RunCodeRequest {
  language: CodeLanguage;
  code: string;
  tests: CodeTests;
  /** Wall-clock limit per run in ms (default 4000). */
  timeoutMs?: number;
  /** Memory budget per run in MiB (default 512). */
  memoryMb?: number;
}

export interface RunCodeResult {
  /** One status per test, in order. */
  statuses: TestStatus[];
  /** Fraction of tests passed (0 when there are none). */
  reward: number;
  passed: number;
  total: number;
  /** First lines of stderr of the first failing run, for debugging. */
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
}

export const CODE_DEFAULTS = { timeoutMs: 4000, memoryMb: 512, maxOutputBytes: 1 << 20, maxFileMb: 16 };
const MAX_CODE_CHARS = 200_000;
const MAX_TESTS = 256;

const pool = new Semaphore(Math.max(1, availableParallelism()));

function limitsFor(language: CodeLanguage, timeoutMs: number, memoryMb: number) {
  const rt = runtimeFor(language);
  return {
    rt,
    limits: {
      timeoutMs,
      addressSpaceMb: rt.addressSpaceMb(memoryMb),
      cpuSeconds: Math.ceil(timeoutMs / 1000) + 1,
      maxProcesses: rt.baseProcesses + 16,
      maxFileMb: CODE_DEFAULTS.maxFileMb,
      maxOutputBytes: CODE_DEFAULTS.maxOutputBytes,
    },
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

function validate(req: RunCodeRequest): void {
  if (typeof req.code !== 'string') throw new AhaError('code must be a string');
  if (req.code.length > MAX_CODE_CHARS) throw new AhaError(`code longer than ${MAX_CODE_CHARS} characters`);
  const t = req.tests as Partial<{ inputs: unknown; outputs: unknown; asserts: unknown }>;
  if (t === null || typeof t !== 'object') throw new AhaError('tests must be {"inputs": [...], "outputs": [...]} or {"asserts": "..."}');
  if ('asserts' in t) {
    if (typeof t.asserts !== 'string') throw new AhaError('tests.asserts must be a string');
    return;
  }
  if (!Array.isArray(t.inputs) || !Array.isArray(t.outputs)) throw new AhaError('tests must have "inputs" and "outputs" arrays (or "asserts")');
  if (t.inputs.length !== t.outputs.length) throw new AhaError(`tests.inputs has ${t.inputs.length} items but tests.outputs has ${t.outputs.length}`);
  if (t.inputs.length > MAX_TESTS) throw new AhaError(`more than ${MAX_TESTS} tests`);
  if (![...t.inputs, ...t.outputs].every((x) => typeof x === 'string')) throw new AhaError('tests.inputs and tests.outputs must hold strings');
}

function summarize(statuses: TestStatus[], error?: string): RunCodeResult {
  const passed = statuses.filter((s) => s === 'pass').length;
  return { statuses, reward: statuses.length ? passed / statuses.length : 0, passed, total: statuses.length, ...(error ? { error } : {}) };
}

function firstLines(s: string): string {
  return s.trim().split('\n').slice(-6).join('\n').slice(0, 600);
}

/** Runs `code` against the tests in the sandbox and returns one status per test. */
export async function runCode(req: RunCodeRequest): Promise<RunCodeResult> {
  validate(req);
  const timeoutMs = req.timeoutMs ?? CODE_DEFAULTS.timeoutMs;
  const memoryMb = req.memoryMb ?? CODE_DEFAULTS.memoryMb;
  if ('asserts' in req.tests) return runAsserts(req.language, req.code, req.tests.asserts, timeoutMs, memoryMb);
  const { rt, limits } = limitsFor(req.language, timeoutMs, memoryMb);
  const { inputs, outputs } = req.tests;
  let error: string | undefined;
  const statuses = await Promise.all(
    inputs.map((input, i) =>
      pool.run(async () => {
        const r = await runSandboxed({ files: { [rt.file]: req.code }, argv: rt.argv(`${JOB_DIR}/${rt.file}`, memoryMb), stdin: input, limits }, rt.binds);
        if (r.exitCode === 0 && !r.timedOut && !r.outputLimited) {
          if (outputsMatch(r.stdout, outputs[i])) return 'pass' as const;
          return 'wrong_answer' as const;
        }
        error ??= firstLines(r.stderr) || (r.outputLimited ? 'output limit exceeded' : undefined);
        return failureStatus(r);
      }),
    ),
  );
  return summarize(statuses, error);
}

async function runAsserts(language: CodeLanguage, code: string, asserts: string, timeoutMs: number, memoryMb: number): Promise<RunCodeResult> {
  if (language === 'javascript') {
    // JavaScript asserts run as one program: one status for the whole script.
    const r = await runProgram({ language, program: `globalThis.assert = require('node:assert');\n${code}\n;\n${asserts}\n`, timeoutMs, memoryMb });
    return summarize([r.status], r.status === 'pass' ? undefined : firstLines(r.stderr));
  }
  const { rt, limits } = limitsFor(language, timeoutMs, memoryMb);
  const nonce = randomBytes(12).toString('hex');
  const r = await pool.run(() =>
    runSandboxed(
      { files: { 'harness.py': PYTHON_ASSERT_HARNESS, 'solution.py': code, 'tests.py': asserts }, argv: rt.argv(`${JOB_DIR}/harness.py`, memoryMb), stdin: nonce + '\n', limits },
      rt.binds,
    ),
  );
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
    return summarize([r.exitCode === 0 ? 'runtime_error' : failureStatus(r)], firstLines(cleanStderr) || 'tests could not be parsed');
  }
  const unfinished: TestStatus = setup ?? (r.exitCode === 0 ? 'runtime_error' : failureStatus(r));
  const statuses = Array.from({ length: count }, (_, i) => reported.get(i) ?? unfinished);
  return summarize(statuses, statuses.every((s) => s === 'pass') ? undefined : firstLines(cleanStderr) || undefined);
}

/** Runs a whole program (e.g. HumanEval prompt + completion + test + check(entry_point)). */
export async function runProgram(req: RunProgramRequest): Promise<RunProgramResult> {
  if (typeof req.program !== 'string') throw new AhaError('program must be a string');
  if (req.program.length > MAX_CODE_CHARS) throw new AhaError(`program longer than ${MAX_CODE_CHARS} characters`);
  const timeoutMs = req.timeoutMs ?? CODE_DEFAULTS.timeoutMs;
  const memoryMb = req.memoryMb ?? CODE_DEFAULTS.memoryMb;
  const { rt, limits } = limitsFor(req.language, timeoutMs, memoryMb);
  const r = await pool.run(() =>
    runSandboxed({ files: { [rt.file]: req.program }, argv: rt.argv(`${JOB_DIR}/${rt.file}`, memoryMb), stdin: req.stdin ?? '', limits }, rt.binds),
  );
  let status: TestStatus;
  if (r.exitCode === 0 && !r.timedOut && !r.outputLimited) status = 'pass';
  else if (!r.timedOut && /AssertionError/.test(r.stderr) && !MEMORY_SIGNS.test(r.stderr)) status = 'wrong_answer';
  else status = failureStatus(r);
  return { status, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, wallMs: r.wallMs };
}
