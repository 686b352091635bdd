// The symbolic layer: LaTeX -> value through @cortex-js/compute-engine (pinned), for answers
// that are not plain numeric literals. Constants are evaluated numerically; expressions with
// variables are compared at seeded random points. Inputs are size-bounded before parsing,
// because the engine's work cannot be interrupted once started (see docs/rewards.md).
import { ComputeEngine } from '@cortex-js/compute-engine';
import { Rng } from '../../util/rng.js';
import { nestingDepth } from './latex-scan.js';
import { numbersClose } from './numeric.js';

type Boxed = ReturnType<ComputeEngine['parse']>;

export type SymbolicValue =
  /** `flushed`: the engine returned 0, which it also does for any |value| below ~1e-10. */
  | { kind: 'number'; re: number; im: number; flushed?: boolean }
  | { kind: 'expr'; expr: Boxed; vars: string[] }
  | { kind: 'invalid'; why: string };

/** Bounds that keep one parse+evaluate in the low milliseconds. */
export const SYMBOLIC_LIMITS = { maxChars: 300, maxDepth: 12, maxPowers: 8, maxDigits: 40, points: 6, minPoints: 3 };

let engine: ComputeEngine | null = null;
/** A second engine that evaluates with PRECISE_DIGITS digits (its expressions never meet the first's). */
let preciseEngine: ComputeEngine | null = null;
const PRECISE_DIGITS = 50;
let parses = 0;
/** The engine declares every new symbol it parses; a fresh one every so often bounds that growth. */
const PARSES_PER_ENGINE = 2_000;
const cache = new Map<string, SymbolicValue>();

function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Why `latex` is too big or deep to hand to the engine, or null if it is fine. */
export function tooComplex(latex: string): string | null {
  const L = SYMBOLIC_LIMITS;
  if (latex.length > L.maxChars) return `answer longer than ${L.maxChars} characters`;
  if (nestingDepth(latex) > L.maxDepth) return `answer nested deeper than ${L.maxDepth}`;
  if ((latex.match(/\^/g) ?? []).length > L.maxPowers) return `more than ${L.maxPowers} powers`;
  if (new RegExp(`\\d{${L.maxDigits + 1}}`).test(latex)) return `a number with more than ${L.maxDigits} digits`;
  if (/!\s*!|\)\s*!|\}\s*!|\d{3,}\s*!/.test(latex)) return 'large or nested factorial';
  return null;
}

function finiteOrInf(x: unknown): number {
  return typeof x === 'number' ? x : NaN;
}

/**
 * Replaces the engine after PARSES_PER_ENGINE parses. Called between comparisons only, never
 * during one, because expressions of two engines must not meet. Cached values hold expressions
 * of the old engine, so they go with it.
 */
export function renewEngineIfDue(): void {
  if (parses < PARSES_PER_ENGINE) return;
  engine = null;
  preciseEngine = null;
  parses = 0;
  cache.clear();
  preciseCache.clear();
}

/** toSymbolic with a cache (answers repeat a lot: every sample of a group has the same gold). */
export function toSymbolicCached(latex: string): SymbolicValue {
  let v = cache.get(latex);
  if (v) return v;
  parses++;
  v = toSymbolic(latex);
  if (cache.size >= 5000) cache.clear();
  cache.set(latex, v);
  return v;
}

/**
 * The engine reads a digit followed by e as scientific notation even across spaces and glued
 * letters ("4e + 7p" became 4·10^7·p). Only a whole literal such as 1.5e-3 is scientific (and
 * exact literals never reach the engine); any other digit-e is a product with e.
 */
function explicitE(latex: string): string {
  return latex.replace(/(?<![\w.])(\d+(?:\.\d+)?e[+-]?\d+)(?![\w.])|(\d)\s*e(?![a-zA-Z])/g, (m, sci: string | undefined, d: string) => (sci !== undefined ? m : `${d}\\cdot e`));
}

/**
 * A named function applied to one letter or digit (f(x), g(2), h(t)) becomes one symbol (f_{x}):
 * the engine reads some of these as products and refuses others by the letter's type ("g(x)+1"
 * did not parse), so "3 - 2g(x)" and "-2g(x) + 3" could not be compared. x(x+1) is a product and stays.
 */
function functionCalls(latex: string): string {
  return latex.replace(/(?<![\\a-zA-Z])([fgh])\s*\(\s*([a-zA-Z0-9])\s*\)/g, '$1_{$2}');
}

