// Small brace/bracket scanning helpers shared by answer extraction and answer parsing.

/** Index of the `}` matching the `{` at `open`, or -1 if unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++; // skip the escaped character, so `\{` does not count
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

/**
 * Splits `s` at top-level occurrences of `sep` (a string), ignoring separators inside any
 * (), [], {} or \{ \} nesting. Interval-style mismatched pairs like `[1,2)` count as nesting.
 */
export function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s.startsWith(sep, i) && depth === 0) {
      parts.push(s.slice(start, i));
      i += sep.length - 1;
      start = i + 1;
      continue;
    }
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
      continue;
    }
    if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      parts.push(s.slice(start, i));
      i += sep.length - 1;
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/**
 * True if the bracket opening at index 0 closes exactly at the last character (so `(1,2)` is
 * one bracketed group but `(1)+(2)` is not). Any of ( [ opens and any of ) ] closes, because
 * intervals mix them.
 */
export function wrapsWhole(s: string): boolean {
  if (s.length < 2) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
    } else if (OPENERS.has(c)) depth++;
    else if (CLOSERS.has(c)) depth--;
    if (depth === 0 && i < s.length - 1) return false;
  }
  return depth === 0;
}

/** Maximum nesting depth of (), [], {} in `s` (a cheap complexity bound). */
export function nestingDepth(s: string): number {
  let depth = 0;
  let max = 0;
  for (const c of s) {
    if (OPENERS.has(c)) max = Math.max(max, ++depth);
    else if (CLOSERS.has(c)) depth--;
  }
  return max;
}

/** Bracket depth just before index `end` (how many (, [, { are open there). */
export function depthAt(s: string, end: number): number {
  let d = 0;
  for (let i = 0; i < end && i < s.length; i++) {
    if (OPENERS.has(s[i])) d++;
    else if (CLOSERS.has(s[i])) d--;
  }
  return d;
}

/** Like splitTopLevel, at every match of a regular expression outside brackets. */
export function splitTopLevelRe(s: string, re: RegExp): string[] {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  const parts: string[] = [];
  let start = 0;
  for (const m of s.matchAll(g)) {
    if (m.index < start || depthAt(s, m.index) !== 0) continue;
    parts.push(s.slice(start, m.index));
    start = m.index + m[0].length;
  }
  parts.push(s.slice(start));
  return parts;
}
