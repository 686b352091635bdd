// Final-answer extraction from a model output (or a gold solution): the last \boxed{}/\fbox{},
// <answer>…</answer>, an answer heading, "the final answer is …", GSM8K "#### n", a bare answer, and an optional
// last-number fallback. Pure string work, linear in the input.
import { matchBrace } from './latex-scan.js';
import { lastNumber, looksBare } from './plain-answer.js';
import { concludingAnswer, hedgesAValue, lastMathSpan, lastSentenceHedges, singleValue } from './conclusion.js';
import { toHalfWidth } from './text-forms.js';

export { lastNumber, looksBare };

export interface ExtractOptions {
  /** When nothing else matches, take the last number in the text (default true). */
  lastNumberFallback?: boolean;
}

interface BoxedSpan {
  /** Index of the backslash of \boxed. */
  start: number;
  /** Index just past the span. */
  end: number;
  content: string;
}

/** Every \boxed{…} / \fbox{…} (also `\boxed 5`) with braces matched, in order. */
function boxedSpans(text: string): BoxedSpan[] {
  const spans: BoxedSpan[] = [];
  const re = /\\(?:boxed|fbox)\s*/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const at = m.index + m[0].length;
    if (text[at] === '{') {
      const end = matchBrace(text, at);
      if (end < 0) {
        spans.push({ start: m.index, end: -1, content: '' });
        continue;
      }
      spans.push({ start: m.index, end: end + 1, content: text.slice(at + 1, end).trim() });
      re.lastIndex = end + 1;
    } else {
      const bare = /^[^\s$]+/.exec(text.slice(at, at + 200));
      if (bare) spans.push({ start: m.index, end: at + bare[0].length, content: bare[0] });
    }
  }
  return spans;
}

/** Content of the last \boxed{…} or \fbox{…} (also `\boxed 5`), or null (also if unclosed). */
export function lastBoxed(text: string): string | null {
  const spans = boxedSpans(text);
  const last = spans[spans.length - 1];
  return last === undefined || last.end < 0 ? null : last.content;
}

/** What may stand between boxed answers that together form one answer: "and", commas, math delimiters. */
// "or" between boxes offers the same answer twice (\boxed{15\frac{39}{40}} or \boxed{\frac{639}{40}}),
// so it does not join them: the two are readings that must agree (\boxed{17} or \boxed{18} hedges).
const BOX_OR = /^(?:\s|\$|\\[()[\]]|,)*(?:\bor\b|\\text\s*\{\s*or\s*\})(?:\s|\$|\\[()[\]])*$/i;
const BOX_JOINER = /^(?:\s|\$|\\[()[\]]|[,;&]|\\q?quad|\\[,;]|\\text\s*\{\s*(?:and|,)?\s*\}|\band\b)*$/i;

/**
 * The final boxed answer; several boxes joined only by "and", commas or math delimiters
 * (`\boxed{(98, 2)} and \boxed{(99, 503)}`) form one answer, their contents joined with ", ";
 * a box before it joined by "or" is offered as a second reading (`{a} \approx {b}`).
 */
export function finalBoxed(text: string): string | null {
  const spans = boxedSpans(text);
  let i = spans.length - 1;
  if (i < 0 || spans[i].end < 0) return null;
  const parts = [spans[i].content];
  for (; i > 0 && spans[i - 1].end >= 0 && BOX_JOINER.test(text.slice(spans[i - 1].end, spans[i].start)); i--) parts.unshift(spans[i - 1].content);
  const answer = parts.filter((p) => p !== '').join(', ');
  // An earlier box offered by "or" is another reading of the answer, which the comparison
  // accepts only when the two agree (as for a \approx b).
  const alt = i > 0 && spans[i - 1].end >= 0 && BOX_OR.test(text.slice(spans[i - 1].end, spans[i].start)) ? spans[i - 1].content : '';
  return alt === '' || answer === '' || alt === answer ? answer : `{${alt}} \\approx {${answer}}`;
}

/** Content of the last <answer>…</answer> block (an unclosed final block counts), or null. */
export function lastAnswerTag(text: string): string | null {
  const open = text.lastIndexOf('<answer>');
  if (open < 0) return null;
  const close = text.indexOf('</answer>', open);
  return text.slice(open + '<answer>'.length, close < 0 ? undefined : close).trim();
}

