// Inequalities as intervals: `x <= 2` is (-\infty, 2]; `5 \geq x` is x ≤ 5; `-x > -1` is x < 1;
// `0 < f(x) < 1` is (0, 1); `x < 1 or x > 3` (also \cup, \lor) is a union; `x > 0 and x < 1`
// (also a comma) is one interval; `x \neq 2` is (-\infty, 2) ∪ (2, \infty); `|x - 2| < 3` is (-1, 5)
// and `|x| > 1` is (-\infty, -1) ∪ (1, \infty). The variable's name
// is not compared (the gold is often written as an interval with no name at all).
import { isName } from './names.js';
import { depthAt, splitTopLevelRe } from './latex-scan.js';

export interface Interval {
  open: '(' | '[';
  lo: string;
  hi: string;
  close: ')' | ']';
}

type Op = '<' | '<=' | '>' | '>=' | '!=';

const OP_RE = /\\leqslant(?![a-zA-Z])|\\geqslant(?![a-zA-Z])|\\leq(?![a-zA-Z])|\\geq(?![a-zA-Z])|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z])|\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z])|\\neq(?![a-zA-Z])|\\ne(?![a-zA-Z])|<=|>=|=<|=>|≤|≥|≠|<|>/g;

function opOf(tok: string): Op {
  if (/leq|\\le$|<=|=<|≤/.test(tok)) return '<=';
  if (/geq|\\ge$|>=|=>|≥/.test(tok)) return '>=';
  if (/ne|≠/.test(tok)) return '!=';
  if (/lt|</.test(tok)) return '<';
  return '>';
}

const FLIP: Record<Op, Op> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '!=': '!=' };

/** Splits at relation operators outside braces and brackets: parts and the operators between them. */
function splitRelations(s: string): { parts: string[]; ops: Op[] } {
  const parts: string[] = [];
  const ops: Op[] = [];
  let start = 0;
  OP_RE.lastIndex = 0;
  for (const m of s.matchAll(OP_RE)) {
    const at = m.index;
    if (depthAt(s, at) !== 0) continue;
    parts.push(s.slice(start, at).trim());
    ops.push(opOf(m[0]));
    start = at + m[0].length;
  }
  parts.push(s.slice(start).trim());
  return { parts, ops };
}

interface Ray {
  name: string;
  op: Op;
  value: string;
}

/** `x op v`, `v op x` or `-x op v` as a ray on the named variable, or null. */
function ray(lhs: string, op: Op, rhs: string): Ray | null {
  const neg = (side: string): string | null => (side.startsWith('-') && isName(side.slice(1)) ? side.slice(1).trim() : null);
  if (isName(lhs) && !isName(rhs)) return { name: lhs, op, value: rhs };
  if (isName(rhs) && !isName(lhs)) return { name: rhs, op: FLIP[op], value: lhs };
  const nl = neg(lhs);
  if (nl !== null && !isName(rhs)) return { name: nl, op: FLIP[op], value: `-(${rhs})` };
  const nr = neg(rhs);
  if (nr !== null && !isName(lhs)) return { name: nr, op, value: `-(${lhs})` };
  return null;
}

function rayIntervals(r: Ray): Interval[] {
  switch (r.op) {
    case '<':
      return [{ open: '(', lo: '-\\infty', hi: r.value, close: ')' }];
    case '<=':
      return [{ open: '(', lo: '-\\infty', hi: r.value, close: ']' }];
    case '>':
      return [{ open: '(', lo: r.value, hi: '\\infty', close: ')' }];
    case '>=':
      return [{ open: '[', lo: r.value, hi: '\\infty', close: ')' }];
    case '!=':
      return [
        { open: '(', lo: '-\\infty', hi: r.value, close: ')' },
        { open: '(', lo: r.value, hi: '\\infty', close: ')' },
      ];
  }
}

/** `|x - c|` (also `|x|`, `|x + c|`) as the variable's name and the centre c, or null. */
function absoluteOf(side: string): { name: string; centre: string } | null {
  const m = /^\|([^|]+)\|$/.exec(side.trim());
  if (!m) return null;
  const inner = m[1].trim();
  if (isName(inner)) return { name: inner, centre: '0' };
  const shifted = /^([a-zA-Z](?:_\{?\w+\}?)?)\s*([+-])\s*(.+)$/.exec(inner);
  if (!shifted || isName(shifted[3])) return null;
  return { name: shifted[1], centre: shifted[2] === '-' ? shifted[3] : `-(${shifted[3]})` };
}

