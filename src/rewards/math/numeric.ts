// Fast path for plain numeric literals, without the LaTeX engine: integers, decimals, scientific
// notation (1.5e3, 1.5\times10^{3}), fractions (a/b, \frac{a}{b}) and mixed numbers (3\frac{1}{2}).

const NUM = String.raw`\d+(?:\.\d*)?|\.\d+`;
const SIGNED = String.raw`[-+]?\s*(?:${NUM})`;

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => number]> = [
  [new RegExp(`^(${SIGNED})$`), (m) => num(m[1])],
  [new RegExp(`^(${SIGNED})[eE]([-+]?\\d+)$`), (m) => num(m[1]) * 10 ** Number(m[2])],
  [
    new RegExp(String.raw`^(${SIGNED})\s*(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{?\s*([-+]?\d+)\s*\}?$`),
    (m) => num(m[1]) * 10 ** Number(m[2]),
  ],
  [new RegExp(String.raw`^10\s*\^\s*\{?\s*([-+]?\d+)\s*\}?$`), (m) => 10 ** Number(m[1])],
  [new RegExp(`^(${SIGNED})\\s*/\\s*(${SIGNED})$`), (m) => num(m[1]) / num(m[2])],
  [new RegExp(String.raw`^([-+]?)\s*\\frac\{\s*(${SIGNED})\s*\}\{\s*(${SIGNED})\s*\}$`), (m) => sign(m[1]) * (num(m[2]) / num(m[3]))],
  [
    new RegExp(String.raw`^([-+]?)\s*(\d+)\s*\\frac\{\s*(\d+)\s*\}\{\s*(\d+)\s*\}$`),
    (m) => sign(m[1]) * (Number(m[2]) + Number(m[3]) / Number(m[4])),
  ],
  [new RegExp(String.raw`^([-+]?)\s*(\d+)\s+(\d+)\s*/\s*(\d+)$`), (m) => sign(m[1]) * (Number(m[2]) + Number(m[3]) / Number(m[4]))],
];

function num(s: string): number {
  return Number(s.replace(/\s+/g, ''));
}

function sign(s: string): number {
  return s === '-' ? -1 : 1;
}

/** The value of a plain numeric literal, or null if `s` is anything else. */
export function parseNumericLiteral(s: string): number | null {
  const t = s.trim();
  if (t.length > 64) return null;
  for (const [re, value] of PATTERNS) {
    const m = re.exec(t);
    if (m) {
      const v = value(m);
      // 1/0 is not a number: two such answers must not compare equal as Infinity === Infinity.
      return Number.isFinite(v) ? v : null;
    }
  }
  return null;
}

/** Relative-plus-absolute tolerance used for every numeric comparison. */
export function numbersClose(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
}

const DECIMAL_RE = /^([-+]?)0*(\d*?)(?:\.(\d*?)0*)?$/;

/**
 * Canonical text of a plain decimal literal ("-0012.500" -> "-12.5"), or null if `s` is not one.
 * Two such literals are compared exactly, so long integers are not rounded to doubles.
 */
export function canonicalDecimal(s: string): string | null {
  const t = s.trim();
  if (!/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(t)) return null;
  const m = DECIMAL_RE.exec(t);
  if (!m) return null;
  const int = m[2] === '' ? '0' : m[2];
  const frac = m[3] ?? '';
  const body = frac === '' ? int : `${int}.${frac}`;
  return body === '0' ? '0' : (m[1] === '-' ? '-' : '') + body;
}