// "The answer is" in the languages the `language` reward trains for: a model kept in French by
// language consistency writes "La réponse est 18", not "The answer is 18". Word-spaced languages
// need a word start; CJK ones cannot have one (この問題の答えは18). Multiple choice: "The correct
// option is B".
const ANSWER_WORDS = [
  'final answer', 'the answer', 'answer', '(?:correct|right|best) (?:option|choice)', 'la respuesta(?: final)?', 'respuesta(?: final)?', 'la réponse(?: finale)?', 'réponse(?: finale)?',
  'die (?:endgültige )?antwort', 'antwort', 'a resposta(?: final)?', 'resposta(?: final)?', 'la risposta(?: finale)?', 'risposta(?: finale)?',
  'окончательный ответ', 'ответ',
].join('|');
const ANSWER_VERBS = '(?:is|es|est|ist|lautet|é|è)(?![\\p{L}])|:|=';
const PHRASE_RE = new RegExp(
  `(?:(?<![\\p{L}])(?:${ANSWER_WORDS})(?:\\*\\*|__)?\\s*(?:${ANSWER_VERBS})|(?:最终答案|答案|最終的な答え|答え)\\s*(?:是|为|為|は)?\\s*:?|정답\\s*(?:은|는)?\\s*:?)\\s*(?:[:=]\\s*)?`,
  'giu',
);

/** The last "final answer is" / "the answer is" / "answer:" (also 答案是, la réponse est, Ответ:), or null. */
function lastPhrase(text: string): RegExpExecArray | null {
  const re = new RegExp(PHRASE_RE.source, PHRASE_RE.flags);
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) last = m;
  return last;
}

/** Text after the last "final answer is" / "the answer is" / "answer:", up to the sentence end. */
export function answerPhrase(text: string): string | null {
  return phraseValue(text, lastPhrase(text));
}

/** What follows the phrase match `last` in `text`, up to the sentence end. */
function phraseValue(text: string, last: RegExpExecArray | null): string | null {
  if (!last) return null;
  let rest = text.slice(last.index + last[0].length);
  const nl = rest.indexOf('\n');
  if (nl >= 0) rest = rest.slice(0, nl);
  rest = stripEmphasis(rest.trim());
  // A $…$ math span right after the phrase is the answer (an escaped \$ inside is money: $\$18.90$).
  const math = /^(\$\$?)((?:\\[\s\S]|[^$\\])+?)\1/.exec(rest);
  if (math) return math[2].trim();
  // Otherwise up to the first sentence-ending period (not a decimal point).
  const stop = /\.(\s|$)/.exec(rest);
  if (stop) rest = rest.slice(0, stop.index);
  rest = stripEmphasis(rest.trim());
  return rest === '' ? null : rest;
}

/**
 * Markdown emphasis around an answer ("**Answer:** 18", "The answer is **18**.", "**Answer: 18**")
 * is layout, not math (where `**` would be a power).
 */
export function stripEmphasis(s: string): string {
  let t = s;
  for (;;) {
    const before = t;
    t = t.replace(/^(?:\*\*|__)\s*/, '').replace(/\s*(?:\*\*|__)$/, '').trim();
    if (t === before) return t;
  }
}

/** The number after the last GSM8K-style "#### ", or null. */
export function gsm8kAnswer(text: string): string | null {
  const i = text.lastIndexOf('####');
  if (i < 0) return null;
  const rest = text.slice(i + 4).trim().split('\n')[0].trim();
  return rest === '' ? null : rest;
}

/**
 * The final answer in `text`, in order of trust: <answer> block (with its own \boxed or answer
 * phrase inside, or the value its short sentence states), the final \boxed{} (several joined by
 * "and"/commas count as one), what follows a last "**Final Answer**" heading when no answer
 * phrase comes after it, "final answer is …" (also 答案是/答案：), "#### n", the whole text if it is a bare answer, a
 * concluding last sentence ("Therefore, 7 apples."), and (unless switched off) the last math
 * span of the final line, then the last number (not when the last sentence hedges: "17 or 18", "not 18").
 * Full-width punctuation is read as ASCII.
 */
