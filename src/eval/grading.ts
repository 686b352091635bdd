// Grading one completion: math answers through the verifier (injected, normally the rewards
// part's), code through the sandbox (injected, the rewards part's). This file owns only the
// glue: which text is extracted, which program is run, and what a grade records.
import type { EvalProblem } from './problems.js';

export interface Grade {
  /** Math: the extracted answer. Code: the code that was run. Null when nothing was found. */
  extracted: string | null;
  correct: boolean;
  /** Why it is wrong (no answer, mismatch, test failure, timeout …), when known. */
  reason?: string;
}

/** What the grader knows of how a completion ended. */
export interface GradeContext {
  /**
   * The model was cut off at the token limit (finish_reason "length"): it never stated a final
   * answer, so no answer is guessed from its last number, only read from an explicit statement.
   */
  truncated?: boolean;
}

export interface Grader {
  grade(problem: EvalProblem, completion: string, context?: GradeContext): Promise<Grade>;
  /** Answer equivalence for majority voting; absent when votes make no sense (code). */
  equivalent?: (a: string, b: string) => boolean;
  /** Settles, before `equivalent` is asked, the comparisons a vote over these answers needs (math checks are async). */
  prepareVote?: (answers: readonly string[]) => Promise<void>;
}

/** The math verifier's functions, as the rewards part provides them. */
export interface MathVerifier {
  /** `truncated`: the reply was cut off at the token limit (no last-number guess). */
  extractAnswer(text: string, truncated?: boolean): string | null;
  /** Is the predicted answer equal to the gold one? Both are answer texts. */
  isEqual(pred: string, gold: string): { equal: boolean; reason?: string } | Promise<{ equal: boolean; reason?: string }>;
  answersEquivalent(a: string, b: string): boolean | Promise<boolean>;
}

function pairKey(a: string, b: string): string {
  return JSON.stringify([a, b]);
}

export function mathGrader(v: MathVerifier): Grader {
  const verdicts = new Map<string, boolean>();
  return {
    async grade(problem, completion, context) {
      const truncated = context?.truncated === true;
      const extracted = v.extractAnswer(completion, truncated);
      if (extracted === null) return { extracted: null, correct: false, reason: truncated ? 'no answer found (cut off at the token limit)' : 'no answer found' };
      const r = await v.isEqual(extracted, problem.gold);
      return r.equal ? { extracted, correct: true } : { extracted, correct: false, reason: r.reason ?? 'wrong answer' };
    },
    // One problem's vote at a time, grouped as majorityVote groups (each answer against the
    // groups' first answers, in order), so exactly the comparisons it will ask are settled;
    // an answer is compared with all current groups at once to use every worker.
    async prepareVote(answers) {
      verdicts.clear();
      const reps: string[] = [];
      for (const a of new Set(answers)) {
        const eq = await Promise.all(reps.map((r) => Promise.resolve(v.answersEquivalent(r, a))));
        reps.forEach((r, i) => verdicts.set(pairKey(r, a), eq[i]));
        if (!eq.includes(true)) reps.push(a);
      }
    },
    equivalent: (a, b) => a === b || (verdicts.get(pairKey(a, b)) ?? verdicts.get(pairKey(b, a)) ?? false),
  };
}

/**
 * What a HumanEval or MBPP reply is tested as: the solution's source and the benchmark's assert
 * script, run by the rewards part's test harness (one status per assert). Not one whole program
 * judged by its exit code: a reply that calls `exit(0)` before the tests would pass that way.
 */
export interface AssertJob {
  code: string;
  asserts: string;
  /** HumanEval: the function bound to `check(candidate)`'s parameter. */
  entryPoint?: string;
}

/** Runs an assert job in the sandbox: passed means every assert passed. */
export type ProgramRunner = (job: AssertJob) => Promise<{ passed: boolean; reason?: string }>;

/**
 * The job that tests a completion. HumanEval: the prompt then the completion, tested by `check`
 * with the entry point as its candidate; when the reply restates the whole function it still
 * follows the prompt, so the prompt's imports and helpers are defined and the reply's definition
 * replaces the stub. MBPP: the code, tested by the setup code and asserts.
 */
export function assertJob(problem: EvalProblem, code: string): AssertJob {
  const t = problem.code;
  if (!t) throw new Error(`problem ${problem.id} is not a code problem`);
  if (t.format === 'humaneval') {
    const definesEntry = t.entryPoint !== undefined && new RegExp(`^def\\s+${t.entryPoint}\\s*\\(`, 'm').test(code);
    const body = definesEntry ? `\n${code}` : code;
    return { code: `${t.prompt}${body}\n`, asserts: t.test, entryPoint: t.entryPoint };
  }
  return { code: `${code}\n`, asserts: t.test };
}

/** Runs code against a `code`-format record's own tests (any data set form): passed means every test passed. */
export type TestsRunner = (record: Record<string, unknown>, code: string) => Promise<{ passed: boolean; reason?: string }>;

/** `extractCode` finds the program in a reply (fenced block, else the raw continuation). */
export function codeGrader(run: ProgramRunner, extractCode: (completion: string, problem: EvalProblem) => string, runTests?: TestsRunner): Grader {
  return {
    async grade(problem, completion) {
      const code = extractCode(completion, problem);
      if (code.trim() === '') return { extracted: null, correct: false, reason: 'no code found' };
      const record = problem.code?.format === 'code' ? problem.code.record : undefined;
      if (record !== undefined && !runTests) throw new Error(`problem ${problem.id}: no runner for code tests`);
      const r = record !== undefined ? await runTests!(record, code) : await run(assertJob(problem, code));
      return r.passed ? { extracted: code, correct: true } : { extracted: code, correct: false, reason: r.reason ?? 'tests failed' };
    },
  };
}
