// Parses a normalised answer into its shape: scalar, ordered sequence (tuple or interval, with
// its brackets), unordered set (\{…\}, "a, b" lists, ±), union of intervals, matrix, equation.
import { splitTopLevel, splitTopLevelRe, wrapsWhole } from './latex-scan.js';
import type { NormalizedAnswer } from './normalize.js';
import { isConstant, isName } from './names.js';
import { relationIntervals } from './relation.js';

export type Answer =
  | { kind: 'scalar'; text: string; percent: boolean }
  /** `named`: read from assignments `a=3, b=4`, which also answer the bare list `3, 4`. */
  | { kind: 'seq'; open: string; close: string; items: Answer[]; named?: boolean }
  | { kind: 'set'; items: Answer[] }
  | { kind: 'union'; items: Answer[] }
  | { kind: 'matrix'; rows: Answer[][] }
  | { kind: 'equation'; lhs: string; rhsText: string; rhs: Answer }
  /**
   * Several readings of one answer (`x = a = b`, `5 + 13 = 18`, and with `approx` `a \approx b`):
   * equal if any reading is, but only when the readings agree (each later one equal to the first,
   * or with `approx` a rounding of it); a hedge such as `1 = 2 = … = 50` or `17 \approx 18` is never equal.
   */
  | { kind: 'either'; items: Answer[]; approx?: boolean };

const MAX_ITEMS = 64;
const MATRIX_RE = /^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/;

function scalar(text: string, percent: boolean): Answer {
  return { kind: 'scalar', text: text.trim(), percent };
}

function items(parts: string[], percent: boolean, depth: number): Answer[] {
  return parts.slice(0, MAX_ITEMS).map((p) => parseShape(p.trim(), percent, depth + 1));
}

/**
 * The elements of a set or bare list: an element with \pm is both of its values, so
 * \{1\pm\sqrt{5},-2\} (MATH-500's gold) is the three roots a model lists one by one.
 */
function setItems(parts: string[], percent: boolean, depth: number): Answer[] {
  return items(parts, percent, depth).flatMap((a, i) => (a.kind === 'set' && PM.test(parts[i]) ? a.items : [a]));
}

const PM = /\\(?:pm|mp)(?![a-zA-Z])/;

export function parseAnswer(n: NormalizedAnswer): Answer {
  return parseShape(n.text, n.percent, 0);
}

function parseShape(text: string, percent: boolean, depth: number): Answer {
  const t = text.trim();
  if (depth > 6) return scalar(t, percent);

  const matrix = MATRIX_RE.exec(t);
  if (matrix) {
    const rows = splitTopLevel(matrix[2].trim(), '\\\\')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    return { kind: 'matrix', rows: rows.slice(0, MAX_ITEMS).map((r) => items(splitTopLevel(r, '&'), percent, depth)) };
  }

  const unionParts = splitTopLevel(t, '\\cup');
  if (unionParts.length > 1) return { kind: 'union', items: items(unionParts, percent, depth) };

  if (t.startsWith('\\{') && t.endsWith('\\}') && wrapsWhole(t)) {
    const inner = t.slice(2, -2).trim();
    // Set-builder notation normalisation could not read (\{y \mid x > 0\}) lists no elements.
    if (/\\mid(?![a-zA-Z])/.test(inner) || inner.split('|').length === 2) return scalar(t, percent);
    return { kind: 'set', items: inner === '' ? [] : setItems(splitTopLevel(inner, ','), percent, depth) };
  }

  // {1, 2} written without backslashes is a set; {5} is only grouping.
  if (t[0] === '{' && t.endsWith('}') && wrapsWhole(t)) {
    const inner = t.slice(1, -1).trim();
    const parts = splitTopLevel(inner, ',');
    return parts.length > 1 ? { kind: 'set', items: setItems(parts, percent, depth) } : parseShape(inner, percent, depth + 1);
  }

  if ((t[0] === '(' || t[0] === '[') && wrapsWhole(t)) {
    const inner = t.slice(1, -1);
    const parts = splitTopLevel(inner, ',');
    if (parts.length > 1) return { kind: 'seq', open: t[0], close: t[t.length - 1], items: items(parts, percent, depth) };
    if (t[0] === '(' && t.endsWith(')')) return parseShape(inner, percent, depth + 1);
  }

  // `\frac{1}{3} \approx 0.33`: the exact value or its approximation.
  const approx = splitTopLevel(t, '\\approx').map((p) => p.trim());
  if (approx.length > 1 && approx.every((p) => p !== '')) {
    // A variable before \approx only names the value (x \approx 3.14); a constant such as \pi is the exact value.
    const values = approx.filter((p, i) => i > 0 || !isName(p) || /^\\[a-zA-Z]+$/.test(p));
    return { kind: 'either', items: items(values, percent, depth), approx: true };
  }

  const intervals = relationIntervals(t);
  if (intervals) {
    const seqs: Answer[] = intervals.map((iv) => ({ kind: 'seq', open: iv.open, close: iv.close, items: [scalar(iv.lo, percent), scalar(iv.hi, percent)] }));
    return seqs.length === 1 ? seqs[0] : { kind: 'union', items: seqs };
  }

  const assigned = assignmentList(t, percent, depth);
  if (assigned) return assigned;

  const sides = splitTopLevel(t, '=').map((p) => p.trim());
  // A calculation that ends in its result ("5 + 13 = 18", "3 \times 6 = 18") states the result,
  // when its sides agree (the comparison checks that): "3 + 4 = 18" states nothing.
  if (sides.length === 2 && sides.every((p) => p !== '' && isConstant(p))) return { kind: 'either', items: items(sides, percent, depth) };
  if (sides.length >= 2 && sides.every((p) => p !== '')) {
    const rhsText = sides[sides.length - 1];
    // x = a = b: a name equal to each later side; a chain without a name (a = b = c) is each of
    // its sides, which must all agree.
    if (sides.length > 2 && !isName(sides[0])) return { kind: 'either', items: items(sides, percent, depth) };
    const rhs: Answer = sides.length === 2 ? parseShape(rhsText, percent, depth + 1) : { kind: 'either', items: items(sides.slice(1), percent, depth) };
    return { kind: 'equation', lhs: sides[0], rhsText, rhs };
  }

  const list = splitTopLevel(t, ',').filter((p) => p.trim() !== '');
  if (list.length <= 1) {
    const semi = splitTopLevel(t, ';').filter((p) => p.trim() !== '');
    if (semi.length > 1) return { kind: 'set', items: items(semi, percent, depth) };
  }
  if (list.length > 1) return { kind: 'set', items: setItems(list, percent, depth) };
  const words = t.split(/\s+(?:and|or)\s+/);
  if (words.length > 1 && words.every((w) => w.trim() !== '')) return { kind: 'set', items: items(words, percent, depth) };

  // a \pm b is the set {a + b, a - b}.
  const pm = splitTopLevel(t, '\\pm');
  if (pm.length === 2) {
    const [a, b] = pm.map((p) => p.trim());
    const plus = a === '' ? b : `${a}+${b}`;
    const minus = a === '' ? `-${b}` : `${a}-(${b})`;
    return { kind: 'set', items: [scalar(plus, percent), scalar(minus, percent)] };
  }
  // One \pm (or \mp) inside, as in the quadratic formula's \frac{-1 \pm \sqrt{5}}{2}: both signs.
  const signs = t.match(/\\(?:pm|mp)(?![a-zA-Z])/g) ?? [];
  if (signs.length === 1) {
    const with_ = (sign: string): Answer => scalar(t.replace(/\\(?:pm|mp)(?![a-zA-Z])/, sign), percent);
    return { kind: 'set', items: [with_('+'), with_('-')] };
  }
  return scalar(t, percent);
}

