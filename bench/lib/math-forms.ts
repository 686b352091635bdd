// The answer forms of the math verifier's outside probe (bench/math-probe.ts). For one gold
// answer of a real data set it writes model outputs: (a) the gold itself, boxed or tagged at the
// end of R1-, Qwen- and Minerva-style solutions; (b) rewrites a MATH grader accepts (\dfrac,
// \left/\right, spacing, degrees, units, 0.5 vs \frac12, unordered lists reordered, GSM8K's
// 1,000 vs $1,000.00, …); (c) perturbations that change the answer (a digit, a sign, a bracket,
// a dropped or added item, a variable appended, …). Each generator returns null where it does
// not apply, so counts per class say how many golds it met.
import { splitTopLevel, wrapsWhole } from '../../src/rewards/math/latex-scan.js';

export interface ProbeRecord {
  /** Data set name (gsm8k, math500, math_test, aime24, amc23). */
  ds: string;
  id: string;
  /** The gold as the accuracy reward receives it (a field value; a solution is allowed). */
  goldRaw: string;
  /** The gold as `aha eval` reads it (goldAnswer of the record). */
  goldEval: string;
  /** The clean gold answer the outputs are written from (one line). */
  gold: string;
  /** Working shown before the answer: the data set's solution with its boxes unwrapped. */
  body: string;
  problem: string;
}

export interface AnswerForm {
  part: 'a' | 'b' | 'c';
  cls: string;
  completion: string;
  /** The answer as written (for reports). */
  shown: string;
  expectEqual: boolean;
}

type Gen = (r: ProbeRecord) => string | null;

// ---------- (a) model-style outputs around an answer ----------
const TEMPLATES: Record<string, (body: string, g: string) => string> = {
  r1box: (b, g) => `<think>\nLet me work through this.\n${b}\nWait, let me double-check.\n</think>\n\n${b}\n\nSo the answer is $\\boxed{${g}}$.`,
  r1final: (b, g) => `<think>\n${b}\n</think>\n\n${b}\n\n**Final Answer**\n\\[\n\\boxed{${g}}\n\\]`,
  qwen: (b, g) => `${b}\n\nTherefore, the final answer is \\(\\boxed{${g}}\\).`,
  tag: (b, g) => `<think>\n${b}\n</think>\n<answer>\n${g}\n</answer>`,
  tagbox: (b, g) => `<think>\n${b}\n</think>\n<answer>\nThe answer is $\\boxed{${g}}$\n</answer>`,
  minerva: (b, g) => `${b}\nFinal Answer: The final answer is $${g}$. I hope it is correct.`,
  phrase: (b, g) => `${b}\nThe answer is: ${g}`,
  heading: (b, g) => `${b}\n\n**Final Answer**\n\n$${g}$`,
  'md-heading': (b, g) => `${b}\n\n### Final Answer\nThe answer is $${g}$.`,
  'tag-sentence': (b, g) => `<think>\n${b}\n</think>\n<answer>So the result is $${g}$.</answer>`,
};
const boxedOutput = (b: string, g: string): string => `${b}\n\nSo the answer is $\\boxed{${g}}$.`;

// ---------- shapes of a gold string ----------
const topItems = (s: string): string[] => splitTopLevel(s, ',').map((x) => x.trim());
const isBracketed = (s: string): boolean => /^[([]/.test(s) && /[)\]]$/.test(s) && wrapsWhole(s);
const isSetLit = (s: string): boolean => s.startsWith('\\{') && s.endsWith('\\}');
const hasText = (s: string): boolean => /\\(?:text|mbox|mathrm|textbf)/.test(s);
const hasSpacing = (s: string): boolean => /\\[,!;]/.test(s);
const isDigitGroups = (s: string): boolean => /^(?:\\\$)?-?\d{1,3}(?:(?:,|\{,\})\s*(?:\\[!,])?\s*\d{3})+(?:\.\d+)?$/.test(s.trim());
const isRelation = (s: string): boolean => /\\[lg]eq?\b|\\[lg]t\b|\\neq?\b|[<>≤≥]/.test(s);
const isNumber = (s: string): boolean => /^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(s.trim());
const hasTrig = (s: string): boolean => /\\(?:sin|cos|tan|cot|sec|csc)/.test(s);
/** One value: no list, relation, equation, text, bracket or matrix. */
const isScalarish = (s: string): boolean =>
  !s.includes('=') && !/\\in\b/.test(s) && !isRelation(s) && !hasText(s) && !isBracketed(s) && !isSetLit(s) && topItems(s).length === 1 && !/\\begin|\\cup|\\pm/.test(s) && !/^\(?[A-E]\)?$/.test(s);