export function extractAnswer(raw: string, opts: ExtractOptions = {}): string | null {
  const text = afterThinking(toHalfWidth(raw));
  const tagged = lastAnswerTag(text);
  if (tagged !== null) {
    const inner = finalBoxed(tagged) ?? answerPhrase(tagged) ?? sentenceInTag(tagged);
    return inner === '' ? null : stripMathDelimiters(inner);
  }
  const boxed = finalBoxed(text);
  if (boxed !== null) return boxed;
  // An answer heading after the last answer phrase wins (the phrase was in the working), and so
  // does one whose own "Answer:" states nothing on its line ("**Final Answer:**\n18").
  const headed = headedAnswer(text);
  const at = lastPhrase(text);
  const phrase = phraseValue(text, at);
  if (headed !== null && (phrase === null || headed.at > (at?.index ?? -1))) return headed.value === '' ? null : stripMathDelimiters(headed.value);
  if (phrase !== null) return stripMathDelimiters(phrase);
  const hashes = gsm8kAnswer(text);
  if (hashes !== null) return hashes;
  if (looksBare(text)) return stripMathDelimiters(text.trim());
  const concluded = concludingAnswer(text);
  // A concluding sentence that hedges ("Donc, 17 dollars, pas 18.") states no answer: no fallback.
  if (concluded !== null) return concluded === '' ? null : concluded;
  if (!(opts.lastNumberFallback ?? true) || lastSentenceHedges(text)) return null;
  return lastMathSpan(text) ?? lastNumber(text);
}

/**
 * The reply after a closed thinking block (the text past the last `</think>`; R1-Distill's
 * template opens the block in the prompt, so the completion may only close it), or the whole
 * text when nothing follows it or there is no `</think>`. A draft `\boxed{3}` inside the
 * thinking is not the answer a reply states afterwards ("The answer is 42."); this is also the
 * text a server's reasoning parser returns as the content, so a reply is judged the same
 * whether the server split the thinking off or left it in.
 */
export function afterThinking(text: string): string {
  const close = text.lastIndexOf('</think>');
  if (close < 0) return text;
  const rest = text.slice(close + '</think>'.length);
  return rest.trim() === '' ? text : rest;
}

/** A line that only announces the answer: "**Final Answer**", "### Final Answer", "Answer:", "## Answer". */
const ANSWER_HEADING = /^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?[ \t]*(?:final[ \t]+)?answer[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*$/gim;

/**
 * What follows the last answer heading ("**Final Answer**\n\n18", "### Final Answer\nThe total
 * is 18 dollars."), read as a declared answer like an <answer> block, and where the heading is;
 * value '' when what follows states no single answer ("It is not $18$."); null without a heading
 * or with nothing short after it.
 */
export function headedAnswer(text: string): { value: string; at: number } | null {
  let last: RegExpExecArray | null = null;
  ANSWER_HEADING.lastIndex = 0;
  for (let m = ANSWER_HEADING.exec(text); m !== null; m = ANSWER_HEADING.exec(text)) last = m;
  const value = last ? declaredValue(text.slice(last.index + last[0].length).trim()) : null;
  return last && value !== null ? { value, at: last.index } : null;
}

/** Longest <answer> sentence read for the value it states; longer blocks are working, not an answer. */
const TAG_SENTENCE_CHARS = 200;

/**
 * The value a short sentence inside <answer> states ("Janet makes $18 every day.", "The area is
 * $12\pi$."): the block is the model's declared answer, so its last math span or number is
 * the answer even with the last-number fallback off. A bare answer, or a long block, is taken whole.
 */
function sentenceInTag(tagged: string): string {
  return declaredValue(tagged) ?? tagged;
}

/**
 * A declared answer's value: the whole if bare, else what its short sentence states; '' when it
 * states no single answer (it negates, compares or offers alternatives: "not 18", "at least 18",
 * "17 or 18"; or holds several numbers, or several lines with numbers: "17\n18"); null if empty,
 * long or several paragraphs.
 */
function declaredValue(s: string): string | null {
  if (s === '' || s.length > TAG_SENTENCE_CHARS || /\n\s*\n/.test(s)) return null;
  if (s.split('\n').filter((line) => /\d/.test(line)).length > 1) return '';
  // A bare answer hedges only around a value ("17 or 18", "not 18"): a bare word answer such as
  // \text{neither}, "none", "no" or the point O is the answer itself, not a negation of one.
  if (looksBare(s)) return hedgesAValue(s) ? '' : s;
  return concludingAnswer(s) ?? singleValue(s);
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
