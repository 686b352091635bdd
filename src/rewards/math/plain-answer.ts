// Answers in plain text: whether a whole text reads as a bare answer, and its last number.

// A number not glued to letters before it (AZYUK2A holds no answer 2).
export const NUMBER_RE = /(?<![A-Za-z\d_.])-?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s*\/\s*\d+)?/g;

/** The last number in the text (integers with thousands separators, decimals, a/b). */
export function lastNumber(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(NUMBER_RE)) last = m[0];
  return last === null ? null : last.replace(/\s+/g, '');
}

/**
 * True if the text reads as a bare answer rather than prose: one short line with at most two
 * plain words (2+ letters, outside LaTeX commands), and that starts like math if it has digits.
 * "5 apples", "Monday", "x = 3", "\frac{1}{2}" are bare; "I think it is 5" is not.
 */
export function looksBare(text: string): boolean {
  const t = text.trim();
  if (t === '' || t.length > 200 || t.includes('\n')) return false;
  // One token of letters and digits (a code, a name) is an answer as a whole.
  if (/^[A-Za-z0-9]+$/.test(t)) return true;
  // LaTeX commands and plain-text math functions (sqrt(2), 2*pi) are not prose words.
  const plain = t
    .replace(/\\(?:begin|end)\s*\{[a-zA-Z*]+\}(?:\{[lcr|\s]+\})?/g, ' ')
    .replace(/\\[a-zA-Z]+/g, ' ').replace(/\b(?:sqrt|pi|sin|cos|tan|log|ln|exp)\b/g, ' ');
  // Runs of CJK (or other) letters count as words: "所以概率为 $\frac{1}{2}$" is prose.
  const words = plain.match(/[A-Za-z]{2,}|[^\p{Script=Latin}\p{Script=Greek}\P{L}]+/gu) ?? [];
  if (words.length === 0) return true;
  if (words.length > 2) return false;
  // A relation or assignment on a variable ("x<1 or x>3", "x = 2 or x = 3") starts like math too.
  return !/\d/.test(t) || /^[\d\-+.$\\([{]/.test(t) || /^[A-Za-z](?:_\{?\w+\}?)?\s*(?:[<>=≤≥≠]|\\[lg]eq?\b|\\neq?\b)/.test(t);
}
