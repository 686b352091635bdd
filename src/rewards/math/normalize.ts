// String normalisation of one extracted answer before parsing: strips math delimiters, spacing
// commands, \left/\right, \text{} wrappers, units (units.ts), degrees, money signs, digit groups
// (digit-groups.ts), and records a percent sign (which the comparison treats specially).
import { matchBrace } from './latex-scan.js';
import { stripMathDelimiters } from './extract.js';
import { stripCjkTail, toHalfWidth, unicodeScripts } from './text-forms.js';
import { stripRawUnits, stripTextUnit } from './units.js';
import { joinLatexDigitGroups, joinThousands } from './digit-groups.js';

export interface NormalizedAnswer {
  /** The cleaned LaTeX-ish answer text. */
  text: string;
  /** The answer carried a percent sign (removed from `text`). */
  percent: boolean;
}

// A \boxed inside an extracted answer (a nested box, a box inside <answer>) only marks it.
const TEXT_WRAPPERS = ['\\boxed', '\\fbox', '\\text', '\\textbf', '\\textit', '\\textrm', '\\textnormal', '\\mathrm', '\\mathbf', '\\mathit', '\\mbox', '\\operatorname'];

/** Replaces `\text{abc}` (and friends) by ` abc `, matching braces. */
function unwrapText(s: string): string {
  let out = s;
  for (let guard = 0; guard < 50; guard++) {
    let found = -1;
    let len = 0;
    for (const w of TEXT_WRAPPERS) {
      const re = new RegExp(w.replace(/\\/g, '\\\\') + '\\s*\\{', 'g');
      const m = re.exec(out);
      if (m && (found < 0 || m.index < found)) {
        found = m.index;
        len = m[0].length;
      }
    }
    if (found < 0) return out;
    const open = found + len - 1;
    const close = matchBrace(out, open);
    if (close < 0) return out;
    out = out.slice(0, found) + ' ' + out.slice(open + 1, close) + ' ' + out.slice(close + 1);
  }
  return out;
}

/** \binom{n}{k} with small integer arguments becomes its value (the engine does not know \binom). */
function expandBinomials(s: string): string {
  return s.replace(/\\binom\s*\{\s*(\d{1,4})\s*\}\s*\{\s*(\d{1,4})\s*\}/g, (whole, n: string, k: string) => {
    const N = BigInt(n);
    let K = BigInt(k);
    if (K > N) return '0';
    if (K > N - K) K = N - K;
    let v = 1n;
    for (let i = 1n; i <= K; i++) v = (v * (N - K + i)) / i;
    return v.toString().length <= 60 ? v.toString() : whole;
  });
}

/** Unicode math symbols models write instead of LaTeX (−, ∞, π, √2, ∈, ×, ·, ÷, ∅, ≈, x², ½). */
function unicodeMath(raw: string): string {
  const s = unicodeScripts(raw);
  return s
    .replace(/\u2212/g, '-')
    .replace(/∞/g, '\\infty ')
    .replace(/π/g, '\\pi ')
    .replace(/√\s*(\d+(?:\.\d+)?|[a-zA-Z])/g, '\\sqrt{$1}')
    .replace(/√/g, '\\sqrt')
    .replace(/∈/g, '\\in ')
    .replace(/×/g, '\\times ')
    .replace(/[·⋅]/g, '\\cdot ')
    .replace(/÷/g, '\\div ')
    .replace(/∅/g, '\\emptyset')
    .replace(/≈/g, '\\approx ');
}

/**
 * Set-builder notation around a condition is the set the condition describes:
 * \{x \mid x > 0\}, \{x : x > 0\}, \{x \in \mathbb{R} | x > 0\} read as "x > 0" (an interval), when the
 * condition is on the bound letter.
 */
function setBuilder(s: string): string {
  const m = /^\\\{\s*([a-zA-Z])\s*(?:\\in\s*\\mathbb\s*\{?R\}?\s*)?(?:\\mid|\||:)\s*([\s\S]+?)\s*\\\}$/.exec(s.trim());
  if (!m || !/[<>]|\\[lg]eq?(?![a-zA-Z])|\\neq?(?![a-zA-Z])|≤|≥|≠/.test(m[2])) return s;
  // The condition must be on the bound letter: \{y \mid x > 0\} is no interval of y.
  return new RegExp(`(?<![a-zA-Z\\\\])${m[1]}(?![a-zA-Z])`).test(m[2]) ? m[2] : s;
}

const TRIG = /\\(?:sin|cos|tan|cot|sec|csc)(?![a-zA-Z])/;
const DEGREES = /(\d+(?:\.\d+)?)\s*(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°)/g;

/** In an answer with a trigonometric function, a number of degrees becomes its radians. */
function trigDegreesToRadians(s: string): string {
  return TRIG.test(s) ? s.replace(DEGREES, '(\\frac{$1\\pi}{180})') : s;
}

