// Loads the math checker's case table (test/rewards/math-cases.tsv): one row per (gold, answer)
// pair with its class, the expected verdict and the reason. Shared by the test and bench:rewards.
import { readFileSync } from 'node:fs';

export interface MathCase {
  line: number;
  cls: string;
  gold: string;
  answer: string;
  equal: boolean;
  reason: string;
}

export const MATH_CASES_FILE = new URL('./math-cases.tsv', import.meta.url);

/** Parses the table; a malformed row is an error naming its line. */
export function loadMathCases(file: URL = MATH_CASES_FILE): MathCase[] {
  const rows: MathCase[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '' || text.startsWith('#')) return;
      const f = text.split('\t');
      if (f.length !== 5 || (f[3] !== 'equal' && f[3] !== 'unequal') || f[4].trim() === '') {
        throw new Error(`math-cases.tsv line ${i + 1}: expected class, gold, answer, equal|unequal, reason`);
      }
      rows.push({ line: i + 1, cls: f[0], gold: f[1], answer: f[2].replace(/¶/g, '\n'), equal: f[3] === 'equal', reason: f[4] });
    });
  return rows;
}
