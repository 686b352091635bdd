// Equivalence of two parsed answers: structure first (tuple order and brackets matter, sets
// are unordered, matrices by shape), then scalars by string, exact numeric literal, and the
// symbolic engine (numeric value, or agreement at random points when variables are present).
import type { Answer } from './answer.js';
import { isName, namesAValue } from './names.js';
import { sameDigitsOneBaseless } from './bases.js';
import { numbersClose } from './numeric.js';
import { absDifference, decimalPlaces, exactValue, percentOf, rationalsEqual, roundsTo, toDouble, roundsOrCutsTo, type Rational } from './rational.js';
import { constantAtPoints, equalAtPoints, equationDifference, preciseValue, toSymbolicCached, type SymbolicValue } from './symbolic.js';

export interface CompareContext {
  /** performance.now() after which the comparison gives up (verdict: not equal, reason timeout). */
  deadline: number;
  /** Why the comparison stopped short, if it did (timeout, too complex). */
  reason?: string;
}

export class ComparisonTimeout extends Error {}

function checkTime(ctx: CompareContext): void {
  if (performance.now() > ctx.deadline) throw new ComparisonTimeout('comparison exceeded its time budget');
}

export function answersMatch(a: Answer, b: Answer, ctx: CompareContext): boolean {
  checkTime(ctx);
  // Boxes offered with "or" that do not agree (x is \boxed{3} or \boxed{\frac{2}{5}}) name
  // several solutions: the same solutions, listed either way, answer them.
  const listed = (e: Answer): e is Extract<Answer, { kind: 'either' }> => e.kind === 'either' && e.approx === true && !readingsAgree(e, ctx);
  if (listed(a) && (listed(b) || b.kind === 'set')) return multisetsMatch(a.items, b.items, ctx);
  if (listed(b) && a.kind === 'set') return multisetsMatch(a.items, b.items, ctx);
  if (a.kind === 'either') return readingsAgree(a, ctx) && a.items.some((x) => answersMatch(x, b, ctx));
  if (b.kind === 'either') return readingsAgree(b, ctx) && b.items.some((y) => answersMatch(a, y, ctx));
  // "x = 3" answers with 3 (also \frac{NO}{BO} = 2, f(x) = 3, and m + n = 33 for AIME's "find
  // m + n"); a left side with numbers (2x = 6, x + 1 = 3) makes an equation to compare as such.
  if (a.kind === 'equation' && b.kind === 'equation') return equationsMatch(a, b, ctx);
  if (a.kind === 'equation') return namesAValue(a.lhs, a.rhsText) && answersMatch(a.rhs, b, ctx);
  if (b.kind === 'equation') return namesAValue(b.lhs, b.rhsText) && answersMatch(a, b.rhs, ctx);

  if (a.kind === 'matrix' && b.kind === 'matrix') {
    return a.rows.length === b.rows.length && a.rows.every((row, i) => sequencesMatch(row, b.rows[i], ctx));
  }
  // A column or row vector written as a matrix equals the same tuple.
  if (a.kind === 'matrix' && b.kind === 'seq') return b.open === '(' && b.close === ')' && sequencesMatch(vectorOf(a), b.items, ctx);
  if (a.kind === 'seq' && b.kind === 'matrix') return answersMatch(b, a, ctx);

  // Named values answer a bare list of the same values (which reads as unordered); two
  // assignment lists still compare name by name, as tuples.
  if (a.kind === 'seq' && a.named === true && b.kind === 'set') return multisetsMatch(a.items, b.items, ctx);
  if (a.kind === 'set' && b.kind === 'seq' && b.named === true) return multisetsMatch(a.items, b.items, ctx);
  if (a.kind === 'seq' && b.kind === 'seq') return a.open === b.open && a.close === b.close && sequencesMatch(a.items, b.items, ctx);
  if ((a.kind === 'set' && b.kind === 'set') || (a.kind === 'union' && b.kind === 'union')) return multisetsMatch(a.items, b.items, ctx);
  if (a.kind === 'scalar' && b.kind === 'scalar') return scalarsMatch(a, b, ctx);
  // A set of one solution ({3}, \{(1, 2)\}) is answered by that solution, either way round.
  if (a.kind === 'set' && a.items.length === 1 && b.kind !== 'set' && b.kind !== 'union') return answersMatch(a.items[0], b, ctx);
  if (b.kind === 'set' && b.items.length === 1 && a.kind !== 'set' && a.kind !== 'union') return answersMatch(a, b.items[0], ctx);
  return false;
}

