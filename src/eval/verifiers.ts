// Binds the harness's graders to the rewards part: the math verifier (answer extraction,
// equivalence) and the code sandbox. The harness itself never judges an answer or runs code.
import { extractAnswer, compareAnswers, answersEquivalent, lastBoxed, runProgram, extractCode, assertSandbox } from '../rewards/index.js';
import { codeGrader, mathGrader, type Grader, type ProgramRunner } from './grading.js';
import type { BenchmarkFormat } from '../tasks/benchmarks.js';

export interface VerifierOptions {
  /** Take the last number of a completion when it states no answer (the verifier's default). */
  lastNumberFallback: boolean;
  /** Wall-clock limit of one program run, ms. */
  codeTimeoutMs: number;
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

/** The grader for a benchmark format. Code formats first check that the sandbox works (its own clear error if not). */
export function graderFor(format: BenchmarkFormat, opts: VerifierOptions): Grader {
  if (format === 'math') {
    return mathGrader({
      extractAnswer: (text) => extractAnswer(text, { lastNumberFallback: opts.lastNumberFallback }),
      isEqual: (pred, gold) => compareAnswers(pred, gold),
      answersEquivalent,
    });
  }
  assertSandbox();
  return codeGrader(sandboxRunner(opts.codeTimeoutMs), (completion) => extractCode(completion, 'python'));
}
