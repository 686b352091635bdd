// Answers stated without a box in the last paragraph of a solution: a concluding sentence
// ("Therefore, 7 apples.", "Thus the area is $12\pi$.") and, as a looser fallback, the last
// math span of that paragraph. Only the final paragraph is read, so intermediate results in
// the working are never taken for the answer.
import { NUMBER_RE, looksBare } from './plain-answer.js';

// English, and the word-spaced languages the `language` reward trains for (French, Spanish,
// German, Portuguese, Italian, Russian): "Donc, Janet gagne 18 dollars." (Not German "also", which
// starts English sentences that conclude nothing.)
const CONCLUDER_WORDS = [
  'therefore', 'thus', 'hence', 'so', 'consequently', 'in conclusion', 'in total', 'in all', 'altogether', 'finally',
  'donc', 'ainsi', 'par conséquent', 'au total', 'por lo tanto', 'por tanto', 'así que', 'en total', 'entonces',
  'daher', 'somit', 'folglich', 'insgesamt', 'portanto', 'logo', 'quindi', 'dunque', 'pertanto', 'in totale',
  'итак', 'следовательно', 'таким образом', 'всего',
].join('|');
// Also after a comma when a value follows at once ("We have $2n + 1 = 15$, so $n = 7$."; not
// ", so that the total doubles", ", so far").
const CONCLUDERS = new RegExp(`(?:^|[.!?:;]\\s+)(?:${CONCLUDER_WORDS})(?![\\p{L}])[,:]?\\s*|,\\s*(?:${CONCLUDER_WORDS})(?![\\p{L}]),?\\s*(?=\\$|\\\\[([]|-?\\d)`, 'giu');
// The verb that states the value, in the same languages: "Donc, la réponse est 18", "Итак, ответ равен 18".
const STATING_VERBS = [
  'is', 'are', 'was', 'were', 'equals', 'be', 'gives', 'get', 'makes',
  'est', 'sont', 'es', 'son', 'ist', 'sind', 'lautet', 'beträgt', 'ergibt', 'é', 'são', 'è', 'sono',
  'равно', 'равен', 'равна', 'составляет',
].join('|');
const STATING = new RegExp(`(?<![\\p{L}])(?:${STATING_VERBS})(?![\\p{L}])\\s+|=\\s*`, 'giu');

/** What names the answer after its value: "7 is the answer", "$x = 3$ is our final answer". */
const ANSWER_NOUN = /^(?:the|our|my)?\s*(?:(?:final|correct|required|desired)\s+)?(?:answer|solution|result)\b/i;

// Words that make a sentence's number something other than its answer: a negation ("not 18",
// "pas 18"), a comparison ("at least 18") or an alternative ("17 or 18"), in English and the
// languages above. A sentence holding one is read as stating no answer.
const HEDGE_WORDS = [
  'not', 'no', 'never', 'none', 'neither', 'nor', 'or', 'either', 'between', 'at least', 'at most', 'less than', 'more than', 'fewer than',
  'greater than', 'maybe', 'perhaps', 'might', 'could',
  'pas', 'ne', 'non', 'jamais', 'ou', 'au moins', 'au plus', 'moins de', 'moins que', 'plus de', 'plus que', 'entre', 'peut-être', 'ni',
  'nunca', 'o', 'al menos', 'como mínimo', 'menos de', 'más de', 'quizás', 'tal vez', 'não', 'pelo menos', 'mais de', 'talvez',
  'almeno', 'meno di', 'più di', 'tra', 'fra', 'forse', 'potrebbe',
  'nicht', 'kein', 'keine', 'keinen', 'keiner', 'oder', 'mindestens', 'höchstens', 'weniger als', 'mehr als', 'zwischen', 'vielleicht',
  'не', 'нет', 'ни', 'или', 'либо', 'меньше', 'больше', 'между', 'около', 'может',
].join('|');
const HEDGE = new RegExp(`(?<![\\p{L}'’])(?:${HEDGE_WORDS})(?![\\p{L}])`, 'iu');

/** True if the sentence negates, compares or offers alternatives, so its numbers are not its answer. */
export function hedges(sentence: string): boolean {
  return HEDGE.test(sentence.replace(/\\[a-zA-Z]+/g, ' '));
}

/**
 * The one value a sentence states: its math span or number when it holds exactly one and does
 * not hedge; '' (states no answer) when it hedges or holds several ("17 dollars, not 18").
 */
export function singleValue(sentence: string): string {
  if (hedgesAValue(sentence)) return '';
  const spans = mathSpans(sentence);
  const outside = sentence.replace(MATH_SPAN, ' ');
  const numbers = [...outside.matchAll(NUMBER_RE)].map((m) => m[0].replace(/\s+/g, ''));
  const values = [...spans, ...numbers];
  return values.length === 1 ? values[0] : (statedSpan(sentence) ?? boldValue(sentence) ?? '');
}

/**
 * The one value a sentence sets in bold among its others ("Janet sells 9 eggs at $2 each,
 * making **$18** per day."): the writer marked it as the answer. Null unless exactly one bold
 * part is a short value, starting with it.
 */