export function toSymbolic(latex: string): SymbolicValue {
  const why = tooComplex(latex);
  if (why) return { kind: 'invalid', why };
  const expr = ce().parse(functionCalls(explicitE(latex)));
  if (!expr.isValid) return { kind: 'invalid', why: 'not parseable LaTeX' };
  const vars = [...expr.unknowns].sort();
  if (vars.length > 0) return { kind: 'expr', expr, vars };
  const n = expr.N();
  const re = finiteOrInf(n.re);
  const im = finiteOrInf(n.im);
  if (Number.isNaN(re)) return { kind: 'invalid', why: 'not a number' };
  // An overflowing value (e^{1000}) is unknown, not infinite: two of them must not compare equal.
  if (!Number.isFinite(re) || (!Number.isNaN(im) && !Number.isFinite(im))) {
    // Only a value the engine knows to be infinite (\infty, -\infty) stays ±Infinity.
    if (expr.isInfinity === true && im === 0) return { kind: 'number', re, im: 0 };
    return { kind: 'invalid', why: 'value overflows a double' };
  }
  if (re === 0 && (im === 0 || Number.isNaN(im))) return { kind: 'number', re: 0, im: 0, flushed: true };
  return { kind: 'number', re, im: Number.isNaN(im) ? 0 : im };
}

/** Evaluates an expression with the given variable values; [re, im] or null if undefined there. */
function evaluateAt(expr: Boxed, vars: readonly string[], values: readonly number[]): [number, number] | null {
  const subs: Record<string, Boxed> = {};
  vars.forEach((v, i) => (subs[v] = ce().number(values[i])));
  const n = expr.subs(subs).N();
  const re = finiteOrInf(n.re);
  const im = finiteOrInf(n.im);
  if (!Number.isFinite(re)) return null;
  return [re, Number.isFinite(im) ? im : 0];
}

export type PointCheck = 'equal' | 'different' | 'undecided' | 'timeout';

/**
 * Compares two expressions in the same variables (or an expression and a constant [re, im]) at
 * seeded random points. With `proportional`,
 * they may differ by a constant non-zero factor (used for equations: 2x+2y=2 is x+y=1).
 */
export function equalAtPoints(a: Boxed, b: Boxed | [number, number], vars: readonly string[], deadline: number, proportional = false): PointCheck {
  const rng = new Rng(0x5eed);
  let compared = 0;
  let ratio: number | null = null;
  for (let attempt = 0; attempt < SYMBOLIC_LIMITS.points * 2 && compared < SYMBOLIC_LIMITS.points; attempt++) {
    if (performance.now() > deadline) return 'timeout';
    // Both signs and non-integer magnitudes, so |x| vs x and x^2 vs 2x are told apart.
    const values = vars.map(() => (rng.next() < 0.5 ? -1 : 1) * (0.3 + 2.7 * rng.next()));
    const va = evaluateAt(a, vars, values);
    const vb = Array.isArray(b) ? b : evaluateAt(b, vars, values);
    if (va === null || vb === null) continue;
    compared++;
    if (proportional) {
      if (Math.abs(vb[0]) < 1e-12 && Math.abs(va[0]) < 1e-12) continue;
      if (Math.abs(vb[0]) < 1e-12) return 'different';
      const r = va[0] / vb[0];
      if (ratio === null) ratio = r;
      else if (!numbersClose(ratio, r)) return 'different';
    } else if (!numbersClose(va[0], vb[0]) || !numbersClose(va[1], vb[1])) {
      return 'different';
    }
  }
  return compared >= SYMBOLIC_LIMITS.minPoints ? 'equal' : 'undecided';
}

/** Whether an expression takes the value re + im·i at every random point. */
export function constantAtPoints(expr: Boxed, vars: readonly string[], re: number, im: number, deadline: number): PointCheck {
  return equalAtPoints(expr, [re, im], vars, deadline);
}

/** Parses `(lhs)-(rhs)` of an equation as one expression, for proportionality checks. */
export function equationDifference(lhs: string, rhs: string): SymbolicValue {
  return toSymbolic(`(${lhs})-(${rhs})`);
}

const preciseCache = new Map<string, string | null>();

/**
 * The value of a real constant to 50 significant digits, as decimal text ("3.1462643699…",
 * "3.98e+30"); null when the engine gives no such value (too complex, variables, not real).
 * Doubles cannot tell 2^{64}+\sqrt{2} from 2^{64}, or 10^{9}\pi from 3141592654; these digits can.
 */
export function preciseValue(latex: string): string | null {
  const cached = preciseCache.get(latex);
  if (cached !== undefined) return cached;
  const v = evaluatePrecisely(latex);
  if (preciseCache.size >= 5000) preciseCache.clear();
  preciseCache.set(latex, v);
  return v;
}

function evaluatePrecisely(latex: string): string | null {
  if (tooComplex(latex) !== null) return null;
  if (preciseEngine === null) {
    preciseEngine = new ComputeEngine();
    preciseEngine.precision = PRECISE_DIGITS;
  }
  parses++;
  const expr = preciseEngine.parse(functionCalls(explicitE(latex)));
  if (!expr.isValid || expr.unknowns.length > 0) return null;
  const n = expr.N();
  const im = finiteOrInf(n.im);
  if (!Number.isNaN(im) && im !== 0) return null;
  const json: unknown = n.json;
  const text = typeof json === 'number' ? String(json) : json !== null && typeof json === 'object' && 'num' in json ? (json as { num: unknown }).num : null;
  return typeof text === 'string' && /^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/i.test(text) ? text : null;
}
