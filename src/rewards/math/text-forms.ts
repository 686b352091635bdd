// Plain-text forms around answers written in other scripts: full-width punctuation and digits
// (common in Chinese and Japanese outputs), CJK words such as units after a number, and Unicode
// superscripts, subscripts and vulgar fractions (x², 52₈, ½) that plain-text outputs use.

/** Full-width ASCII forms (（１２）：，) to their ASCII letters; the ideographic full stop to ".". */
export function toHalfWidth(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/[\u3002\uFF61]/g, '. ')
    .replace(/[\u3001]/g, ', ');
}

const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}`;
const CJK_TAIL = new RegExp(String.raw`^(.*?[^\s${CJK}])\s*[${CJK}]+[.\s]*$`, 'u');
const HAS_CJK = new RegExp(`[${CJK}]`, 'u');

/** "(\frac{2}{5}) 吨" -> "(\frac{2}{5})": a trailing CJK word after an answer is a unit or a particle. */
export function stripCjkTail(s: string): string {
  const m = CJK_TAIL.exec(s);
  return m && !HAS_CJK.test(m[1]) ? m[1] : s;
}

const SUPERSCRIPTS: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9', '⁻': '-', '⁺': '+' };
const SUBSCRIPTS: Record<string, string> = { '₀': '0', '₁': '1', '₂': '2', '₃': '3', '₄': '4', '₅': '5', '₆': '6', '₇': '7', '₈': '8', '₉': '9' };
const VULGAR: Record<string, string> = {
  '½': '1/2', '⅓': '1/3', '⅔': '2/3', '¼': '1/4', '¾': '3/4', '⅕': '1/5', '⅖': '2/5', '⅗': '3/5', '⅘': '4/5',
  '⅙': '1/6', '⅚': '5/6', '⅐': '1/7', '⅛': '1/8', '⅜': '3/8', '⅝': '5/8', '⅞': '7/8', '⅑': '1/9', '⅒': '1/10',
};

/** Plain-text exponents, indices and fractions: x² -> x^{2}, 10⁻³ -> 10^{-3}, 52₈ -> 52_{8}, 2½ -> 2\frac{1}{2}. */
export function unicodeScripts(s: string): string {
  return s
    // A lone ⁰ right after a digit is a plain-text degree sign (30⁰ is 30°, not 30^0 = 1), as is º.
    .replace(/(\d)⁰(?![⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺])/g, '$1°')
    .replace(/º/g, '°')
    .replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+/g, (run) => `^{${[...run].map((c) => SUPERSCRIPTS[c]).join('')}}`)
    .replace(/[₀₁₂₃₄₅₆₇₈₉]+/g, (run) => `_{${[...run].map((c) => SUBSCRIPTS[c]).join('')}}`)
    .replace(/[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒]/g, (c) => {
      const [n, d] = VULGAR[c].split('/');
      return `\\frac{${n}}{${d}}`;
    })
    .replace(/⁄/g, '/');
}