const ASSIGNMENT_SEPARATORS = /;|,|\s+(?:and|or)\s+|\\text\s*\{\s*(?:and|or)\s*\}|\\quad/;

/**
 * Lists of assignments: `x=1, x=2` (one name) is the set {1, 2}; `p=5, q=2` (distinct names)
 * is the tuple (5, 2); groups separated by `;` or "or" (`p=5,q=2; p=7,q=2`) are a set of those.
 */
function assignmentList(t: string, percent: boolean, depth: number): Answer | null {
  if (!t.includes('=') || !/[,;]|\s(?:and|or)\s|\\text|\\quad/.test(t)) return null;
  const groups = splitTopLevel(t, ';').flatMap((g) => g.split(/\s+or\s+|\\text\s*\{\s*or\s*\}/)).map((g) => g.trim());
  if (groups.some((g) => g === '')) return null;
  const parsed: Array<Array<[string, string]>> = [];
  for (const g of groups) {
    const parts = splitTopLevelRe(g, ASSIGNMENT_SEPARATORS).map((p) => p.trim()).filter((p) => p !== '');
    const pairs: Array<[string, string]> = [];
    for (const p of parts) {
      const sides = splitTopLevel(p, '=').map((x) => x.trim());
      if (sides.length !== 2 || sides[1] === '' || !isName(sides[0])) return null;
      pairs.push([sides[0].replace(/\s+/g, ''), sides[1]]);
    }
    if (pairs.length === 0) return null;
    parsed.push(pairs);
  }
  const names = new Set(parsed.flat().map(([n]) => n));
  if (parsed.length === 1 && parsed[0].length === 1) return null;
  // One name throughout (or indexed roots x_1, x_2 of one name): the set of its values.
  const bases = new Set([...names].map((n) => n.replace(/_\{?\w+\}?$/, '')));
  if (names.size === 1 || (bases.size === 1 && [...names].every((n) => /_/.test(n)))) return { kind: 'set', items: items(parsed.flat().map(([, v]) => v), percent, depth) };
  const group = (pairs: Array<[string, string]>): Answer =>
    pairs.length === 1 ? parseShape(pairs[0][1], percent, depth + 1) : { kind: 'seq', open: '(', close: ')', items: items(pairs.map(([, v]) => v), percent, depth) };
  if (parsed.length === 1) {
    const tuple = group(parsed[0]);
    return tuple.kind === 'seq' ? { ...tuple, named: true } : tuple;
  }
  return { kind: 'set', items: parsed.map(group) };
}

/** The multiple-choice letter an answer names, e.g. "C", "(C)", "(C) 12", "C)"; or null. */
export function choiceLetter(text: string, strict: boolean): string | null {
  const t = text.trim();
  // A lowercase a-d is its option too; a lowercase e is Euler's number (e is not E, either way round).
  const whole = /^\(?([A-Ea-d])\)?$/.exec(t);
  if (whole) return whole[1].toUpperCase();
  if (strict) return null;
  const lead = /^\(([A-E])\)|^([A-E])[).:](?:\s|$)|^(?:option|choice)\s+\(?([A-E])\b/i.exec(t);
  if (!lead) return null;
  const letter = lead[1] ?? lead[2] ?? lead[3];
  // "A. 12" reads as a letter only in capitals: "a: 5" is more likely a variable.
  return /[A-E]/.test(letter) || lead[3] !== undefined ? letter.toUpperCase() : null;
}
