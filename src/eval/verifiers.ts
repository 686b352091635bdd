// Binds the harness's graders to the rewards part: the math verifier (answer extraction,
// equivalence) and the code sandbox. The harness itself never judges an answer or runs code.
import { extractAnswer, finalBoxed, runCode, testedNames, programFor, codeTestsOf, extractCode, errorLineFor, assertSandbox, sharedMathVerifier } from '../rewards/index.js';
import { codeGrader, mathGrader, type Grader, type ProgramRunner, type TestsRunner } from './grading.js';
import type { BenchmarkFormat } from '../tasks/benchmarks.js';
import type { EvalProblem } from './problems.js';
import type { RunCodeResult } from '../rewards/index.js';

export interface VerifierOptions {
  /** Take the last number of a completion when it states no answer (the verifier's default). */
  lastNumberFallback: boolean;
  /** Wall-clock limit of one program run, ms. */
  codeTimeoutMs: number;
  /** Deadline of one math comparison, ms (default 2000); the check is killed at it. */
  mathTimeoutMs?: number;
}

export { finalBoxed };

/** HumanEval / MBPP asserts through the rewards part's harness: passed iff every assert passes. */
function sandboxRunner(timeoutMs: number): ProgramRunner {
  return async (job) => {
    const r = await runCode({ language: 'python', code: job.code, tests: { asserts: job.asserts, entry_point: job.entryPoint }, timeoutMs, stopAtFailure: true });
    return r.total > 0 && r.passed === r.total ? { passed: true } : { passed: false, reason: failureReason(r) };
  };
}

/** "k/n tests passed; test i: status: the error's line for test i". */
function failureReason(r: RunCodeResult): string {
  const first = r.statuses.findIndex((s) => s !== 'pass');
  if (first < 0) return 'no tests';
  const line = r.error === undefined ? '' : errorLineFor(r.error, first);
  return `${r.passed}/${r.total} tests passed; test ${first + 1}: ${r.statuses[first]}${line !== '' ? `: ${line.slice(0, 200)}` : ''}`;
}

/** The language a reply should be written in and the functions its tests call (to pick its code block). */
function replyShape(problem: EvalProblem): { language: string; defines: string[] } {
  const t = problem.code;
  if (t?.record !== undefined) {
    const found = codeTestsOf(t.record);
    return found !== null && !('error' in found) ? { language: found.language, defines: testedNames(found.tests) } : { language: 'python', defines: [] };
  }
  if (t?.format === 'humaneval') return { language: 'python', defines: t.entryPoint ? [t.entryPoint] : [] };
  return { language: 'python', defines: t ? testedNames({ asserts: t.test }) : [] };
}

/** A record's own tests (any code data set form), each in the sandbox: passed iff all pass. */
function testsRunner(timeoutMs: number): TestsRunner {
  return async (record, code) => {
    const found = codeTestsOf(record);
    if (found === null || 'error' in found) return { passed: false, reason: found === null ? 'no tests' : found.error };
    const r = await runCode({ language: found.language, code: programFor(found, code), tests: found.tests, timeoutMs, stopAtFailure: true });
    return r.total > 0 && r.passed === r.total ? { passed: true } : { passed: false, reason: failureReason(r) };
  };
}

/** The grader for a benchmark format. Code formats first check that the sandbox works (its own clear error if not). */
export function graderFor(format: BenchmarkFormat, opts: VerifierOptions): Grader {
  if (format === 'math') {
    // Every comparison runs in the shared worker pool, killed at the math deadline.
    const pool = sharedMathVerifier();
    return mathGrader({
      // A reply cut off at the token limit stated no answer: its last number is wherever the
      // cut fell (a digit of the working), so it is never guessed from.
      extractAnswer: (text, truncated) => extractAnswer(text, { lastNumberFallback: opts.lastNumberFallback && truncated !== true }),
      isEqual: (pred, gold) => pool.compare(pred, gold, { timeoutMs: opts.mathTimeoutMs }),
      answersEquivalent: async (a, b) => (await pool.compare(a, b, { timeoutMs: opts.mathTimeoutMs })).equal,
    });
  }
  assertSandbox();
  return codeGrader(
    sandboxRunner(opts.codeTimeoutMs),
    (completion, problem) => {
      const { language, defines } = replyShape(problem);
      return extractCode(completion, language, defines);
    },
    testsRunner(opts.codeTimeoutMs),
  );
}