/**
 * `|x - c| op v` (or `v op |x - c|`) as intervals around c: `|x| < 1` is (-1, 1), `|x - 2| \geq 3`
 * is (-\infty, -1] ∪ [5, \infty); null for anything else.
 */
function absoluteRelation(lhs: string, op: Op, rhs: string): { name: string; intervals: Interval[] } | null {
  const left = absoluteOf(lhs);
  const right = left ? null : absoluteOf(rhs);
  const abs = left ?? right;
  const value = left ? rhs : lhs;
  const o = left ? op : FLIP[op];
  if (!abs || op === '!=' || isName(value) || absoluteOf(value)) return null;
  const lo = abs.centre === '0' ? `-(${value})` : `(${abs.centre})-(${value})`;
  const hi = abs.centre === '0' ? value : `(${abs.centre})+(${value})`;
  if (o === '<' || o === '<=') return { name: abs.name, intervals: [{ open: o === '<' ? '(' : '[', lo, hi, close: o === '<' ? ')' : ']' }] };
  const closed = o === '>=';
  return {
    name: abs.name,
    intervals: [
      { open: '(', lo: '-\\infty', hi: lo, close: closed ? ']' : ')' },
      { open: closed ? '[' : '(', lo: hi, hi: '\\infty', close: ')' },
    ],
  };
}

const isLess = (op: Op): boolean => op === '<' || op === '<=';
const isGreater = (op: Op): boolean => op === '>' || op === '>=';

/** One relation (`x < 2`, `0 < x \le 1`) as intervals and the variable's name, or null. */
function oneRelation(s: string): { name: string; intervals: Interval[] } | null {
  const { parts, ops } = splitRelations(s);
  if (parts.some((p) => p === '')) return null;
  if (ops.length === 1) {
    // An absolute value first: isName reads |x| as the name x.
    const abs = absoluteRelation(parts[0], ops[0], parts[1]);
    if (abs) return abs;
    const r = ray(parts[0], ops[0], parts[1]);
    return r ? { name: r.name, intervals: rayIntervals(r) } : null;
  }
  if (ops.length === 2 && isName(parts[1]) && !isName(parts[0]) && !isName(parts[2])) {
    const [a, x, b] = parts;
    if (isLess(ops[0]) && isLess(ops[1])) return { name: x, intervals: [{ open: ops[0] === '<' ? '(' : '[', lo: a, hi: b, close: ops[1] === '<' ? ')' : ']' }] };
    if (isGreater(ops[0]) && isGreater(ops[1])) return { name: x, intervals: [{ open: ops[1] === '>' ? '(' : '[', lo: b, hi: a, close: ops[0] === '>' ? ')' : ']' }] };
  }
  return null;
}

/** `x > a` and `x < b` (in either order) on the same variable as the interval between them. */
function intersect(a: Interval, b: Interval): Interval | null {
  const lower = a.hi === '\\infty' ? a : b.hi === '\\infty' ? b : null;
  const upper = a.lo === '-\\infty' ? a : b.lo === '-\\infty' ? b : null;
  if (!lower || !upper || lower === upper) return null;
  return { open: lower.open, lo: lower.lo, hi: upper.hi, close: upper.close };
}

const OR_RE = /\\text\s*\{\s*or\s*\}|\s+or\s+|\\lor(?![a-zA-Z])|\\vee(?![a-zA-Z])|\\cup(?![a-zA-Z])/;
const AND_RE = /\\text\s*\{\s*and\s*\}|\s+and\s+|\\land(?![a-zA-Z])|\\wedge(?![a-zA-Z])|,/;

/**
 * The intervals an answer made of inequalities describes, or null if it is not one. A union
 * (or), an intersection of two rays (and, comma) and single or double inequalities are read.
 */
export function relationIntervals(text: string): Interval[] | null {
  if (text.search(OP_RE) < 0) return null;
  const alternatives = splitTopLevelRe(text, OR_RE);
  const out: Interval[] = [];
  for (const alt of alternatives) {
    const conj = splitTopLevelRe(alt, AND_RE);
    if (conj.length > 2) return null;
    const rels = conj.map((c) => oneRelation(c.trim()));
    if (rels.some((r) => r === null)) return null;
    if (rels.length === 1) out.push(...rels[0]!.intervals);
    else {
      const [r1, r2] = rels as Array<{ name: string; intervals: Interval[] }>;
      if (r1.name.replace(/\s+/g, '') !== r2.name.replace(/\s+/g, '') || r1.intervals.length !== 1 || r2.intervals.length !== 1) return null;
      const both = intersect(r1.intervals[0], r2.intervals[0]);
      if (!both) return null;
      out.push(both);
    }
  }
  return out.length > 0 ? out : null;
}
