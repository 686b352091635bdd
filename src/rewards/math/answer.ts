// Parses a normalised answer into its shape: scalar, ordered sequence (tuple or interval, with
// its brackets), unordered set (\{…\}, "a, b" lists, ±), union of intervals, matrix, equation.
import { splitTopLevel, wrapsWhole } from './latex-scan.js';
import type { NormalizedAnswer } from './normalize.js';

export type Answer =
  | { kind: 'scalar'; text: string; percent: boolean }
  | { kind: 'seq'; open: string; close: string; items: Answer[] }
  | { kind: 'set'; items: Answer[] }
  | { kind: 'union'; items: Answer[] }
  | { kind: 'matrix'; rows: Answer[][] }
  | { kind: 'equation'; lhs: string; rhsText: string; rhs: Answer };

const MAX_ITEMS = 64;
const MATRIX_RE = /^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/;

function scalar(text: string, percent: boolean): Answer {
  return { kind: 'scalar', text: text.trim(), percent };
}

function items(parts: string[], percent: boolean, depth: number): Answer[] {
  return parts.slice(0, MAX_ITEMS).map((p) => parseShape(p.trim(), percent, depth + 1));
}

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
    return { kind: 'set', items: inner === '' ? [] : items(splitTopLevel(inner, ','), percent, depth) };
  }

  if ((t[0] === '(' || t[0] === '[') && wrapsWhole(t)) {
    const inner = t.slice(1, -1);
    const parts = splitTopLevel(inner, ',');
    if (parts.length > 1) return { kind: 'seq', open: t[0], close: t[t.length - 1], items: items(parts, percent, depth) };
    if (t[0] === '(' && t.endsWith(')')) return parseShape(inner, percent, depth + 1);
  }

  const sides = splitTopLevel(t, '=');
  if (sides.length === 2 && sides[0].trim() !== '' && sides[1].trim() !== '') {
    return { kind: 'equation', lhs: sides[0].trim(), rhsText: sides[1].trim(), rhs: parseShape(sides[1], percent, depth + 1) };
  }

  const list = splitTopLevel(t, ',').filter((p) => p.trim() !== '');
  if (list.length > 1) return { kind: 'set', items: items(list, percent, depth) };
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
  return scalar(t, percent);
}

/** A single variable name: x, y_1, x_{10}, \theta. */
export function isSimpleVariable(s: string): boolean {
  return /^(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)$/.test(s.trim());
}

/** The multiple-choice letter an answer names, e.g. "C", "(C)", "(C) 12", "C)"; or null. */
export function choiceLetter(text: string, strict: boolean): string | null {
  const t = text.trim();
  const whole = /^\(?([A-Ea-e])\)?$/.exec(t);
  if (whole) return whole[1].toUpperCase();
  if (strict) return null;
  const lead = /^\(([A-E])\)|^([A-E])[).:]\s/.exec(t);
  return lead ? (lead[1] ?? lead[2]) : null;
}
