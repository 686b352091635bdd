// Plain-text forms around answers written in other scripts: full-width punctuation and digits
// (common in Chinese and Japanese outputs) and CJK words such as units after a number.

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