/**
 * The readings of an `either` are one answer only when they agree: each later reading equals the
 * first, or (after \approx) is a rounding of it. Otherwise the answer hedges between values
 * (`x = 1 = 2 = … = 50`, `17 \approx 18`, `3 + 4 = 18`) and matches nothing.
 */
function readingsAgree(e: Extract<Answer, { kind: 'either' }>, ctx: CompareContext): boolean {
  const [first, ...rest] = e.items;
  if (first === undefined) return false;
  return rest.every((x) => answersMatch(first, x, ctx) || (e.approx === true && roundingOf(first, x)));
}

/** True if `x` is a decimal (or integer) literal that `exact`'s numeric value rounds to at x's places. */
function roundingOf(exact: Answer, x: Answer): boolean {
  if (exact.kind !== 'scalar' || x.kind !== 'scalar' || exact.percent !== x.percent) return false;
  // Only a written-out decimal rounds: in 0.33 \approx \frac{1}{3} the fraction is no rounding.
  if (!/^-?\d+(?:\.\d+)?$/.test(x.text.trim())) return false;
  const rx = exactValue(x.text);
  if (rx === null) return false;
  // Two exact values decide exactly: in doubles 12345678901234567891 "rounds to" …890.
  const re = exactValue(exact.text);
  if (re !== null) return roundsTo(re, rx, decimalPlaces(x.text));
  const vx = toDouble(rx);
  const sym = toSymbolicCached(exact.text);
  if (vx === null || sym.kind !== 'number' || !numbersClose(sym.im, 0)) return false;
  return numbersClose(sym.re, vx) || Math.abs(sym.re - vx) <= 0.5 * 10 ** -decimalPlaces(x.text) * (1 + 1e-9);
}

function vectorOf(m: Extract<Answer, { kind: 'matrix' }>): Answer[] {
  if (m.rows.every((r) => r.length === 1)) return m.rows.map((r) => r[0]);
  if (m.rows.length === 1) return m.rows[0];
  return [];
}

function sequencesMatch(a: readonly Answer[], b: readonly Answer[], ctx: CompareContext): boolean {
  return a.length > 0 && a.length === b.length && a.every((x, i) => answersMatch(x, b[i], ctx));
}

/** Unordered comparison: every item of `a` pairs with a distinct equivalent item of `b`. */
function multisetsMatch(a: readonly Answer[], b: readonly Answer[], ctx: CompareContext): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    const j = b.findIndex((y, k) => !used[k] && answersMatch(x, y, ctx));
    if (j < 0) return false;
    used[j] = true;
  }
  return true;
}

function equationsMatch(a: Extract<Answer, { kind: 'equation' }>, b: Extract<Answer, { kind: 'equation' }>, ctx: CompareContext): boolean {
  if (isName(a.lhs) && isName(b.lhs) && squash(a.lhs) === squash(b.lhs)) {
    if (answersMatch(a.rhs, b.rhs, ctx)) return true;
  }
  // General equations: lhs − rhs agree up to a non-zero constant factor.
  const da = equationDifference(a.lhs, a.rhsText);
  const db = equationDifference(b.lhs, b.rhsText);
  if (da.kind !== 'expr' || db.kind !== 'expr') return false;
  if (da.vars.join() !== db.vars.join()) return false;
  return pointVerdict(equalAtPoints(da.expr, db.expr, da.vars, ctx.deadline, true), ctx);
}

function squash(s: string): string {
  return s.replace(/\s+/g, '').replace(/\{(\w)\}/g, '$1');
}

