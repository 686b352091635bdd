// Digit groups in numbers (1,000; 11,\!111; 1{,}000; 1\,000) against commas that separate list
// items ((12,102); 3, 5). LaTeX's {,} and MATH's ",\!" only ever group digits; a plain comma
// followed by exactly three digits groups them when every comma of the answer does so and the
// number is not the whole content of a bracket, where it is a pair or an interval.

/** The LaTeX spellings that always group digits, joined: 1{,}000, 11,\! 111, 1\,000, 1\!000. */
export function joinLatexDigitGroups(s: string): string {
  return s
    .replace(/(\d)\{,\}(?=\d{3}(?!\d))/g, '$1')
    .replace(/(\d),\s*\\!\s*(?=\d{3}(?!\d))/g, '$1')
    .replace(/(\d)\\[,!](?=\d{3}(?!\d))/g, '$1');
}

// The first group never starts with 0: "0,125" is a European decimal comma (0.125), not 125.
const GROUPED = /(?<![\d,.])[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?(?![\d,])/g;

/**
 * Thousands separators removed: "1,000", "x = 8,880", "2,125 dollars", "1,000 and 2,000".
 * Left alone when some comma is not inside such a number ("1,000, 2" is a list), or when the
 * number fills a bracket ("(12,102)" is a pair, "[-36,104]" an interval).
 */
export function joinThousands(s: string): string {
  const tokens = [...s.matchAll(GROUPED)];
  if (tokens.length === 0) return s;
  const inTokens = tokens.reduce((n, m) => n + (m[0].match(/,/g) ?? []).length, 0);
  if (inTokens !== (s.match(/,/g) ?? []).length) return s;
  for (const m of tokens) {
    const before = s.slice(0, m.index).trimEnd();
    const after = s.slice(m.index + m[0].length).trimStart();
    if (/(?:[([]|\\\{)\s*-?$/.test(before) && /^(?:[)\]]|\\\})/.test(after)) return s;
  }
  return s.replace(GROUPED, (t) => t.replace(/,/g, ''));
}
