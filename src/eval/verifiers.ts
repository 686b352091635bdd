// Binds the harness's graders to the rewards part: the math verifier (answer extraction,
// equivalence) and the code sandbox. The harness itself never judges an answer or runs code.
import { extractAnswer, lastBoxed, runProgram, runCode, codeTestsOf, extractCode, assertSandbox, sharedMathVerifier } from '../rewards/index.js';
import { codeGrader, mathGrader, type Grader, type ProgramRunner, type TestsRunner } from './grading.js';
import type { BenchmarkFormat } from '../tasks/benchmarks.js';

export interface VerifierOptions {
  /** Take the last number of a completion when it states no answer (the verifier's default). */
  lastNumberFallback: boolean;
  /** Wall-clock limit of one program run, ms. */
  codeTimeoutMs: number;
  /** Deadline of one math comparison, ms (default 2000); the check is killed at it. */
  mathTimeoutMs?: number;
}

export { lastBoxed };

/** A whole Python program in the sandbox: passed iff it exits 0 within the limits. */
function sandboxRunner(timeoutMs: number): ProgramRunner {
  return async (program) => {
    const r = await runProgram({ language: 'python', program, timeoutMs });
    if (r.status === 'pass') return { passed: true };
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    return { passed: false, reason: last !== '' ? `${r.status}: ${last.slice(0, 200)}` : r.status };
  };
}

function languageOf(record: Record<string, unknown>): string {
  const found = codeTestsOf(record);
  return found !== null && !('error' in found) ? found.language : 'python';
}

/** A record's own tests (any code data set form), each in the sandbox: passed iff all pass. */
function testsRunner(timeoutMs: number): TestsRunner {
  return async (record, code) => {
    const found = codeTestsOf(record);
    if (found === null || 'error' in found) return { passed: false, reason: found === null ? 'no tests' : found.error };
    const r = await runCode({ language: found.language, code: found.prefix + code, tests: found.tests, timeoutMs });
    if (r.total > 0 && r.passed === r.total) return { passed: true };
    const failed = r.statuses.map((s, i) => [s, i] as const).filter(([s]) => s !== 'pass');
    const first = failed[0];
    return { passed: false, reason: first ? `${r.passed}/${r.total} tests passed; test ${first[1] + 1}: ${first[0]}` : 'no tests' };
  };
}

/** The grader for a benchmark format. Code formats first check that the sandbox works (its own clear error if not). */
export function graderFor(format: BenchmarkFormat, opts: VerifierOptions): Grader {
  if (format === 'math') {
    // Every comparison runs in the shared worker pool, killed at the math deadline.
    const pool = sharedMathVerifier();
    return mathGrader({
      extractAnswer: (text) => extractAnswer(text, { lastNumberFallback: opts.lastNumberFallback }),
      isEqual: (pred, gold) => pool.compare(pred, gold, { timeoutMs: opts.mathTimeoutMs }),
      answersEquivalent: async (a, b) => (await pool.compare(a, b, { timeoutMs: opts.mathTimeoutMs })).equal,
    });
  }
  assertSandbox();
  return codeGrader(
    sandboxRunner(opts.codeTimeoutMs),
    (completion, problem) => extractCode(completion, problem.code?.record ? languageOf(problem.code.record) : 'python'),
    testsRunner(opts.codeTimeoutMs),
  );
}