function pointVerdict(v: ReturnType<typeof equalAtPoints>, ctx: CompareContext): boolean {
  if (v === 'timeout') throw new ComparisonTimeout('comparison exceeded its time budget');
  if (v === 'undecided') ctx.reason ??= 'expressions could not be evaluated at enough points';
  return v === 'equal';
}

/** Doubles equal, allowing a percent answer to match either its number or its number / 100. */
function valuesMatch(x: number, px: boolean, y: number, py: boolean): boolean {
  // Only true infinities (\infty) reach here as non-finite values; overflows are refused earlier.
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y && px === py;
  if (px === py) return numbersClose(x, y);
  return numbersClose(x, y) || (px ? numbersClose(x / 100, y) : numbersClose(x, y / 100));
}

/**
 * A decimal written with at least this many places stands for any value it approximates to its
 * last place, rounded or cut off (\frac{1}{3} = 0.333333, \frac{2}{3} = 0.666667 = 0.666666, and
 * Python's 0.6666666666666666); shorter decimals must be exact (0.333 is not 1/3).
 */
const ROUNDED_PLACES = 6;

function roundedMatch(ta: string, a: Rational, tb: string, b: Rational): boolean {
  const pa = decimalPlaces(ta);
  const pb = decimalPlaces(tb);
  if (pa >= ROUNDED_PLACES && pb === 0) return roundsOrCutsTo(b, a, pa);
  if (pb >= ROUNDED_PLACES && pa === 0) return roundsOrCutsTo(a, b, pb);
  return false;
}

/** The same rule on doubles (the engine's values). */
function roundsOrCutsToDouble(value: number, decimal: number, places: number): boolean {
  const unit = 10 ** -places;
  if (Math.abs(value - decimal) <= 0.5 * unit * (1 + 1e-9)) return true;
  return Math.abs(decimal) <= Math.abs(value) && Math.sign(decimal) !== -Math.sign(value) && Math.abs(value) - Math.abs(decimal) < unit * (1 - 1e-9);
}

/** Exact rationals equal, with the same percent rule. */
function exactMatch(x: Rational, px: boolean, y: Rational, py: boolean): boolean {
  if (rationalsEqual(x, y)) return true;
  if (px === py) return false;
  return px ? rationalsEqual(percentOf(x), y) : rationalsEqual(x, percentOf(y));
}

