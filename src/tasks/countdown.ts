// The Countdown task (TinyZero's): reach a target with the given numbers, each used exactly once,
// with + - * / and parentheses. Problems are built from a random expression tree, so every one is
// solvable; the verifier parses the answer itself and evaluates it with exact rationals.
import type { Rng } from '../util/rng.js';
import { parseExpression, evaluate, literals } from './expression.js';
import { rational, equals } from './rational.js';
import { splitOf, problemId, sampleSplit } from './split.js';
import { frame, lastAnswer, difficultyList, type Problem, type Task, type GenerateOptions, type Verdict } from './task.js';

export interface CountdownLevel {
  count: number;
  max: number;
  maxTarget: number;
}

/** Difficulty levels: 3 small numbers up to 4 numbers in 1..100 (TinyZero's range). */
export const COUNTDOWN_LEVELS: Readonly<Record<number, CountdownLevel>> = {
  1: { count: 3, max: 10, maxTarget: 100 },
  2: { count: 3, max: 25, maxTarget: 200 },
  3: { count: 4, max: 25, maxTarget: 500 },
  4: { count: 4, max: 100, maxTarget: 1000 },
};
const LEVEL_LIST: readonly number[] = Object.keys(COUNTDOWN_LEVELS).map(Number);

export interface CountdownSpec {
  numbers: number[];
  target: number;
  difficulty: number;
  /** The expression the generator built (one solution among possibly many). */
  solution: string;
}

type Op = '+' | '-' | '*' | '/';
const OPS: readonly Op[] = ['+', '-', '*', '/'];

/** Combines two positive integer sub-results; null unless the result is a positive integer. */
function apply(op: Op, a: number, b: number): number | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b > 0 ? a - b : null;
    case '*':
      return a * b;
    case '/':
      return b !== 0 && a % b === 0 ? a / b : null;
  }
}

/**
 * A random expression over `values` (consumed in order): a random split point gives a random
 * tree shape. Every intermediate is a positive integer; null if an operator choice fails.
 */
function randomTree(rng: Rng, values: number[]): { value: number; text: string } | null {
  if (values.length === 1) return { value: values[0], text: String(values[0]) };
  const cut = rng.range(1, values.length - 1);
  const left = randomTree(rng, values.slice(0, cut));
  const right = randomTree(rng, values.slice(cut));
  if (!left || !right) return null;
  const op = rng.pick(OPS);
  const value = apply(op, left.value, right.value);
  if (value === null) return null;
  const wrap = (t: string, leaf: boolean) => (leaf ? t : `(${t})`);
  return { value, text: `${wrap(left.text, values.slice(0, cut).length === 1)}${op}${wrap(right.text, values.slice(cut).length === 1)}` };
}

export function drawCountdown(rng: Rng, difficulty: number): CountdownSpec {
  const level = COUNTDOWN_LEVELS[difficulty];
  for (;;) {
    const numbers = Array.from({ length: level.count }, () => rng.range(1, level.max));
    const order = rng.shuffle([...numbers]);
    const tree = randomTree(rng, order);
    if (!tree || tree.value > level.maxTarget) continue;
    // A target equal to one of the numbers invites trivial near-solutions; skip it.
    if (numbers.includes(tree.value)) continue;
    return { numbers, target: tree.value, difficulty, solution: tree.text };
  }
}

/** Canonical form: the sorted numbers and the target, e.g. "3,5,7=22". */
export function countdownCanonical(numbers: readonly number[], target: number): string {
  return `${[...numbers].sort((a, b) => a - b).join(',')}=${target}`;
}

export function countdownProblem(spec: CountdownSpec): Problem {
  const canonical = countdownCanonical(spec.numbers, spec.target);
  const question = countdownQuestion(spec.numbers, spec.target);
  return {
    id: problemId('countdown', spec.difficulty, canonical),
    prompt: frame(question),
    gold: String(spec.target),
    difficulty: spec.difficulty,
    meta: { task: 'countdown', question, numbers: [...spec.numbers], target: spec.target, solution: spec.solution, split: splitOf('countdown', canonical) },
  };
}

function countdownQuestion(numbers: readonly number[], target: number): string {
  return `Make ${target} from ${numbers.join(', ')}, each used once, with + - * / ( ).`;
}

function sameMultiset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  return x.every((v, i) => v === y[i]);
}

/**
 * Correct iff the last <answer> holds an expression (digits, + - * / ( ) and spaces only, no
 * "=" part) that uses every given number exactly once and equals the target exactly. Fractions on
 * the way are allowed ((1+2)/3 is fine); dividing by zero anywhere makes it wrong.
 */
export function verifyCountdown(completion: string, numbers: readonly number[], target: number): Verdict {
  const extracted = lastAnswer(completion);
  if (extracted === null) return { correct: false, extracted: null };
  const parsed = parseExpression(extracted);
  if (!parsed.ok) return { correct: false, extracted };
  if (!sameMultiset(literals(parsed.expr), numbers)) return { correct: false, extracted };
  const value = evaluate(parsed.expr);
  return { correct: value !== null && equals(value, rational(target)), extracted };
}

function spec(problem: Problem): { numbers: number[]; target: number } {
  const m = problem.meta as { numbers?: number[]; target?: number };
  if (!Array.isArray(m.numbers) || typeof m.target !== 'number') throw new Error(`countdown problem ${problem.id} has no numbers/target in meta`);
  return { numbers: m.numbers, target: m.target };
}

export const countdownTask: Task = {
  name: 'countdown',
  description: 'Reach the target with the given 3-4 numbers, each used exactly once, with + - * / and parentheses.',
  difficulties: LEVEL_LIST,
  generate(options: GenerateOptions): Problem[] {
    const levels = difficultyList('countdown', LEVEL_LIST, options.difficulty);
    return sampleSplit({
      task: 'countdown',
      split: options.split,
      count: options.count,
      seed: options.seed,
      draw: (rng) => {
        const s = drawCountdown(rng, levels.length === 1 ? levels[0] : rng.pick(levels));
        return { canonical: countdownCanonical(s.numbers, s.target), value: s };
      },
    }).map(countdownProblem);
  },
  prompt(problem: Problem): string {
    const s = spec(problem);
    return frame(countdownQuestion(s.numbers, s.target));
  },
  verify(completion: string, problem: Problem): Verdict {
    const s = spec(problem);
    return verifyCountdown(completion, s.numbers, s.target);
  },
};