function boldValue(sentence: string): string | null {
  const bold = [...sentence.matchAll(/\*\*([^*]+)\*\*|__([^_]+)__/g)].map((m) => (m[1] ?? m[2]).trim());
  if (bold.length !== 1) return null;
  // Money's $ goes; the bold must start with its value ("**18 dollars**", "**$x = 5$**"), so a
  // label ("**Step 1:**") is no answer.
  const inner = bold[0].replace(/^\\?\$(?=\d)/, '');
  if (!/^(?:\$|\\\(|-?\d)/.test(inner) || !looksBare(inner)) return null;
  const value = singleValue(inner);
  return value === '' ? null : value;
}

/**
 * The math span a sentence with several spans states as its value: the one right after its last
 * stating verb, with no number after it ("The value of $n$ is $100$.", "Since $x=5$, the area is
 * $25$ square units."); the spans before it say what the value is of. Null otherwise.
 */
function statedSpan(sentence: string): string | null {
  const spans: string[] = [];
  // Each span becomes a numbered placeholder, so the verbs and "=" inside math are not read.
  const masked = sentence.replace(MATH_SPAN, (...m: string[]) => `\uE000${spans.push((m[1] ?? m[2] ?? m[3] ?? m[4]).trim()) - 1}\uE000`);
  let stated: RegExpExecArray | null = null;
  STATING.lastIndex = 0;
  for (let m = STATING.exec(masked); m !== null; m = STATING.exec(masked)) stated = m;
  if (!stated) return null;
  const after = /^\uE000(\d+)\uE000([^\uE000]*)$/.exec(masked.slice(stated.index + stated[0].length));
  if (!after || /\d/.test(after[2]) || spans[Number(after[1])] === '') return null;
  return spans[Number(after[1])];
}

/**
 * True if a hedge word outside the sentence's math bears on a value in it ("It is not $18$.",
 * "17 or 18"). A hedge word that is the answer itself ("the answer is neither", "$\text{none}$")
 * hedges nothing: with no number or math span beside it there is no value to negate.
 */
export function hedgesAValue(sentence: string): boolean {
  const outside = sentence.replace(MATH_SPAN, ' ');
  return hedges(outside) && (/\d/.test(outside) || mathSpans(sentence).length > 0);
}

/** The text after the last blank line, at most its last 600 characters. */
function finalParagraph(text: string): string {
  const t = text.trimEnd();
  const cut = t.search(/\n\s*\n(?![\s\S]*\n\s*\n)/);
  const para = (cut >= 0 ? t.slice(cut) : t).trim();
  return para.length > 600 ? para.slice(-600) : para;
}

// An escaped \$ inside a span is money, not its end ($\$18.90$).
const MATH_SPAN = /\$\$([\s\S]+?)\$\$|\$(?!\s)((?:\\[\s\S]|[^$\\])+?)(?<!\s)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;

/**
 * The closed math spans ($…$, $$…$$, \(…\), \[…\]) of a text, in order. A $ span must not start
 * or end with a space, so money ("$12 and $15") is not read as math.
 */
function mathSpans(text: string): string[] {
  const spans: string[] = [];
  for (const m of text.matchAll(MATH_SPAN)) spans.push((m[1] ?? m[2] ?? m[3] ?? m[4]).trim());
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

/**
 * The answer a concluding sentence of the final paragraph states; '' when that sentence states
 * no single answer (it hedges, or holds several numbers); null without a concluding sentence.
 */
export function concludingAnswer(text: string): string | null {
  const para = finalParagraph(text);
  let last: RegExpExecArray | null = null;
  CONCLUDERS.lastIndex = 0;
  for (let m = CONCLUDERS.exec(para); m !== null; m = CONCLUDERS.exec(para)) last = m;
  if (!last) return null;
  const sentence = firstSentence(para.slice(last.index + last[0].length)).trim();
  if (sentence === '') return null;
  if (hedgesAValue(sentence)) return '';
  const spans = mathSpans(sentence);
  if (spans.length > 1) return statedSpan(sentence) ?? '';
  if (spans.length === 1) return spans[0];
  let stated: RegExpExecArray | null = null;
  STATING.lastIndex = 0;
  for (let m = STATING.exec(sentence); m !== null; m = STATING.exec(sentence)) stated = m;
  const rest = stated ? sentence.slice(stated.index + stated[0].length).trim() : sentence;
  // "Therefore, 7 is the answer.": the value comes before the verb.
  if (stated && stated.index > 0 && ANSWER_NOUN.test(rest)) return singleValue(sentence.slice(0, stated.index));
  if (rest !== '' && looksBare(rest)) return rest;
  return singleValue(sentence);
}

/** True if the last sentence of the final paragraph hedges ("It is not 18.", "17 or 18"): the fallback takes nothing from it. */
export function lastSentenceHedges(text: string): boolean {
  const sentences = finalParagraph(text).split(/(?<=[.!?])\s+|\n/).filter((x) => x.trim() !== '');
  const last = sentences[sentences.length - 1];
  return last !== undefined && hedges(last);
}

/** The last math span of the final paragraph, or null. */
export function lastMathSpan(text: string): string | null {
  const spans = mathSpans(finalParagraph(text));
  return spans.length > 0 ? spans[spans.length - 1] : null;
}
