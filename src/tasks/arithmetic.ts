// The arithmetic task: chains of additions and subtractions of multi-digit numbers (e.g.
// `47+38-19`), four difficulty levels, hash-decided held-out split, exact integer verifier.
import type { Rng } from '../util/rng.js';
import { splitOf, problemId, sampleSplit } from './split.js';
import { frame, lastAnswer, difficultyList, type Problem, type Task, type GenerateOptions, type Verdict } from './task.js';

export type AddSub = '+' | '-';

export interface ArithmeticLevel {
  operands: number;
  digits: number;
}

/** Difficulty levels: more operands, then wider numbers. Running values stay in [0, 999]. */
export const ARITHMETIC_LEVELS: Readonly<Record<number, ArithmeticLevel>> = {
  1: { operands: 2, digits: 2 },
  2: { operands: 3, digits: 2 },
  3: { operands: 4, digits: 2 },
  4: { operands: 3, digits: 3 },
};
const LEVEL_LIST: readonly number[] = Object.keys(ARITHMETIC_LEVELS).map(Number);

const MAX_VALUE = 999;

/** One operation of the left-to-right evaluation: a op b = result. */
export interface ArithmeticStep {
  a: number;
  op: AddSub;
  b: number;
  result: number;
}

export interface ArithmeticProblemSpec {
  operands: number[];
  ops: AddSub[];
  difficulty: number;
}

export function expressionText(operands: readonly number[], ops: readonly AddSub[]): string {
  let s = String(operands[0]);
  for (let i = 0; i < ops.length; i++) s += ops[i] + String(operands[i + 1]);
  return s;
}

/** The left-to-right steps; every intermediate value is in [0, 999] by construction. */
export function arithmeticSteps(operands: readonly number[], ops: readonly AddSub[]): ArithmeticStep[] {
  const steps: ArithmeticStep[] = [];
  let value = operands[0];
  for (let i = 0; i < ops.length; i++) {
    const b = operands[i + 1];
    const result = ops[i] === '+' ? value + b : value - b;
    steps.push({ a: value, op: ops[i], b, result });
    value = result;
  }
  return steps;
}

/** A random problem of a level: operands of the level's width, operators keeping the running value in range. */
export function drawArithmetic(rng: Rng, difficulty: number): ArithmeticProblemSpec {
  const level = ARITHMETIC_LEVELS[difficulty];
  const lo = 10 ** (level.digits - 1);
  const hi = 10 ** level.digits - 1;
  for (;;) {
    const operands = [rng.range(lo, hi)];
    const ops: AddSub[] = [];
    let value = operands[0];
    let ok = true;
    for (let i = 1; i < level.operands && ok; i++) {
      const b = rng.range(lo, hi);
      const allowed: AddSub[] = [];
      if (value + b <= MAX_VALUE) allowed.push('+');
      if (value - b >= 0) allowed.push('-');
      if (allowed.length === 0) ok = false;
      else {
        const op = rng.pick(allowed);
        ops.push(op);
        operands.push(b);
        value = op === '+' ? value + b : value - b;
      }
    }
    if (ok) return { operands, ops, difficulty };
  }
}

/**
 * True when no single step of the problem is itself a held-out problem (as a two-operand
 * expression), so training text never spells out the answer to a held-out problem.
 */
export function stepsAvoidHeldout(spec: ArithmeticProblemSpec): boolean {
  if (spec.ops.length < 2) return true;
  return arithmeticSteps(spec.operands, spec.ops).every((s) => splitOf('arithmetic', `${s.a}${s.op}${s.b}`) === 'train');
}

export function arithmeticProblem(spec: ArithmeticProblemSpec): Problem {
  const expression = expressionText(spec.operands, spec.ops);
  const steps = arithmeticSteps(spec.operands, spec.ops);
  const answer = steps[steps.length - 1].result;
  const question = `Compute ${expression}.`;
  return {
    id: problemId('arithmetic', spec.difficulty, expression),
    prompt: frame(question),
    gold: String(answer),
    difficulty: spec.difficulty,
    meta: { task: 'arithmetic', question, expression, operands: [...spec.operands], ops: [...spec.ops], split: splitOf('arithmetic', expression) },
  };
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * Correct iff the trimmed content of the LAST complete <answer>…</answer> is exactly the integer
 * (no sign for positives, no leading zeros, no units or words). No answer tag: not correct, even
 * if the right number appears elsewhere, because RL must not reward unparseable output.
 */
export function verifyInteger(completion: string, gold: string): Verdict {
  const extracted = lastAnswer(completion);
  if (extracted === null) return { correct: false, extracted: null };
  return { correct: INTEGER.test(extracted) && extracted === gold, extracted };
}

function spec(problem: Problem): ArithmeticProblemSpec {
  const m = problem.meta as { operands?: number[]; ops?: AddSub[] };
  if (!Array.isArray(m.operands) || !Array.isArray(m.ops)) throw new Error(`arithmetic problem ${problem.id} has no operands in meta`);
  return { operands: m.operands, ops: m.ops, difficulty: problem.difficulty };
}

export const arithmeticTask: Task = {
  name: 'arithmetic',
  description: 'Chains of 2-4 additions/subtractions of 2- or 3-digit numbers, e.g. 47+38-19; the answer is the exact integer.',
  difficulties: LEVEL_LIST,
  generate(options: GenerateOptions): Problem[] {
    const levels = difficultyList('arithmetic', LEVEL_LIST, options.difficulty);
    return sampleSplit({
      task: 'arithmetic',
      split: options.split,
      count: options.count,
      seed: options.seed,
      draw: (rng) => {
        const s = drawArithmetic(rng, levels.length === 1 ? levels[0] : rng.pick(levels));
        return { canonical: expressionText(s.operands, s.ops), value: s };
      },
      accept: options.split === 'train' ? (c) => stepsAvoidHeldout(c.value) : undefined,
    }).map(arithmeticProblem);
  },
  prompt(problem: Problem): string {
    const s = spec(problem);
    return frame(`Compute ${expressionText(s.operands, s.ops)}.`);
  },
  verify(completion: string, problem: Problem): Verdict {
    return verifyInteger(completion, problem.gold);
  },
};