export function normalizeAnswer(raw: string): NormalizedAnswer {
  // Markdown bold around the whole answer (**18**) is layout; a `**` inside is a power (x**2).
  let s = unicodeMath(stripMathDelimiters(toHalfWidth(raw).trim().replace(/^\*\*([^*]+)\*\*$/, '$1')));
  // A trailing backslash (or \\) left by a cut-off line, and a closing full stop.
  s = s.replace(/(?:\\\\|\\)+\s*$/, '').trim();
  s = s.replace(/\\displaystyle|\\textstyle/g, '');
  s = s.replace(/\\left\s*\./g, '').replace(/\\right\s*\./g, '');
  s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)\s*/g, '');
  // Digit groups in their LaTeX spellings: 1\,000, 11,\! 111,\! 100, 1{,}000.
  s = joinLatexDigitGroups(s);
  // Spacing commands, but not the second backslash of a row break (`1 \\ -2` in a matrix).
  s = s.replace(/(?<!\\)\\[,;:! ]/g, ' ').replace(/~/g, ' ');
  s = s.replace(/\\[dtc]frac/g, '\\frac').replace(/\\dbinom|\\tbinom/g, '\\binom');
  // A unit in \text{} is known as a unit only before the wrapper goes ("5\text{ m}" vs "5m").
  s = unwrapText(stripTextUnit(s.replace(/\.\s*$/, '')));
  // Thousands separators, judged before degrees go (45^\circ,135^\circ is a list, not 45,135).
  s = joinThousands(s);
  // Degrees are dropped: 30^\circ and 30 are the same answer; but under a trigonometric function
  // they are radians' worth (\cos 58^\circ = \sin 32^\circ, 2\cos 15^\circ = 1.93185165).
  s = trigDegreesToRadians(s);
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree|\\circ/g, '');
  // A plain-text degree sign written as a superscript o: 30^o.
  s = s.replace(/(\d)\s*\^\s*\{?o\}?(?![a-zA-Z])/g, '$1');
  s = s.replace(/(\d)\s*(?:percent|per cent)\b/gi, '$1\\%');
  let percent = false;
  if (/\\%|%/.test(s)) {
    percent = true;
    s = s.replace(/\\%|%/g, '');
  }
  // Money signs, and any $ left over from inline math ("$5$ apples").
  s = s.replace(/\\\$/g, '').replace(/\$/g, '');
  s = s.replace(/^\s*(?:\\approx|≈|\\sim)\s*/, '');
  s = expandBinomials(s);
  // \frac12, \frac1{2}, \frac{1}2, \sqrt2 -> braced forms.
  s = s.replace(/\\frac\s*(\d)\s*(\d)/g, '\\frac{$1}{$2}');
  s = s.replace(/\\frac\s*(\d)\s*\{/g, '\\frac{$1}{');
  s = s.replace(/\\frac\s*(\{[^{}]*\})\s*(\d)/g, '\\frac$1{$2}');
  s = s.replace(/\\sqrt\s*([0-9a-zA-Z])/g, '\\sqrt{$1}');
  // Plain-text math from models: sqrt(2), pi, x**2, 2*x.
  s = s.replace(/(?<![\\a-zA-Z])sqrt\s*\(([^()]*)\)/g, '\\sqrt{$1}');
  s = s.replace(/(?<![\\a-zA-Z])pi(?![a-zA-Z])/g, '\\pi ');
  s = s.replace(/(?<![\\a-zA-Z])(?:infinity|inf)(?![a-zA-Z])/gi, '\\infty ');
  // \exp(…) is e^{…}: the engine cannot evaluate \exp at points.
  s = s.replace(/\\exp\s*\(([^()]*)\)/g, 'e^{$1}').replace(/\\exp\s*\{([^{}]*)\}/g, 'e^{$1}');
  // A plain-text union between intervals: (-inf, 1) U (3, inf).
  s = s.replace(/([)\]])\s*U\s*(?=[([])/g, '$1\\cup ');
  s = s.replace(/\*\*/g, '^').replace(/\*/g, '\\cdot ');
  // An unbraced exponent of several digits is the whole number, as models write it and as the
  // usual LaTeX readers take it: 2^10 = 2^{10} (not 2^{1}0), 10^-3 = 10^{-3}.
  s = s.replace(/\^\s*(-?\d{2,}|-\d)(?![\d.])/g, '^{$1}');
  // Vectors in angle brackets are tuples: \langle 1, 2 \rangle = (1, 2).
  s = s.replace(/\\langle(?![a-zA-Z])|⟨/g, '(').replace(/\\rangle(?![a-zA-Z])|⟩/g, ')');
  s = setBuilder(s);
  // "x \in [1,2]" states the set the answer belongs to.
  s = s.replace(/^\s*[a-zA-Z]\s*\\in\s*/, '');
  s = s.replace(/\s+/g, ' ').trim();
  // A closing full stop or comma left from the sentence.
  s = s.replace(/[.,;\s]+$/, '');
  // Digit groups split by spaces (SI style), when the whole answer is that one number.
  if (/^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/ /g, '');
  // The reals and the empty set in their interval and set spellings.
  // (\text wrappers are gone by now: "all real numbers" is plain words.)
  s = s.replace(/^\\mathbb\s*\{?R\}?$|^\\R$|^all real numbers$|^all reals$/i, '(-\\infty,\\infty)');
  s = s.replace(/^(?:\\emptyset|\\varnothing|\\\{\s*\\\}|\{\s*\}|no (?:real )?solutions?|none|the empty set)$/i, '\\{\\}');
  // An array in brackets is a matrix: [\begin{array}{cc}…\end{array}].
  s = s.replace(/^[([]\s*(\\begin\{array\}[\s\S]*\\end\{array\})\s*[)\]]$/, '$1');
  s = stripRawUnits(stripCjkTail(s));
  return { text: s, percent };
}