/** Normalised prose: lower case, letters and digits only, single spaces. */
function prose(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function scalarsMatch(a: Extract<Answer, { kind: 'scalar' }>, b: Extract<Answer, { kind: 'scalar' }>, ctx: CompareContext): boolean {
  const sa = squash(a.text);
  const sb = squash(b.text);
  if (sa === '' || sb === '') return false;
  if (sa === sb && a.percent === b.percent) return true;
  if (a.percent === b.percent && sameDigitsOneBaseless(sa, sb)) return true;
  // Words (Monday, "no solution") compare as normalised prose; single letters are symbols (e is not E).
  if (isProse(a.text) && isProse(b.text)) {
    const pa = prose(a.text);
    return pa.length > 1 && pa === prose(b.text);
  }

  // Purely numeric answers compare exactly as big rationals (10^{400} is not 10^{401}).
  const ra = exactValue(a.text);
  const rb = exactValue(b.text);
  if (ra !== null && rb !== null) return exactMatch(ra, a.percent, rb, b.percent) || (a.percent === b.percent && roundedMatch(a.text, ra, b.text, rb));
  const na = ra === null ? null : toDouble(ra);
  const nb = rb === null ? null : toDouble(rb);
  if ((ra !== null && na === null) || (rb !== null && nb === null)) {
    ctx.reason ??= 'a value too large to compare with a non-rational answer';
    return false;
  }

  const xa: SymbolicValue = na !== null ? { kind: 'number', re: na, im: 0 } : toSymbolicCached(a.text);
  checkTime(ctx);
  const xb: SymbolicValue = nb !== null ? { kind: 'number', re: nb, im: 0 } : toSymbolicCached(b.text);
  checkTime(ctx);
  if (xa.kind === 'invalid' || xb.kind === 'invalid') {
    const why = xa.kind === 'invalid' ? xa.why : (xb as { why: string }).why;
    if (/longer|deeper|powers|digits|factorial|overflows/.test(why)) ctx.reason ??= `not compared symbolically: ${why}`;
    return false;
  }
  if (xa.kind === 'number' && xb.kind === 'number' && a.percent === b.percent) {
    // A long decimal that the other value rounds to (\pi vs 3.14159265).
    const pa = decimalPlaces(a.text);
    const pb = decimalPlaces(b.text);
    if (pa >= ROUNDED_PLACES && xb.im === 0 && roundsOrCutsToDouble(xb.re, xa.re, pa)) return true;
    if (pb >= ROUNDED_PLACES && xa.im === 0 && roundsOrCutsToDouble(xa.re, xb.re, pb)) return true;
  }
  if (xa.kind === 'number' && xb.kind === 'number') {
    // The engine rounds tiny values to 0 (e^{-50} and e^{-51} both come back 0): two such
    // values cannot be told apart, so they are not called equal.
    if (xa.flushed && xb.flushed) {
      ctx.reason ??= 'both values too small for the engine to tell apart';
      return false;
    }
    if (!valuesMatch(xa.re, a.percent, xb.re, b.percent) || !numbersClose(xa.im, xb.im)) return false;
    return a.percent !== b.percent || xa.im !== 0 || xb.im !== 0 || !preciselyDifferent(ra ?? a.text, xa.re, rb ?? b.text, xb.re);
  }
  if (xa.kind === 'expr' && xb.kind === 'expr') {
    if (xa.vars.join() !== xb.vars.join()) return false;
    return pointVerdict(equalAtPoints(xa.expr, xb.expr, xa.vars, ctx.deadline), ctx);
  }
  // An expression in variables equals a number only if it is that constant everywhere
  // (sin^2 x + cos^2 x = 1, but 3x is not 3).
  if (xa.kind === 'expr' && xb.kind === 'number') return pointVerdict(constantAtPoints(xa.expr, xa.vars, xb.re, xb.im, ctx.deadline), ctx);
  if (xa.kind === 'number' && xb.kind === 'expr') return pointVerdict(constantAtPoints(xb.expr, xb.vars, xa.re, xa.im, ctx.deadline), ctx);
  return false;
}

/**
 * Two real values equal as doubles (within 1e-9 relative) that differ at 50 significant digits
 * (beyond 1e-40 relative, far above that precision's last-digit noise). Each side is an exact
 * rational or an expression the engine evaluates to 50 digits; a precise value that disagrees
 * with its double is not trusted (the engine's high-precision paths are not all sound), and then
 * the doubles' verdict stands.
 */
function preciselyDifferent(a: Rational | string, va: number, b: Rational | string, vb: number): boolean {
  const pa = typeof a === 'string' ? preciseRational(a, va) : a;
  const pb = typeof b === 'string' ? preciseRational(b, vb) : b;
  const magnitude = Math.max(Math.abs(va), Math.abs(vb));
  if (pa === null || pb === null || magnitude === 0) return false;
  const gap = toDouble(absDifference(pa, pb));
  return gap !== null && gap > 1e-40 * magnitude;
}

/** The 50-digit value of `latex` as a rational, when it agrees with its double `v`. */
function preciseRational(latex: string, v: number): Rational | null {
  const text = preciseValue(latex);
  const r = text === null ? null : exactValue(text);
  const d = r === null ? null : toDouble(r);
  return d !== null && numbersClose(d, v) ? r : null;
}

/** Text made of words only (letters, spaces, light punctuation), with at least one 2-letter word. */
function isProse(s: string): boolean {
  return /^[\p{L}\s'.,!?-]+$/u.test(s) && /\p{L}{2}/u.test(s) && !/\\/.test(s);
}
