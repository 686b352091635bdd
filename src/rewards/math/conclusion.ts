// Answers stated without a box in the last paragraph of a solution: a concluding sentence
// ("Therefore, 7 apples.", "Thus the area is $12\pi$.") and, as a looser fallback, the last
// math span of that paragraph. Only the final paragraph is read, so intermediate results in
// the working are never taken for the answer.
import { lastNumber, looksBare } from './plain-answer.js';

// English, and the word-spaced languages the `language` reward trains for (French, Spanish,
// German, Portuguese, Italian, Russian): "Donc, Janet gagne 18 dollars." (Not German "also", which
// starts English sentences that conclude nothing.)
const CONCLUDER_WORDS = [
  'therefore', 'thus', 'hence', 'so', 'consequently', 'in conclusion', 'in total', 'in all', 'altogether', 'finally',
  'donc', 'ainsi', 'par conséquent', 'au total', 'por lo tanto', 'por tanto', 'así que', 'en total', 'entonces',
  'daher', 'somit', 'folglich', 'insgesamt', 'portanto', 'logo', 'quindi', 'dunque', 'pertanto', 'in totale',
  'итак', 'следовательно', 'таким образом', 'всего',
].join('|');
const CONCLUDERS = new RegExp(`(?:^|[.!?:;]\\s+)(?:${CONCLUDER_WORDS})(?![\\p{L}])[,:]?\\s*`, 'giu');
const STATING = /\b(?:is|are|was|were|equals|be|gives|get|makes)\s+|=\s*/gi;

/** The text after the last blank line, at most its last 600 characters. */
function finalParagraph(text: string): string {
  const t = text.trimEnd();
  const cut = t.search(/\n\s*\n(?![\s\S]*\n\s*\n)/);
  const para = (cut >= 0 ? t.slice(cut) : t).trim();
  return para.length > 600 ? para.slice(-600) : para;
}

/**
 * The closed math spans ($…$, $$…$$, \(…\), \[…\]) of a text, in order. A $ span must not start
 * or end with a space, so money ("$12 and $15") is not read as math.
 */
function mathSpans(text: string): string[] {
  const spans: string[] = [];
  // An escaped \$ inside a span is money, not its end ($\$18.90$).
  const re = /\$\$([\s\S]+?)\$\$|\$(?!\s)((?:\\[\s\S]|[^$\\])+?)(?<!\s)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
  for (const m of text.matchAll(re)) spans.push((m[1] ?? m[2] ?? m[3] ?? m[4]).trim());
  return spans.filter((s) => s !== '');
}

/** The sentence starting at 0: up to a . ! or ? followed by a space or the end, outside math. */
function firstSentence(s: string): string {
  let inMath = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '(' || s[i + 1] === '[' || s[i + 1] === ')' || s[i + 1] === ']')) {
      inMath = s[i + 1] === '(' || s[i + 1] === '[';
      i++;
    } else if (c === '$') inMath = !inMath;
    else if (!inMath && /[.!?]/.test(c) && (i + 1 === s.length || /\s/.test(s[i + 1]))) return s.slice(0, i);
    else if (c === '\n') return s.slice(0, i);
  }
  return s;
}

/** The answer a concluding sentence of the final paragraph states, or null. */
export function concludingAnswer(text: string): string | null {
  const para = finalParagraph(text);
  let last: RegExpExecArray | null = null;
  CONCLUDERS.lastIndex = 0;
  for (let m = CONCLUDERS.exec(para); m !== null; m = CONCLUDERS.exec(para)) last = m;
  if (!last) return null;
  const sentence = firstSentence(para.slice(last.index + last[0].length)).trim();
  if (sentence === '') return null;
  const spans = mathSpans(sentence);
  if (spans.length > 0) return spans[spans.length - 1];
  let stated: RegExpExecArray | null = null;
  STATING.lastIndex = 0;
  for (let m = STATING.exec(sentence); m !== null; m = STATING.exec(sentence)) stated = m;
  const rest = stated ? sentence.slice(stated.index + stated[0].length).trim() : sentence;
  if (rest !== '' && looksBare(rest)) return rest;
  return lastNumber(sentence);
}

/** The last math span of the final paragraph, or null. */
export function lastMathSpan(text: string): string | null {
  const spans = mathSpans(finalParagraph(text));
  return spans.length > 0 ? spans[spans.length - 1] : null;
}
