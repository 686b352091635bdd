// The Countdown task (TinyZero's): reach a target with the given numbers, each used exactly once,
// with + - * / and parentheses (level 0: + and - only). Problems are built from a random
// expression tree, so every one is solvable; the verifier parses the answer itself and evaluates
// it with exact rationals.
import type { Rng } from '../util/rng.js';
import { parseExpression, evaluate, literals, operators } from './expression.js';
import { rational, equals, toString as rationalText } from '../util/rational.js';
import { splitOf, problemId, sampleSplit } from './split.js';
import { frame, lastAnswer, difficultyList, type Problem, type Task, type GenerateOptions, type Verdict } from './task.js';

type Op = '+' | '-' | '*' | '/';
const ALL_OPS: readonly Op[] = ['+', '-', '*', '/'];

export interface CountdownLevel {
  count: number;
  max: number;
  /** A larger bound for the first listed number (levels listed in order only). */
  firstMax?: number;
  maxTarget: number;
  /** The operators the prompt allows and the verifier accepts. */
  ops: readonly Op[];
  /**
   * The numbers are listed in an order in which signs alone reach the target, left to right with
   * no running total below zero (any order is still accepted as an answer).
   */
  listedInOrder?: boolean;
}

/**
 * Difficulty levels: a number up to 20 and two one-digit numbers with + and - only, listed in an
 * order that works (level 0, the R1-Zero demo's: there are at most four sign patterns to try, each
 * checked by adding one digit at a time, so trial and error pays), then 3 small numbers
 * up to 4 numbers in 1..100 with all four operators (TinyZero's range).
 */
export const COUNTDOWN_LEVELS: Readonly<Record<number, CountdownLevel>> = {
  0: { count: 3, max: 9, firstMax: 20, maxTarget: 38, ops: ['+', '-'], listedInOrder: true },
  1: { count: 3, max: 10, maxTarget: 100, ops: ALL_OPS },
  2: { count: 3, max: 25, maxTarget: 200, ops: ALL_OPS },
  3: { count: 4, max: 25, maxTarget: 500, ops: ALL_OPS },
  4: { count: 4, max: 100, maxTarget: 1000, ops: ALL_OPS },
};
const LEVEL_LIST: readonly number[] = Object.keys(COUNTDOWN_LEVELS).map(Number);

export interface CountdownSpec {
  numbers: number[];
  target: number;
  difficulty: number;
  /** The expression the generator built (one solution among possibly many). */
  solution: string;
}

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
function randomTree(rng: Rng, values: number[], ops: readonly Op[]): { value: number; text: string } | null {
  if (values.length === 1) return { value: values[0], text: String(values[0]) };
  const cut = rng.range(1, values.length - 1);
  const left = randomTree(rng, values.slice(0, cut), ops);
  const right = randomTree(rng, values.slice(cut), ops);
  if (!left || !right) return null;
  const op = rng.pick(ops);
  const value = apply(op, left.value, right.value);
  if (value === null) return null;
  const wrap = (t: string, leaf: boolean) => (leaf ? t : `(${t})`);
  return { value, text: `${wrap(left.text, values.slice(0, cut).length === 1)}${op}${wrap(right.text, values.slice(cut).length === 1)}` };
}

/** The chain `numbers[0] op numbers[1] op ...` left to right; null if a running total drops to zero or below. */
function chainValue(numbers: readonly number[], ops: readonly Op[]): number | null {
  let value: number | null = numbers[0];
  for (let i = 1; i < numbers.length && value !== null; i++) value = apply(ops[i - 1], value, numbers[i]);
  return value;
}

