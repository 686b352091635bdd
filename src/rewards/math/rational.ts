// Exact values of purely numeric answers as big rationals (BigInt numerator / denominator):
// integers, decimals, scientific notation, a/b, \frac, mixed numbers, + − × ÷, integer powers
// and small factorials. Two such answers are compared exactly, so 10^{400} ≠ 10^{401},
// 1e400 ≠ 2e400 and 2^{100} ≠ 2^{100}+1 (doubles would overflow or round them equal).
// Anything else (\pi, \sqrt, variables) is not a rational literal: the caller falls back to
// the symbolic engine. Work is bounded: exponents, factorials and result sizes are capped.

import { add as exactAdd, div as exactDiv, equals, mul as exactMul, rational, sub as exactSub, type Rational } from '../../util/rational.js';

export type { Rational };

/** Caps that keep one evaluation in microseconds: no value grows past MAX_DIGITS digits. */
const MAX_DIGITS = 5000;
const MAX_FACTORIAL = 100;

class TooBig extends Error {}

/** `r`, unless either part has grown past MAX_DIGITS digits. */
function bounded(r: Rational): Rational {
  if (digits(r.num) > MAX_DIGITS || digits(r.den) > MAX_DIGITS) throw new TooBig();
  return r;
}

/** n / d in lowest terms (d = 0 throws, so 1/0 is not a value), bounded. */
const make = (n: bigint, d: bigint): Rational => bounded(rational(n, d));

function digits(x: bigint): number {
  return (x < 0n ? -x : x).toString().length;
}

const add = (a: Rational, b: Rational): Rational => bounded(exactAdd(a, b));
const sub = (a: Rational, b: Rational): Rational => bounded(exactSub(a, b));
const mul = (a: Rational, b: Rational): Rational => bounded(exactMul(a, b));
/** a / b; b = 0 throws (caught as "not a value"), as `make` does. */
function div(a: Rational, b: Rational): Rational {
  const q = exactDiv(a, b);
  if (q === null) throw new RangeError('division by zero');
  return bounded(q);
}

function pow(base: Rational, e: Rational): Rational {
  if (e.den !== 1n) throw new NotRational();
  const k = e.num < 0n ? -e.num : e.num;
  // Estimated size of the result before computing it.
  if (k > 0n && log10Size(base) * Number(k) > MAX_DIGITS) throw new TooBig();
  const r = make(base.num ** k, base.den ** k);
  return e.num < 0n ? div(make(1n, 1n), r) : r;
}

function factorial(x: Rational): Rational {
  if (x.den !== 1n || x.num < 0n || x.num > BigInt(MAX_FACTORIAL)) throw new NotRational();
  let v = 1n;
  for (let i = 2n; i <= x.num; i++) v *= i;
  return make(v, 1n);
}

class NotRational extends Error {}

/** Roughly how many decimal digits the larger part of `a` has (log10, not rounded up). */
function log10Size(a: Rational): number {
  const big = (a.num < 0n ? -a.num : a.num) > a.den ? (a.num < 0n ? -a.num : a.num) : a.den;
  const len = big.toString().length;
  return len > 15 ? len : Math.log10(Number(big));
}

/** Decimal or scientific literal "12.50", ".5", "1.5e-3" as an exact rational. */
function literal(text: string): Rational {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d{1,6}))?$/.exec(text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new NotRational();
  const frac = m[2] ?? '';
  let r = make(BigInt((m[1] || '0') + frac), 10n ** BigInt(frac.length));
  if (m[3] !== undefined) r = mul(r, pow(make(10n, 1n), make(BigInt(m[3]), 1n)));
  return r;
}

const TOKEN_RE = /\s*(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\\frac|\\cdot|\\times|\\div|[-+*/^(){}!]|\S)/y;

/** Recursive-descent evaluator over a token list; throws NotRational on anything else. */
class Evaluator {
  private i = 0;
  constructor(private readonly toks: string[]) {}

  run(): Rational {
    const v = this.sum();
    if (this.i !== this.toks.length) throw new NotRational();
    return v;
  }

  private peek(): string | undefined {
    return this.toks[this.i];
  }

  private take(t: string): void {
    if (this.toks[this.i] !== t) throw new NotRational();
    this.i++;
  }

  private sum(): Rational {
    let v = this.product();
    for (let t = this.peek(); t === '+' || t === '-'; t = this.peek()) {
      this.i++;
      v = t === '+' ? add(v, this.product()) : sub(v, this.product());
    }
    return v;
  }

  private product(): Rational {
    let v = this.unary();
    for (let t = this.peek(); t === '*' || t === '\\cdot' || t === '\\times' || t === '/' || t === '\\div'; t = this.peek()) {
      this.i++;
      v = t === '/' || t === '\\div' ? div(v, this.unary()) : mul(v, this.unary());
    }
    return v;
  }

