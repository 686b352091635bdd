// Final-answer extraction from a model output (or a gold solution): the last \boxed{}/\fbox{},
// <answer>…</answer>, "the final answer is …", GSM8K "#### n", a bare answer, and an optional
// last-number fallback. Pure string work, linear in the input.
import { matchBrace } from './latex-scan.js';

export interface ExtractOptions {
  /** When nothing else matches, take the last number in the text (default true). */
  lastNumberFallback?: boolean;
}

/** Content of the last \boxed{…} or \fbox{…} (also `\boxed 5`), or null. */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)\s*/g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) last = m;
  if (!last) return null;
  const at = last.index + last[0].length;
  if (text[at] === '{') {
    const end = matchBrace(text, at);
    if (end < 0) return null;
    return text.slice(at + 1, end).trim();
  }
  const m = /^[^\s$]+/.exec(text.slice(at));
  return m ? m[0] : null;
}

/** Content of the last <answer>…</answer> block (an unclosed final block counts), or null. */
export function lastAnswerTag(text: string): string | null {
  const open = text.lastIndexOf('<answer>');
  if (open < 0) return null;
  const close = text.indexOf('</answer>', open);
  return text.slice(open + '<answer>'.length, close < 0 ? undefined : close).trim();
}

/** Text after the last "final answer is" / "the answer is" / "answer:", up to the sentence end. */
export function answerPhrase(text: string): string | null {
  const re = /\b(?:final answer|the answer|answer)\s*(?:is\b|:|=)\s*(?:[:=]\s*)?/gi;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) last = m;
  if (!last) return null;
  let rest = text.slice(last.index + last[0].length);
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  rest = rest.trim();
  // A $…$ math span right after the phrase is the answer.
  const math = /^\$+([^$]+)\$+/.exec(rest);
  if (math) return math[1].trim();
  // Otherwise up to the first sentence-ending period (not a decimal point).
  const stop = /\.(\s|$)/.exec(rest);
  if (stop) rest = rest.slice(0, stop.index);
  rest = rest.trim();
  return rest === '' ? null : rest;
}

/** The number after the last GSM8K-style "#### ", or null. */
export function gsm8kAnswer(text: string): string | null {
  const i = text.lastIndexOf('####');
  if (i < 0) return null;
  const rest = text.slice(i + 4).trim().split('\n')[0].trim();
  return rest === '' ? null : rest;
}

const NUMBER_RE = /-?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s*\/\s*\d+)?/g;

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
  // LaTeX commands and plain-text math functions (sqrt(2), 2*pi) are not prose words.
  const plain = t.replace(/\\[a-zA-Z]+/g, ' ').replace(/\b(?:sqrt|pi|sin|cos|tan|log|ln|exp)\b/g, ' ');
  const words = plain.match(/[A-Za-z]{2,}/g) ?? [];
  if (words.length === 0) return true;
  if (words.length > 2) return false;
  return !/\d/.test(t) || /^[\d\-+.$\\([{]/.test(t);
}

/**
 * The final answer in `text`, in order of trust: <answer> block (with its own \boxed or answer
 * phrase inside), last \boxed{}, "final answer is …", "#### n", the whole text if it is a bare
 * answer, and (unless switched off) the last number.
 */
export function extractAnswer(text: string, opts: ExtractOptions = {}): string | null {
  const tagged = lastAnswerTag(text);
  if (tagged !== null) {
    const inner = lastBoxed(tagged) ?? answerPhrase(tagged) ?? tagged;
    return inner === '' ? null : stripMathDelimiters(inner);
  }
  const boxed = lastBoxed(text);
  if (boxed !== null) return boxed;
  const phrase = answerPhrase(text);
  if (phrase !== null) return stripMathDelimiters(phrase);
  const hashes = gsm8kAnswer(text);
  if (hashes !== null) return hashes;
  if (looksBare(text)) return stripMathDelimiters(text.trim());
  if (opts.lastNumberFallback ?? true) return lastNumber(text);
  return null;
}

/** Removes one layer of $…$, $$…$$, \(…\), \[…\] around an answer. */
export function stripMathDelimiters(s: string): string {
  let t = s.trim();
  for (;;) {
    const before = t;
    if (t.startsWith('$$') && t.endsWith('$$') && t.length >= 4) t = t.slice(2, -2).trim();
    else if (t.startsWith('$') && t.endsWith('$') && t.length >= 2) t = t.slice(1, -1).trim();
    else if ((t.startsWith('\\(') && t.endsWith('\\)')) || (t.startsWith('\\[') && t.endsWith('\\]'))) t = t.slice(2, -2).trim();
    if (t === before) return t;
  }
}
