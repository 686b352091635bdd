// Language consistency (DeepSeek-R1): the share of the chain of thought's words that are in the
// target language, judged by Unicode script (Latin for English etc., Han for Chinese, ...).
// Math (TeX), numbers, code (fenced or inline) and LaTeX commands are not words and do not
// count either way.

const SCRIPTS: Record<string, RegExp> = {
  latin: /\p{Script=Latin}/u,
  han: /\p{Script=Han}/u,
  japanese: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u,
  hangul: /\p{Script=Hangul}/u,
  cyrillic: /\p{Script=Cyrillic}/u,
  arabic: /\p{Script=Arabic}/u,
  devanagari: /\p{Script=Devanagari}/u,
  greek: /\p{Script=Greek}/u,
};

const LANGUAGE_SCRIPT: Record<string, string> = {
  en: 'latin', fr: 'latin', de: 'latin', es: 'latin', it: 'latin', pt: 'latin', nl: 'latin', vi: 'latin', id: 'latin', tr: 'latin', pl: 'latin',
  zh: 'han', ja: 'japanese', ko: 'hangul', ru: 'cyrillic', uk: 'cyrillic', ar: 'arabic', hi: 'devanagari', el: 'greek',
};

export const SUPPORTED_LANGUAGES = Object.keys(LANGUAGE_SCRIPT);

/** Words of the text: runs of letters; each CJK character counts as one word (no spaces there). */
function words(text: string): string[] {
  // Code and math are neither language: fenced blocks (one left open runs to the end), inline
  // `code`, display and inline math in either TeX form ($$…$$, \[…\], \(…\), $…$) are dropped
  // whole, so \text{area} inside math does not count as an English word; then stray commands.
  const cleaned = text
    .replace(/```[\s\S]*?(?:```|$)/g, ' ')
    .replace(/`[^`\n]*`/g, ' ')
    .replace(/\$\$[\s\S]*?\$\$/g, ' ')
    .replace(/\\\[[\s\S]*?\\\]/g, ' ')
    .replace(/\\\([\s\S]*?\\\)/g, ' ')
    .replace(/\$[^$]*\$/g, ' ')
    .replace(/\\[a-zA-Z]+/g, ' ')
    .replace(/<\/?(?:think|answer)>/g, ' ');
  const out: string[] = [];
  for (const m of cleaned.matchAll(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|\p{L}+/gu)) out.push(m[0]);
  return out;
}

/**
 * Fraction of the words in `text` written in the script of `language` (an ISO 639-1 code);
 * null when the text has no words. Single-letter Latin words (x, y, a) are ignored: they are
 * usually variables.
 */
export function languageConsistency(text: string, language = 'en'): number | null {
  const script = LANGUAGE_SCRIPT[language.toLowerCase()];
  if (!script) throw new RangeError(`unsupported language "${language}"; supported: ${SUPPORTED_LANGUAGES.join(', ')}`);
  const re = SCRIPTS[script];
  const ws = words(text).filter((w) => !(w.length === 1 && /[A-Za-z]/.test(w)));
  if (ws.length === 0) return null;
  return ws.filter((w) => re.test(w)).length / ws.length;
}