  private unary(): Rational {
    const t = this.peek();
    if (t === '-' || t === '+') {
      this.i++;
      const v = this.unary();
      return t === '-' ? make(-v.num, v.den) : v;
    }
    return this.power();
  }

  private power(): Rational {
    let v = this.atom();
    for (;;) {
      if (this.peek() === '!') {
        this.i++;
        v = factorial(v);
      } else if (this.peek() === '^') {
        this.i++;
        // Exponents are a single digit, a braced group, or a signed atom: 10^3, 10^{-2}.
        const t = this.peek();
        const e = t !== undefined && /^\d+$/.test(t) && t.length > 1 ? this.digitOf(t) : this.unary();
        v = pow(v, e);
      } else return v;
    }
  }

  /** `10^23` in LaTeX means 10^2 followed by 3; take only the first digit as the exponent. */
  private digitOf(t: string): Rational {
    this.toks.splice(this.i, 1, t[0], t.slice(1));
    this.i++;
    return make(BigInt(t[0]), 1n);
  }

  private atom(): Rational {
    const t = this.peek();
    if (t === undefined) throw new NotRational();
    this.i++;
    if (t === '(' || t === '{') {
      const v = this.sum();
      this.take(t === '(' ? ')' : '}');
      return v;
    }
    if (t === '\\frac') {
      this.take('{');
      const num = this.sum();
      this.take('}');
      this.take('{');
      const den = this.sum();
      this.take('}');
      return div(num, den);
    }
    if (/^[\d.]/.test(t)) return literal(t);
    throw new NotRational();
  }
}

/** Whole-answer mixed numbers: 3\frac{1}{2}, 3 1/2 (read as 3 + 1/2, not 3 × 1/2). */
const MIXED_RE = [/^([-+]?)\s*(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}$/, /^([-+]?)\s*(\d+)\s+(\d+)\s*\/\s*(\d+)$/];

/**
 * The exact value of a purely numeric answer, or null if it is not one (or its value is not a
 * finite rational, like 1/0, or too large to compute). Also reads "1.5 x 10^3".
 */
export function exactValue(text: string): Rational | null {
  const t = text.trim().replace(/(\d)\s*x\s*(?=10\s*\^)/, '$1\\times ');
  if (t === '' || t.length > 200) return null;
  for (const re of MIXED_RE) {
    const m = re.exec(t);
    if (m === null) continue;
    // "3 1/0" is not a value: make throws on a zero denominator (and on size), as in the parser below.
    try {
      const v = add(make(BigInt(m[2]), 1n), make(BigInt(m[3]), BigInt(m[4])));
      return m[1] === '-' ? make(-v.num, v.den) : v;
    } catch {
      return null;
    }
  }
  const toks: string[] = [];
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(t); m !== null; m = TOKEN_RE.exec(t)) toks.push(m[1]);
  if (toks.join('').length !== t.replace(/\s+/g, '').length) return null;
  try {
    return new Evaluator(toks).run();
  } catch {
    return null;
  }
}

export const rationalsEqual = equals;

/** a / 100 (a percent read as a fraction). */
export function percentOf(a: Rational): Rational {
  return make(a.num, a.den * 100n);
}

/** The nearest double, or null if it does not fit in one (never ±Infinity). */
export function toDouble(a: Rational): number | null {
  const v = Number(a.num) / Number(a.den);
  return Number.isFinite(v) ? v : null;
}

/** Digits after the point of a plain decimal literal ("0.333333" -> 6), or 0 if `text` is not one. */
export function decimalPlaces(text: string): number {
  const m = /^[-+]?\d*\.(\d+)$/.exec(text.trim());
  return m ? m[1].length : 0;
}

/** True if `x` rounded to `places` decimals is the decimal `dec`: |x − dec| ≤ ½·10^−places. */
export function roundsTo(x: Rational, dec: Rational, places: number): boolean {
  const diff = sub(x, dec);
  const abs = diff.num < 0n ? -diff.num : diff.num;
  return abs * 2n * 10n ** BigInt(places) <= diff.den;
}

/** |a − b|. */
export function absDifference(a: Rational, b: Rational): Rational {
  const d = sub(a, b);
  return d.num < 0n ? make(-d.num, d.den) : d;
}

/** True if the decimal `dec` (of `places` places) is `x` rounded or cut off (towards zero) at that place. */
export function roundsOrCutsTo(x: Rational, dec: Rational, places: number): boolean {
  if (roundsTo(x, dec, places)) return true;
  // Cut off: dec lies between 0 and x, less than one unit of its last place from x.
  const diff = sub(x, dec);
  const abs = diff.num < 0n ? -diff.num : diff.num;
  const sameSide = dec.num === 0n || (dec.num < 0n) === (x.num < 0n);
  const towardZero = (diff.num < 0n) === (x.num < 0n) || diff.num === 0n;
  return sameSide && towardZero && abs * 10n ** BigInt(places) < diff.den;
}
