// A recursive-descent parser and exact evaluator for Countdown answers: non-negative integer
// literals, binary + - * /, parentheses, spaces. No unary minus, no other characters, no eval.
import { add, sub, mul, div, rational, type Rational } from '../util/rational.js';

export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr };

export type ParseResult = { ok: true; expr: Expr } | { ok: false; error: string };

/** Guards against pathological inputs (a completion is untrusted text). */
const MAX_LENGTH = 400;
const MAX_DEPTH = 32;

export function parseExpression(text: string): ParseResult {
  if (text.length > MAX_LENGTH) return { ok: false, error: `longer than ${MAX_LENGTH} characters` };
  let pos = 0;

  const skip = () => {
    while (pos < text.length && text[pos] === ' ') pos++;
  };
  const fail = (error: string): never => {
    throw new SyntaxError(`${error} at position ${pos}`);
  };

  const parseSum = (depth: number): Expr => {
    let left = parseProduct(depth);
    for (;;) {
      skip();
      const c = text[pos];
      if (c !== '+' && c !== '-') return left;
      pos++;
      left = { kind: 'bin', op: c, left, right: parseProduct(depth) };
    }
  };

  const parseProduct = (depth: number): Expr => {
    let left = parseFactor(depth);
    for (;;) {
      skip();
      const c = text[pos];
      if (c !== '*' && c !== '/') return left;
      pos++;
      left = { kind: 'bin', op: c, left, right: parseFactor(depth) };
    }
  };

  const parseFactor = (depth: number): Expr => {
    if (depth > MAX_DEPTH) fail('parentheses nested too deeply');
    skip();
    const c = text[pos];
    if (c === '(') {
      pos++;
      const inner = parseSum(depth + 1);
      skip();
      if (text[pos] !== ')') fail('expected ")"');
      pos++;
      return inner;
    }
    const start = pos;
    while (pos < text.length && text[pos] >= '0' && text[pos] <= '9') pos++;
    if (pos === start) fail(c === undefined ? 'unexpected end' : `unexpected "${c}"`);
    const literal = text.slice(start, pos);
    if (literal.length > 1 && literal[0] === '0') fail(`number with a leading zero "${literal}"`);
    if (literal.length > 9) fail(`number too long "${literal}"`);
    return { kind: 'num', value: Number(literal) };
  };

  try {
    const expr = parseSum(0);
    skip();
    if (pos !== text.length) fail(`unexpected "${text[pos]}"`);
    return { ok: true, expr };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Exact value of an expression, or null if it divides by zero anywhere. */
export function evaluate(expr: Expr): Rational | null {
  if (expr.kind === 'num') return rational(expr.value);
  const l = evaluate(expr.left);
  const r = evaluate(expr.right);
  if (l === null || r === null) return null;
  switch (expr.op) {
    case '+':
      return add(l, r);
    case '-':
      return sub(l, r);
    case '*':
      return mul(l, r);
    case '/':
      return div(l, r);
  }
}

/** The integer literals of an expression, left to right. */
export function literals(expr: Expr): number[] {
  return expr.kind === 'num' ? [expr.value] : [...literals(expr.left), ...literals(expr.right)];
}

/** The operators of an expression, left to right. */
export function operators(expr: Expr): Array<'+' | '-' | '*' | '/'> {
  return expr.kind === 'num' ? [] : [...operators(expr.left), expr.op, ...operators(expr.right)];
}