export function drawCountdown(rng: Rng, difficulty: number): CountdownSpec {
  const level = COUNTDOWN_LEVELS[difficulty];
  for (;;) {
    if (level.listedInOrder) {
      // The signs first, then numbers that make them work: every sign pattern is equally likely
      // to be the solution (drawing signs per try would favour +, which never fails).
      const signs = Array.from({ length: level.count - 1 }, () => rng.pick(level.ops));
      for (;;) {
        const numbers = Array.from({ length: level.count }, (_, i) => rng.range(1, i === 0 ? (level.firstMax ?? level.max) : level.max));
        const target = chainValue(numbers, signs);
        if (target === null || target > level.maxTarget || numbers.includes(target)) continue;
        return { numbers, target, difficulty, solution: numbers.map((n, i) => (i ? signs[i - 1] : '') + n).join('') };
      }
    }
    const numbers = Array.from({ length: level.count }, () => rng.range(1, level.max));
    const order = rng.shuffle([...numbers]);
    const tree = randomTree(rng, order, level.ops);
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
  const question = countdownQuestion(spec.numbers, spec.target, spec.difficulty);
  return {
    id: problemId('countdown', spec.difficulty, canonical),
    prompt: frame(question),
    gold: String(spec.target),
    difficulty: spec.difficulty,
    meta: { task: 'countdown', question, numbers: [...spec.numbers], target: spec.target, solution: spec.solution, split: splitOf('countdown', canonical) },
  };
}

/** The question; level 0 names its two operators (and needs no parentheses: a-(b+c) is a-b-c). */
export function countdownQuestion(numbers: readonly number[], target: number, difficulty: number): string {
  const ops = COUNTDOWN_LEVELS[difficulty].ops;
  const allowed = ops.length === 2 ? `${ops[0]} and ${ops[1]}` : `${ops.join(' ')} ( )`;
  return `Make ${target} from ${numbers.join(', ')}, each used once, with ${allowed}.`;
}

function sameMultiset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  return x.every((v, i) => v === y[i]);
}

/**
 * Correct iff the last <answer> holds an expression (digits, + - * / ( ) and spaces only, no
 * "=" part) that uses every given number exactly once, only the allowed operators (all four by
 * default), and equals the target exactly. Fractions on the way are allowed ((1+2)/3 is fine);
 * dividing by zero anywhere makes it wrong.
 */
export function verifyCountdown(completion: string, numbers: readonly number[], target: number, ops: readonly Op[] = ALL_OPS): Verdict {
  const extracted = lastAnswer(completion);
  if (extracted === null) return { correct: false, extracted: null };
  const parsed = parseExpression(extracted);
  if (!parsed.ok) return { correct: false, extracted };
  if (operators(parsed.expr).some((op) => !ops.includes(op))) return { correct: false, extracted };
  if (!sameMultiset(literals(parsed.expr), numbers)) return { correct: false, extracted };
  const value = evaluate(parsed.expr);
  return { correct: value !== null && equals(value, rational(target)), extracted };
}

/**
 * The answer a Countdown expression states, for votes: a valid expression (the problem's numbers
 * each once, the level's operators) by its value, since the verifier judges the value and
 * "15+7+3" and "3+15+7" are the same answer; anything else by its text without white space.
 */
export function countdownAnswerKey(answer: string, numbers: readonly number[], ops: readonly Op[] = ALL_OPS): string {
  const parsed = parseExpression(answer);
  if (parsed.ok && !operators(parsed.expr).some((op) => !ops.includes(op)) && sameMultiset(literals(parsed.expr), numbers)) {
    const value = evaluate(parsed.expr);
    if (value !== null) return `=${rationalText(value)}`;
  }
  return answer.replace(/\s+/g, '');
}

function spec(problem: Problem): { numbers: number[]; target: number; difficulty: number } {
  const m = problem.meta as { numbers?: number[]; target?: number };
  if (!Array.isArray(m.numbers) || typeof m.target !== 'number') throw new Error(`countdown problem ${problem.id} has no numbers/target in meta`);
  if (!COUNTDOWN_LEVELS[problem.difficulty]) throw new Error(`countdown problem ${problem.id} has an unknown difficulty ${problem.difficulty}`);
  return { numbers: m.numbers, target: m.target, difficulty: problem.difficulty };
}

export const countdownTask: Task = {
  name: 'countdown',
  description: 'Reach the target with the given 3-4 numbers, each used exactly once, with + - * / and parentheses (level 0: a number up to 20 and two one-digit ones, + and - only).',
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
    return frame(countdownQuestion(s.numbers, s.target, s.difficulty));
  },
  verify(completion: string, problem: Problem): Verdict {
    const s = spec(problem);
    return verifyCountdown(completion, s.numbers, s.target, COUNTDOWN_LEVELS[s.difficulty].ops);
  },
  answerKey(answer: string, problem: Problem): string {
    const s = spec(problem);
    return countdownAnswerKey(answer, s.numbers, COUNTDOWN_LEVELS[s.difficulty].ops);
  },
};
