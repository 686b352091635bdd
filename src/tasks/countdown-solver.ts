// An exhaustive Countdown solver: repeatedly combine any two remaining values with any operator
// (exact rationals, so fractional intermediates are explored too) until one value is left.
// Independent of the generator, it is what the tests use to confirm every problem is solvable.
import { add, sub, mul, div, equals, rational, type Rational } from '../util/rational.js';

interface Item {
  value: Rational;
  text: string;
}

/** An expression using every number exactly once and only `ops` that equals `target`, or null if none exists. */
export function solveCountdown(numbers: readonly number[], target: number, ops: readonly string[] = ['+', '-', '*', '/']): string | null {
  const goal = rational(target);
  const search = (items: Item[]): string | null => {
    if (items.length === 1) return equals(items[0].value, goal) ? items[0].text : null;
    for (let i = 0; i < items.length; i++) {
      for (let j = 0; j < items.length; j++) {
        if (i === j) continue;
        const a = items[i];
        const b = items[j];
        const rest = items.filter((_, k) => k !== i && k !== j);
        const candidates: Item[] = [];
        // + and * are commutative: try them once per unordered pair.
        if (i < j) {
          if (ops.includes('+')) candidates.push({ value: add(a.value, b.value), text: `(${a.text}+${b.text})` });
          if (ops.includes('*')) candidates.push({ value: mul(a.value, b.value), text: `(${a.text}*${b.text})` });
        }
        if (ops.includes('-')) candidates.push({ value: sub(a.value, b.value), text: `(${a.text}-${b.text})` });
        const q = ops.includes('/') ? div(a.value, b.value) : null;
        if (q) candidates.push({ value: q, text: `(${a.text}/${b.text})` });
        for (const c of candidates) {
          const found = search([...rest, c]);
          if (found !== null) return found;
        }
      }
    }
    return null;
  };
  const found = search(numbers.map((n) => ({ value: rational(n), text: String(n) })));
  return found === null ? null : stripOuter(found);
}

function stripOuter(text: string): string {
  if (!text.startsWith('(')) return text;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth === 0 && i < text.length - 1) return text;
  }
  return text.slice(1, -1);
}