/** A bare comma list whose items can be reordered (MATH's "enter all the solutions"). */
const isPlainList = (s: string): boolean =>
  !isSetLit(s) && !isBracketed(s) && !isDigitGroups(s) && !s.includes('=') && !isRelation(s) && !hasText(s) && !hasSpacing(s) && topItems(s).length > 1;
const nonZeroNumber = (s: string): boolean => isNumber(s.replace(/,/g, '')) && Number(s.replace(/,/g, '')) !== 0;
const withCommas = (s: string): string => s.replace(/,/g, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** n/d as a terminating decimal, or null when it repeats. */
function terminatingDecimal(n: bigint, d: bigint): string | null {
  let twos = 0;
  let fives = 0;
  let rest = d;
  while (rest % 2n === 0n) [rest, twos] = [rest / 2n, twos + 1];
  while (rest % 5n === 0n) [rest, fives] = [rest / 5n, fives + 1];
  if (rest !== 1n) return null;
  const places = Math.max(twos, fives);
  const digits = ((n * 10n ** BigInt(places)) / d).toString().padStart(places + 1, '0');
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

const FRAC = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/;
const PMATRIX = /^\\begin\{pmatrix\}([\s\S]*)\\end\{pmatrix\}$/;
const matrixRows = (body: string): string[][] =>
  body.split('\\\\').map((x) => x.trim()).filter((x) => x !== '').map((x) => splitTopLevel(x, '&').map((c) => c.trim()));

// ---------- (b) equivalent rewrites, written into a boxed answer ----------
const REWRITES: Record<string, Gen> = {
  dfrac: (r) => (/\\frac/.test(r.gold) ? r.gold.replace(/\\frac/g, '\\dfrac') : null),
  tfrac: (r) => (/\\frac/.test(r.gold) ? r.gold.replace(/\\frac/g, '\\tfrac') : null),
  'frac-from-dfrac': (r) => (/\\[dt]frac/.test(r.gold) ? r.gold.replace(/\\[dt]frac/g, '\\frac') : null),
  'leftright-drop': (r) => (/\\left|\\right/.test(r.gold) ? r.gold.replace(/\\left\s*|\\right\s*/g, '') : null),
  'leftright-add': (r) => (!/\\left/.test(r.gold) && /[()]/.test(r.gold) && !hasText(r.gold) && !/\\\{/.test(r.gold) ? r.gold.replace(/\(/g, '\\left(').replace(/\)/g, '\\right)') : null),
  nospace: (r) => (/ /.test(r.gold) && !hasText(r.gold) ? r.gold.replace(/(?<!\\[A-Za-z]*) +|(?<=\\[A-Za-z]+) +(?![A-Za-z])/g, '') : null),
  morespace: (r) => (!hasText(r.gold) && !isDigitGroups(r.gold) && !/,\s*\\!/.test(r.gold) && /[,+=]|\\frac/.test(r.gold) ? r.gold.replace(/,\s*/g, ' , ').replace(/([+=])/g, ' $1 ').replace(/\\frac\{/g, '\\frac { ') : null),
  thinspace: (r) =>
    /,/.test(r.gold) && !hasText(r.gold) && !isDigitGroups(r.gold) && !/,\s*\\!/.test(r.gold) ? r.gold.replace(/,\s*/g, ',\\, ') : /\d\\(?:sqrt|pi)/.test(r.gold) ? r.gold.replace(/(\d)\\(sqrt|pi)/g, '$1\\,\\$2') : null,
  'degree-swap': (r) => (/\^\\circ/.test(r.gold) ? r.gold.replace(/\^\\circ/g, '^{\\circ}') : /\^\{\\circ\}/.test(r.gold) ? r.gold.replace(/\^\{\\circ\}/g, '^\\circ') : null),
  // Under sin/cos the degree sign changes the value, so it is dropped only elsewhere.
  'degree-drop': (r) => (/\^\s*\{?\\circ\}?/.test(r.gold) && !hasTrig(r.gold) ? r.gold.replace(/\^\s*\{?\\circ\}?/g, '') : null),
  'degree-add': (r) => (isNumber(r.gold) && /degree|\^\\circ|\^\{\\circ\}/.test(r.problem) ? `${r.gold}^\\circ` : null),
  'degree-word': (r) => (/^-?[\d.]+\s*\^\s*\{?\\circ\}?$/.test(r.gold) ? r.gold.replace(/\s*\^\s*\{?\\circ\}?$/, ' \\text{ degrees}') : null),
  'degree-unicode': (r) => (/\^\s*\{?\\circ\}?/.test(r.gold) ? r.gold.replace(/\s*\^\s*\{?\\circ\}?/g, '°') : null),
  'trig-degree-value': (r) => {
    const m = /^(\d*)\s*\\(sin|cos|tan)\s*\(?\s*(\d+)\s*\^\s*\{?\\circ\}?\s*\)?$/.exec(r.gold);
    if (!m) return null;
    const f = { sin: Math.sin, cos: Math.cos, tan: Math.tan }[m[2] as 'sin' | 'cos' | 'tan'];
    return (Number(m[1] || '1') * f((Number(m[3]) * Math.PI) / 180)).toFixed(10);
  },
  // A time of day keeps its a.m./p.m. (a decision of docs/rewards.md), so it is not a unit here.
  'units-drop': (r) => {
    const m = /^(.*?\S)\s*(?:\\[,;! ]\s*)*\\(?:text|mbox|textnormal|mathrm)\s*\{\s*[A-Za-z][A-Za-z .]*\}(?:\^\{?[23]\}?)?$/.exec(r.gold);
    return m && /\d|\\pi|\}$/.test(m[1]) && !/[ap]\.m\./.test(r.gold) ? m[1] : null;
  },
  'units-add': (r) => (r.ds === 'gsm8k' ? `${r.gold} \\text{ dollars}` : null),
  'text-drop': (r) => /^\\text\{([A-Za-z ]+)\}$/.exec(r.gold)?.[1] ?? null,
  'text-bold': (r) => {
    const m = /^\\text\{([A-Za-z ]+)\}$/.exec(r.gold);
    return m ? `\\textbf{${m[1]}}` : null;
  },
  period: (r) => `${r.gold}.`,
  'x-equals': (r) => (isScalarish(r.gold) ? `x = ${r.gold}` : null),
  'eq-swap': (r) => {
    const sides = splitTopLevel(r.gold, '=').map((x) => x.trim());
    return sides.length === 2 && /^[a-z]$/.test(sides[0]) && sides[1] !== '' && !/,/.test(r.gold) ? `${sides[1]} = ${sides[0]}` : null;
  },
  'frac-slash': (r) => {
    const m = /^(-?)\\[dt]?frac\{(-?\d+)\}\{(\d+)\}$/.exec(r.gold);
    return m ? `${m[1]}${m[2]}/${m[3]}` : null;
  },
  'frac-decimal': (r) => {
    const m = FRAC.exec(r.gold);
    const d = m ? terminatingDecimal(BigInt(m[2]), BigInt(m[3])) : null;
    return m && d !== null ? m[1] + d : null;
  },
  'frac-short': (r) => (/\\frac\{\d\}\{\d\}/.test(r.gold) ? r.gold.replace(/\\frac\{(\d)\}\{(\d)\}/g, '\\frac$1$2') : null),
  'frac-neg-inside': (r) => {
    const m = /^-\\[dt]?frac\{(\d+)\}\{([^{}]+)\}$/.exec(r.gold);
    return m ? `\\frac{-${m[1]}}{${m[2]}}` : null;
  },
  'frac-general-slash': (r) => {
    const m = /^\\[dt]?frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}$/.exec(r.gold);
    if (!m || (/^\d+$/.test(m[1]) && /^\d+$/.test(m[2]))) return null;
    const wrap = (x: string): string => (/^[\w\\{}]+$/.test(x) && !/[+-]/.test(x) ? x : `(${x})`);
    return `${wrap(m[1])}/${wrap(m[2])}`;
  },
  'frac-sqrt-coef': (r) => {
    const m = /^\\[dt]?frac\{(\d+)\\sqrt\{(\d+)\}\}\{(\d+)\}$/.exec(r.gold);
    return m ? `\\frac{${m[1]}}{${m[3]}}\\sqrt{${m[2]}}` : null;
  },
  'mixed-to-improper': (r) => {
    const m = /^(\d+)\s*\\[dt]?frac\{(\d+)\}\{(\d+)\}$/.exec(r.gold);
    return m ? `\\frac{${BigInt(m[1]) * BigInt(m[3]) + BigInt(m[2])}}{${m[3]}}` : null;
  },
  'improper-to-mixed': (r) => {
    const m = /^\\[dt]?frac\{(\d+)\}\{(\d+)\}$/.exec(r.gold);
    if (!m) return null;
    const [n, d] = [BigInt(m[1]), BigInt(m[2])];
    return n > d && n % d !== 0n ? `${n / d}\\frac{${n % d}}{${d}}` : null;
  },
  'decimal-to-frac': (r) => {
    const m = /^(-?)(\d*)\.(\d+)$/.exec(r.gold);
    if (!m) return null;
    let n = BigInt((m[2] || '0') + m[3]);
    let d = 10n ** BigInt(m[3].length);
    const k = gcd(n, d);
    [n, d] = [n / k, d / k];
    return d === 1n ? null : `${m[1]}\\frac{${n}}{${d}}`;
  },
  'decimal-leading-zero': (r) => (/^-?\.\d/.test(r.gold) ? r.gold.replace(/^(-?)\./, '$10.') : null),
  'decimal-trailing-zero': (r) => (/^-?\d*\.\d+$/.test(r.gold) ? `${r.gold}0` : null),
  'decimal-sci': (r) => {
    if (!/^-?(?:\d*\.\d+|\d+)$/.test(r.gold)) return null;
    const v = Number(r.gold);
    if (v === 0 || (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5)) return null;
    const [mantissa, exp] = v.toExponential().split('e');
    return `${mantissa} \\times 10^{${Number(exp)}}`;
  },
  'sqrt-short': (r) => (/\\sqrt\{\d\}/.test(r.gold) ? r.gold.replace(/\\sqrt\{(\d)\}/g, '\\sqrt$1') : null),
  'sqrt-brace': (r) => (/\\sqrt\s*\d/.test(r.gold) ? r.gold.replace(/\\sqrt\s*(\d)/g, '\\sqrt{$1}') : null),
  unicode: (r) =>
    /\\infty|\\pi|\\sqrt\{\w\}|\\cdot|\\times/.test(r.gold)
      ? r.gold.replace(/\\infty/g, '∞').replace(/\\pi/g, 'π').replace(/\\sqrt\{(\w)\}/g, '√$1').replace(/\\cdot/g, '·').replace(/\\times/g, '×')
      : null,
  reorder: (r) => {
    if (isSetLit(r.gold)) {
      const it = topItems(r.gold.slice(2, -2));
      return it.length > 1 && new Set(it).size > 1 && !hasSpacing(r.gold) && !hasText(r.gold) ? `\\{${[...it].reverse().join(', ')}\\}` : null;
    }
    return isPlainList(r.gold) && new Set(topItems(r.gold)).size > 1 ? [...topItems(r.gold)].reverse().join(', ') : null;
  },
  'set-unbrace': (r) => (isSetLit(r.gold) && topItems(r.gold.slice(2, -2)).length > 1 ? r.gold.slice(2, -2).trim() : null),
  'list-to-set': (r) => (isPlainList(r.gold) ? `\\{${r.gold}\\}` : null),
  'list-and': (r) => (isPlainList(r.gold) && topItems(r.gold).length === 2 ? topItems(r.gold).join(' \\text{ and } ') : null),
  'list-or-assign': (r) => (isPlainList(r.gold) && topItems(r.gold).length === 2 ? topItems(r.gold).map((x) => `x = ${x}`).join(' \\text{ or } ') : null),
  'pair-eq': (r) => (isBracketed(r.gold) && r.gold.startsWith('(') && r.gold.endsWith(')') && topItems(r.gold.slice(1, -1)).length === 2 ? `(x, y) = ${r.gold}` : null),
  'pm-expand': (r) => {
    const parts = splitTopLevel(r.gold, '\\pm').map((x) => x.trim());
    return parts.length === 2 && parts[0] !== '' && !r.gold.includes(',') && !r.gold.includes('=') ? `${parts[0]} + ${parts[1]}, ${parts[0]} - ${parts[1]}` : null;
  },
  'sum-commute': (r) => {
    if (r.gold.includes('=') || /\.$/.test(r.gold) || isRelation(r.gold) || topItems(r.gold).length > 1 || /\\pm|\\mp|\\begin|\\text/.test(r.gold) || isBracketed(r.gold)) return null;
    const parts = splitTopLevel(r.gold, '+').map((x) => x.trim());
    return parts.length === 2 && parts.every((x) => x !== '' && !/-/.test(x.slice(1))) ? `${parts[1]} + ${parts[0]}` : null;
  },
  'percent-drop': (r) => (/\\%$/.test(r.gold) ? r.gold.replace(/\\%$/, '') : null),
  'percent-plain': (r) => (/\\%$/.test(r.gold) ? r.gold.replace(/\\%$/, '%') : null),
  'percent-decimal': (r) => {
    const m = /^(\d+(?:\.\d+)?)\\%$/.exec(r.gold);
    return m ? String(Number((Number(m[1]) / 100).toPrecision(12))) : null;
  },
  'pmatrix-bmatrix': (r) => (/pmatrix/.test(r.gold) ? r.gold.replace(/pmatrix/g, 'bmatrix') : null),
  'matrix-array': (r) => {
    const m = PMATRIX.exec(r.gold);
    return m ? `\\left(\\begin{array}{${'c'.repeat(matrixRows(m[1])[0]?.length ?? 1)}}${m[1]}\\end{array}\\right)` : null;
  },
  'vector-tuple': (r) => {
    const m = PMATRIX.exec(r.gold);
    const rows = m ? matrixRows(m[1]) : [];
    return rows.length > 1 && rows.every((row) => row.length === 1) ? `(${rows.map((row) => row[0]).join(', ')})` : null;
  },
  'choice-letter': (r) => /^\\(?:text|textbf|mathrm)\{\s*\(?([A-E])\)?\s*\}$/.exec(r.gold)?.[1] ?? null,
  'choice-paren': (r) => {
    const m = /^\\(?:text|textbf|mathrm)\{\s*\(?([A-E])\)?\s*\}$/.exec(r.gold);
    return m ? `(${m[1]})` : null;
  },
  'base-brace': (r) => (/^\d+_\d+$/.test(r.gold) ? r.gold.replace(/_(\d+)$/, '_{$1}') : null),
  'base-drop': (r) => (/^\w+_\{?\d+\}?$/.test(r.gold) ? r.gold.replace(/_\{?\d+\}?$/, '') : null),
  'dollar-drop': (r) => (/^\\\$/.test(r.gold) ? r.gold.replace(/^\\\$\s*/, '') : null),
  'gsm-commas': (r) => (r.ds === 'gsm8k' && /^\d{4,}$/.test(r.gold) ? withCommas(r.gold) : null),
  'gsm-nocommas': (r) => (r.ds === 'gsm8k' && r.gold.includes(',') ? r.gold.replace(/,/g, '') : null),
  'gsm-dollars-cents': (r) => (r.ds === 'gsm8k' && /^-?\d[\d,]*$/.test(r.gold) ? `\\$${withCommas(r.gold)}.00` : null),
  'aime-leading-zeros': (r) => (r.ds === 'aime24' ? r.goldRaw : null),
  'int-dot-zero': (r) => (r.ds === 'amc23' || r.ds === 'aime24' ? `${r.gold}.0` : null),
};

// ---------- (b) rewrites phrased in the closing sentence rather than a box ----------
const PHRASED: Record<string, Gen> = {
  'list-boxes': (r) => (isPlainList(r.gold) ? `${r.body}\n\nThe solutions are ${topItems(r.gold).map((x) => `$\\boxed{${x}}$`).join(', ')}.` : null),
  'gsm-text-dollars': (r) => (r.ds === 'gsm8k' && /^-?\d[\d,]*$/.test(r.gold) ? `${r.body}\nThe answer is $${withCommas(r.gold)}.00.` : null),
  'gsm-hashes': (r) => (r.ds === 'gsm8k' ? `${r.body}\n#### ${withCommas(r.gold)}` : null),
  'gsm-bold': (r) => (r.ds === 'gsm8k' ? `${r.body}\n\n**Answer: ${r.gold}**` : null),
  'gsm-final-bold': (r) => (r.ds === 'gsm8k' ? `${r.body}\n\n**Final Answer:** ${r.gold}` : null),
  'gsm-bold-dollar': (r) => (r.ds === 'gsm8k' ? `${r.body}\n\nThe answer is **$${r.gold}**.` : null),
  'gsm-bold-label-box': (r) => (r.ds === 'gsm8k' ? `${r.body}\n\n**Final Answer**\n\n\\[\n\\boxed{${r.gold}}\n\\]` : null),
  'gsm-conclude': (r) => (r.ds === 'gsm8k' ? `${r.body}\n\nTherefore, the answer is ${r.gold.replace(/,/g, '')}.` : null),
  'gsm-so-sentence': (r) => (r.ds === 'gsm8k' ? `${r.body}\n\nSo the final result is $${r.gold}.` : null),
  'gsm-tag-sentence': (r) => (r.ds === 'gsm8k' ? `<think>\n${r.body}\n</think>\n<answer>She ends up with ${r.gold} in total.</answer>` : null),
};

// ---------- (c) perturbations: the answer changes ----------
/** The last digit, plus one; not a digit of a unit's exponent (cm^2 -> cm^3 changes only the unit, which is ignored). */
function bumpLastDigit(whole: string): string | null {
  const unit = /\\(?:text|mbox|mathrm)\s*\{[^{}]*\}\s*\^\s*\{?\d\}?$/.exec(whole);
  const s = unit ? whole.slice(0, unit.index) : whole;
  const tail = unit ? whole.slice(unit.index) : '';
  for (let i = s.length - 1; i >= 0; i--) if (/\d/.test(s[i])) return s.slice(0, i) + String((Number(s[i]) + 1) % 10) + s.slice(i + 1) + tail;
  return null;
}

/** The sign of the first value flipped (of a bracket's or matrix's first entry); null where that would be -0 or meaningless. */
function flipFirstSign(s: string): string | null {
  if (hasText(s) || /\\pm|\\mp/.test(s) || /^\(?[A-E]\)?$/.test(s) || s.includes('=')) return null;
  let head = '';
  let t = s;
  const bracket = /^(\\\{|\\left\(|\\left\[|[([])\s*/.exec(t);
  if (bracket && (isBracketed(s) || isSetLit(s) || /^\\left/.test(s))) [head, t] = [bracket[0], t.slice(bracket[0].length)];
  const matrix = /^\\begin\{([pbv]?matrix)\}/.exec(t);
  if (matrix) [head, t] = [head + matrix[0], t.slice(matrix[0].length)];
  t = t.trimStart();
  if (/^0(?![\d.])/.test(t) || /^-?\\infty/.test(t)) return null;
  return head + (t.startsWith('-') ? t.slice(1) : `-${t}`);
}

/** An interval's end changed from open to closed or back (not at an infinite end). */
function toggleBracket(s: string): string | null {
  if ((!isBracketed(s) && !/\\cup/.test(s)) || !/^[([]/.test(s) || !/[)\]]$/.test(s)) return null;
  if (!/\\infty\s*[)\]]$/.test(s)) return s.slice(0, -1) + (s.endsWith(')') ? ']' : ')');
  if (!/^[([]\s*-\\infty/.test(s)) return (s[0] === '(' ? '[' : '(') + s.slice(1);
  return null;
}

/** The last item of a list, set or tuple of three or more dropped. */
function dropItem(s: string): string | null {
  if (isDigitGroups(s) || isRelation(s) || hasText(s) || hasSpacing(s)) return null;
  if (isSetLit(s)) {
    const it = topItems(s.slice(2, -2));
    return it.length > 1 ? `\\{${it.slice(0, -1).join(', ')}\\}` : null;
  }
  if (isBracketed(s)) {
    const it = topItems(s.slice(1, -1));
    return it.length > 2 ? `${s[0]}${it.slice(0, -1).join(', ')}${s[s.length - 1]}` : null;
  }
  const it = topItems(s);
  return it.length > 1 ? it.slice(0, -1).join(', ') : null;
}

const PERTURBATIONS: Record<string, Gen> = {
  digit: (r) => bumpLastDigit(r.gold),
  'digit-first': (r) => {
    const i = r.gold.search(/\d/);
    return i < 0 || /\\begin/.test(r.gold) ? null : r.gold.slice(0, i) + String((Number(r.gold[i]) + 1) % 10) + r.gold.slice(i + 1);
  },
  sign: (r) => flipFirstSign(r.gold),
  bracket: (r) => toggleBracket(r.gold),
  'drop-item': (r) => dropItem(r.gold),
  'extra-item': (r) => {
    if (isSetLit(r.gold)) return topItems(r.gold.slice(2, -2)).length > 1 && !hasText(r.gold) && !hasSpacing(r.gold) ? `${r.gold.slice(0, -2)}, 12345\\}` : null;
    return isPlainList(r.gold) ? `${r.gold}, 12345` : null;
  },
  'tuple-reorder': (r) => {
    if (!isBracketed(r.gold) || !r.gold.startsWith('(') || !r.gold.endsWith(')')) return null;
    const it = topItems(r.gold.slice(1, -1));
    return it.length > 1 && new Set(it).size === it.length ? `(${[...it].reverse().join(', ')})` : null;
  },
  'frac-swap': (r) => {
    const m = FRAC.exec(r.gold);
    return m && m[2] !== m[3] ? `${m[1]}\\frac{${m[3]}}{${m[2]}}` : null;
  },
  'drop-den': (r) => {
    const m = /^(-?)\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}$/.exec(r.gold);
    return m && m[3] !== '1' ? `${m[1]}${m[2]}` : null;
  },
  'drop-sqrt': (r) => (/\\sqrt\{(\d+)\}/.test(r.gold) && !/\\sqrt\{[01]\}/.test(r.gold) ? r.gold.replace(/\\sqrt\{(\d+)\}/, '$1') : null),
  'drop-pi': (r) => (/\d\s*\\pi/.test(r.gold) && !/^0/.test(r.gold) ? r.gold.replace(/(\d)\s*\\pi/, '$1') : null),
  'pm-drop': (r) => {
    const parts = splitTopLevel(r.gold, '\\pm').map((x) => x.trim());
    return parts.length === 2 && parts[0] !== '' && !r.gold.includes(',') && !r.gold.includes('=') ? `${parts[0]} + ${parts[1]}` : null;
  },
  'plus-one-expr': (r) => (isScalarish(r.gold) && !/\\infty|\.$/.test(r.gold) && !isNumber(r.gold) ? `${r.gold} + 1` : null),
  'times-two': (r) => (isScalarish(r.gold) && !/\\infty|\.$/.test(r.gold) && r.gold !== '0' ? `2(${r.gold})` : null),
  'var-rename': (r) => {
    if (!isScalarish(r.gold) || /\\[a-zA-Z]*[xq]/.test(r.gold)) return null;
    const vars = new Set(r.gold.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-z]/g) ?? []);
    return vars.size === 1 && vars.has('x') ? r.gold.replace(/x/g, 'q') : null;
  },
  // A letter after a number is a variable: 5x, 5ab and 5s^2 are not 5.
  'var-append': (r) => (nonZeroNumber(r.gold) ? `${r.gold}x` : null),
  'var-append-ab': (r) => (nonZeroNumber(r.gold) ? `${r.gold}ab` : null),
  'var-append-s2': (r) => (nonZeroNumber(r.gold) ? `${r.gold}s^2` : null),
  'eq-rhs-sign': (r) => {
    const sides = splitTopLevel(r.gold, '=').map((x) => x.trim());
    return sides.length === 2 && /^[a-z]$/.test(sides[0]) && sides[1] !== '' && sides[1] !== '0' && !/,/.test(r.gold) ? `${sides[0]} = -(${sides[1]})` : null;
  },
  'percent-scale': (r) => {
    const m = /^(\d+(?:\.\d+)?)\\%$/.exec(r.gold);
    return m && Number(m[1]) !== 0 ? `${Number(m[1]) / 100}\\%` : null;
  },
  'matrix-transpose': (r) => {
    const m = PMATRIX.exec(r.gold);
    const rows = m ? matrixRows(m[1]) : [];
    if (rows.length < 2 || rows.some((row) => row.length !== rows.length)) return null;
    const t = rows[0].map((_, j) => rows.map((row) => row[j]));
    return JSON.stringify(t) === JSON.stringify(rows) ? null : `\\begin{pmatrix}${t.map((row) => row.join(' & ')).join(' \\\\ ')}\\end{pmatrix}`;
  },
  'text-change': (r) => {
    const m = /^\\text\{([A-Za-z ]+)\}$/.exec(r.gold);
    return m ? `\\text{${m[1]}s}` : null;
  },
  'plus-one': (r) => (r.ds === 'gsm8k' || r.ds === 'amc23' || r.ds === 'aime24' ? String(Number(r.gold.replace(/,/g, '')) + 1) : null),
};

/** Every form of one record's gold that applies, in the order (a), (b), (c). */
export function answerForms(r: ProbeRecord): AnswerForm[] {
  const forms: AnswerForm[] = [];
  for (const [cls, t] of Object.entries(TEMPLATES)) forms.push({ part: 'a', cls, completion: t(r.body, r.gold), shown: r.gold, expectEqual: true });
  for (const [cls, gen] of Object.entries(REWRITES)) {
    const w = gen(r);
    if (w !== null && w !== r.gold) forms.push({ part: 'b', cls, completion: boxedOutput(r.body, w), shown: w, expectEqual: true });
  }
  for (const [cls, gen] of Object.entries(PHRASED)) {
    const w = gen(r);
    if (w !== null) forms.push({ part: 'b', cls, completion: w, shown: w.slice(-80), expectEqual: true });
  }
  for (const [cls, gen] of Object.entries(PERTURBATIONS)) {
    const w = gen(r);
    if (w !== null && w !== r.gold) forms.push({ part: 'c', cls, completion: boxedOutput(r.body, w), shown: w, expectEqual: false });
  }
  return forms;
}
