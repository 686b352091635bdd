// The known name an unknown one was probably meant to be, for "unknown option" errors: a config
// key with a typo (num_generation), a flag's spelling (num-generations) or a library's
// (numGenerations) is answered with the name to write, not only a list of eighty.

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** snake_case of a kebab-case, camelCase or upper-case spelling. */
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase();
}

/** The one name of `known` closest to `word` (same spelling in snake_case, or at most 1–2 edits by length), or null. */
export function nearName(word: string, known: Iterable<string>): string | null {
  const w = snake(word);
  const limit = w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  let best: { name: string; d: number } | null = null;
  for (const name of known) {
    const d = snake(name) === w ? 0 : distance(w, snake(name));
    if (d <= limit && (best === null || d < best.d)) best = { name, d };
  }
  return best?.name ?? null;
}

/** ` (did you mean "x"?)` for an unknown `word`, or '' when no known name is near it. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const near = nearName(word, known);
  return near === null || near === word ? '' : ` (did you mean "${near}"?)`;
}
