// Whether the left side of an `=` only names the answer (x, y_1, \frac{NO}{BO}, f(x), AB,
// m\angle ABC, (x, y), f^{-1}(x)) rather than being an expression of an equation (x+1, 2x, x^2).

/** Commands that are operations, so a side using them is an expression, not a name. */
const OPERATIONS = /\\(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sqrt|sum|prod|int|lim|cdot|times|div|pm|mp|binom)(?![a-zA-Z])/;
/** Decorations that keep a name a name. */
const DECORATIONS = /\\(?:angle|measuredangle|triangle|overline|overrightarrow|vec|widehat|hat|bar|tilde|mathrm|mathit|mathbf|text|operatorname|left|right)(?![a-zA-Z])\s*/g;

export function isName(side: string): boolean {
  let t = side.trim();
  // A constant alone (\pi = 3) is a value, not a name for the answer.
  if (t === '' || t.length > 60 || OPERATIONS.test(t) || /^\\(?:pi|infty)$/.test(t)) return false;
  t = t.replace(DECORATIONS, '');
  // Subscripts (x_1, a_{10}), primes (f'(x)) and an inverse applied to arguments (f^{-1}(x)) belong to the name.
  t = t.replace(/_\{[^{}]*\}|_[A-Za-z0-9]|\^\{?\s*\\prime\s*\}?|'/g, '');
  t = t.replace(/^([A-Za-z])\^\{\s*-1\s*\}(?=\s*\()/, '$1');
  // Arguments in parentheses (f(x), P(2), (x, y)) may hold digits; remove them after checking.
  let prev = '';
  while (prev !== t) {
    prev = t;
    // A tuple of names, (x, y), is itself a name.
    t = t.replace(/\(([^()]*)\)/g, (_, inner: string) => (!/^[\s\w,\\.-]*$/.test(inner) ? '#' : /^\(/.test(t) && /[A-Za-z]/.test(inner) ? 'a' : ' '));
  }
  // \frac{NO}{BO}: a ratio of names is still a name.
  t = t.replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, ' $1 $2 ');
  t = t.replace(/[{}|\s]/g, '');
  if (t === '' || /[^A-Za-z\\]/.test(t.replace(/\\[a-zA-Z]+/g, 'x'))) return false;
  return /[A-Za-z]/.test(t);
}

/** A side with digits and no variables: LaTeX commands (\\times, \\frac, \\pi) aside, no letters. */
export function isConstant(side: string): boolean {
  const bare = side.replace(/\\[a-zA-Z]+/g, ' ');
  return /\d/.test(bare) && !/[a-zA-Z]/.test(bare);
}

/** Single letters (x_1 allowed) joined by +, -, \\cdot, \\times or nothing: m+n, a+b+c, xy, a \\cdot b. */
const NAMES_COMBINED = /^[A-Za-z](?:_\{?\w+\}?)?(?:\s*(?:[+-]|\\cdot|\\times)?\s*[A-Za-z](?:_\{?\w+\}?)?)+$/;

/**
 * True if `lhs = rhs` states the value of what the question asked for: a name (x = 3), or, with a
 * constant right side, letters combined without numbers (AIME's "m + n = 33", "a + b + c = 12").
 * An equation with numbers on the left (2x - 3 = 3, x + 1 = 3) is one to solve, not a value.
 */
export function namesAValue(lhs: string, rhsText: string): boolean {
  return isName(lhs) || (NAMES_COMBINED.test(lhs.trim()) && isConstant(rhsText));
}
