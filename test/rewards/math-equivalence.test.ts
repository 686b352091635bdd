// The equivalence table: pairs of (prediction, gold) answers and whether they are the same
// answer. Many negatives on purpose: a verifier that says "equal" too easily rewards wrong answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAnswers } from '../../src/rewards/index.js';

type Row = [pred: string, gold: string, equal: boolean];

const integers: Row[] = [
  ['42', '42', true],
  ['42', '43', false],
  ['-7', '-7', true],
  ['-7', '7', false],
  ['1,000', '1000', true],
  ['1{,}000', '1000', true],
  ['1\\,000', '1000', true],
  ['12,345,678', '12345678', true],
  ['1,000', '100', false],
  ['007', '7', true],
  ['+5', '5', true],
  ['0', '-0', true],
  ['100', '1000', false],
  ['2', '2.0', true],
  ['2.00', '2', true],
  ['1e3', '1000', true],
  ['1.5\\times10^{3}', '1500', true],
  ['1.5 \\cdot 10^3', '1500', true],
  ['1.5\\times10^{3}', '150', false],
  ['10^{-2}', '0.01', true],
  ['10^{2}', '0.01', false],
  ['12345678901234567890', '12345678901234567891', false],
  ['12345678901234567890', '12345678901234567890.0', true],
  ['1.0000000001', '1', false],
  ['\\binom{5}{2}', '10', true],
  ['\\dbinom{6}{3}', '15', false],
  ['\\approx 3.14', '3.14', true],
  ['$5$ apples', '5', true],
];

const decimalsAndFractions: Row[] = [
  ['0.5', '\\frac{1}{2}', true],
  ['0.5', '0.05', false],
  ['.5', '0.5', true],
  ['1/2', '2', false],
  ['1/2', '\\frac12', true],
  // A mixed number with a zero denominator is no value: "not equal", never an exception.
  ['3 1/0', '3', false],
  ['3 1/0', '3 1/0', true],
  ['\\dfrac{3}{4}', '0.75', true],
  ['\\tfrac{3}{4}', '\\frac{3}{4}', true],
  ['\\frac{3}{4}', '\\frac{4}{3}', false],
  ['\\frac{6}{8}', '\\frac{3}{4}', true],
  ['-\\frac{1}{2}', '\\frac{-1}{2}', true],
  ['-\\frac{1}{2}', '\\frac{1}{2}', false],
  ['\\frac{1}{3}', '0.333', false],
  ['\\frac{1}{3}', '0.3333', false],
  ['\\frac{1}{3}', '0.\\overline{3}', true],
  ['3\\frac{1}{2}', '\\frac{7}{2}', true],
  ['3\\frac{1}{2}', '3.5', true],
  ['3 1/2', '7/2', true],
  ['3\\frac{1}{2}', '\\frac{3}{2}', false],
  ['2.5', '5/2', true],
  ['2.5', '2.05', false],
  ['0.1', '1/10', true],
  ['0.125', '\\frac{1}{8}', true],
  ['\\frac{22}{7}', '\\pi', false],
  ['3.14', '\\pi', false],
  ['\\frac{10}{4}', '\\frac{5}{2}', true],
  ['1/0', '2/0', false],
  ['\\frac{1}{0}', '\\frac{1}{0}', true],
  ['5', '5.0001', false],
];

const percentsDegreesUnits: Row[] = [
  ['10\\%', '10', true],
  ['10%', '10\\%', true],
  ['10\\%', '0.1', true],
  ['10\\%', '1', false],
  ['10', '0.1', false],
  ['25\\%', '20\\%', false],
  ['30^\\circ', '30', true],
  ['30^{\\circ}', '30', true],
  ['30°', '30', true],
  ['30^\\circ', '60', false],
  ['5 cm', '5', true],
  ['5\\text{ cm}', '5', true],
  ['5\\text{ cm}^2', '5', true],
  ['12 dollars', '12', true],
  ['\\$12', '12', true],
  ['\\$12.50', '12.5', true],
  ['5 cm', '6', false],
  ['3 square feet', '3', true],
  ['5cm', '5', true],
  ['7 apples', '8', false],
];

const radicalsAndConstants: Row[] = [
  ['2\\sqrt{3}', '\\sqrt{12}', true],
  ['\\sqrt{12}', '3\\sqrt{2}', false],
  ['\\sqrt2', '\\sqrt{2}', true],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{1}{2}\\sqrt{3}', true],
  ['\\frac{\\sqrt{3}}{2}', '\\frac{\\sqrt{2}}{2}', false],
  ['\\frac{1}{\\sqrt{2}}', '\\frac{\\sqrt{2}}{2}', true],
  ['\\sqrt[3]{8}', '2', true],
  ['\\pi/2', '\\frac{\\pi}{2}', true],
  ['sqrt(2)', '\\sqrt{2}', true],
  ['sqrt(2)', '\\sqrt{3}', false],
  ['2*pi', '2\\pi', true],
  ['pi/3', '\\frac{\\pi}{3}', true],
  ['2\\pi', '\\pi', false],
  ['\\frac{\\pi}{6}', '30', false],
  ['e^{i\\pi}', '-1', true],
  ['\\infty', '\\infty', true],
  ['\\infty', '-\\infty', false],
  ['3+2i', '2i+3', true],
  ['3+2i', '3-2i', false],
  ['\\log_2 8', '3', true],
  ['2^{10}', '1024', true],
  ['2^{10}', '1000', false],
  ['5!', '120', true],
  ['1+\\sqrt{5}', '\\sqrt{5}+1', true],
  ['1-\\sqrt{5}', '\\sqrt{5}-1', false],
];

const symbolic: Row[] = [
  ['\\frac{x}{7}+\\frac{2}{7}', '\\frac{x+2}{7}', true],
  ['\\frac{x}{7}+\\frac{2}{7}', '\\frac{x+2}{14}', false],
  ['x+1', 'x-1', false],
  ['x+1', '1+x', true],
  ['3', '3x', false],
  ['3x', 'x^3', false],
  ['2x', 'x+x', true],
  ['x^2+2x+1', '(x+1)^2', true],
  ['x^2+1', '(x+1)^2', false],
  ['x**2 + 2*x + 1', '(x+1)^2', true],
  ['x**3', 'x^2', false],
  ['x^2-1', '(x-1)(x+1)', true],
  ['|x|', 'x', false],
  ['\\sqrt{x^2}', 'x', false],
  ['2(a+b)', '2a+2b', true],
  ['2(a+b)', '2a+b', false],
  ['2ab', '2ba', true],
  ['x+y', 'x+z', false],
  ['\\sin^2 x+\\cos^2 x', '1', true],
  ['\\sin^2 x', '1', false],
  ['x-x+3', '3', true],
  ['\\frac{1}{x}', 'x^{-1}', true],
  ['\\frac{1}{x}', 'x', false],
  ['4x^3', '12x^2', false],
  ['y^2', 'y^3', false],
  ['\\frac{a}{b}', '\\frac{b}{a}', false],
];

const equations: Row[] = [
  ['x=3', '3', true],
  ['3', 'x=3', true],
  ['x = 3', 'x=3', true],
  ['x=3', 'x=4', false],
  ['x=3', 'y=3', false],
  ['y=2x+3', 'y=3+2x', true],
  ['y=2x+3', 'y=2x-3', false],
  ['2x+2y=2', 'x+y=1', true],
  ['x+y=1', 'x+y=2', false],
  ['2x=6', '3', false],
  ['k=\\frac{1}{2}', '0.5', true],
  ['\\theta=30^\\circ', '30', true],
];

const structures: Row[] = [
  ['[1,2]', '(1,2)', false],
  ['[1,2]', '[1,2]', true],
  ['[1,2)', '[1,2]', false],
  ['(1,2]', '(1,2]', true],
  ['(-\\infty, 3)', '(-\\infty,3)', true],
  ['(-\\infty, 3]', '(-\\infty,3)', false],
  ['(-\\infty,3)\\cup(4,\\infty)', '(4,\\infty)\\cup(-\\infty,3)', true],
  ['(-\\infty,3)\\cup(4,\\infty)', '(-\\infty,3)\\cup[4,\\infty)', false],
  ['(-\\infty,3)\\cup(4,\\infty)', '(-\\infty,3)', false],
  ['\\{1,2\\}', '\\{2,1\\}', true],
  ['\\{1,2\\}', '\\{1,2,3\\}', false],
  ['\\{1,2\\}', '\\{1,3\\}', false],
  ['(1,2)', '(2,1)', false],
  ['(1,2)', '(1,2)', true],
  ['(1, 2)', '\\left(1,2\\right)', true],
  ['(\\frac{1}{2}, 3)', '(0.5, 3)', true],
  ['(1,2,3)', '(1,2)', false],
  ['1, 2', '2, 1', true],
  ['1, 2', '1, 3', false],
  ['1, 2', '\\{1, 2\\}', true],
  ['1, 2', '(1, 2)', false],
  ['2 \\pm \\sqrt{3}', '2+\\sqrt{3}, 2-\\sqrt{3}', true],
  ['2 \\pm \\sqrt{3}', '2+\\sqrt{3}', false],
  ['\\pm 2', '2, -2', true],
  ['1 and 2', '1, 2', true],
  ['x=3 \\text{ or } x=4', '3, 4', true],
  ['x=3 \\text{ or } x=4', '3, 5', false],
  ['1,2', '12', false],
  ['(1,2)', '1,2', false],
  ['\\{3\\}', '3, 3', false],
  ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '(1,2)', true],
  ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '(2,1)', false],
  ['\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}', '\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}', true],
  ['\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}', '\\begin{pmatrix}1 & 3\\\\2 & 4\\end{pmatrix}', false],
  ['\\begin{pmatrix}1 & 2\\\\3 & 4\\end{pmatrix}', '\\begin{pmatrix}1 & 2\\end{pmatrix}', false],
  ['\\begin{pmatrix}\\frac{1}{2}\\\\0\\end{pmatrix}', '\\begin{pmatrix}0.5\\\\0\\end{pmatrix}', true],
  ['[1,2]', '\\{1,2\\}', false],
  ['x \\in [1,2]', '[1,2]', true],
];

const wordsAndChoices: Row[] = [
  ['(C)', 'C', true],
  ['C', '(C)', true],
  ['\\text{(C)}', 'C', true],
  ['(C) 12', 'C', true],
  ['(B)', 'C', false],
  ['B', 'C', false],
  ['c', 'C', true],
  ['\\text{Monday}', 'Monday', true],
  ['monday', 'Monday', true],
  ['Tuesday', 'Monday', false],
  ['\\text{yes}', 'yes', true],
  ['no', 'yes', false],
  ['\\text{even}', 'odd', false],
  ['', '5', false],
  ['5', '', false],
  ['\\text{No solution}', 'no solution', true],
  ['2.718', 'e', false],
  // Six or more decimal places stand for any value that rounds to them (as Math-Verify rounds at 6).
  ['2.7182818', 'e', true],
  ['E', 'e', false],
];

const all: Array<[string, Row[]]> = [
  ['integers', integers],
  ['decimals and fractions', decimalsAndFractions],
  ['percents, degrees and units', percentsDegreesUnits],
  ['radicals and constants', radicalsAndConstants],
  ['symbolic expressions', symbolic],
  ['equations', equations],
  ['intervals, sets, tuples, matrices', structures],
  ['words and multiple choice', wordsAndChoices],
];

for (const [group, rows] of all) {
  test(`math equivalence table: ${group}`, () => {
    const wrong: string[] = [];
    for (const [pred, gold, equal] of rows) {
      // The table is about equivalence, not speed: a budget far above the default 2 s keeps a
      // loaded machine (where the symbolic engine's first comparisons can take seconds) from
      // turning a slow "equal" into "timeout, not equal". The budget has its own tests.
      const verdict = compareAnswers(pred, gold, 60_000);
      if (verdict.equal !== equal) wrong.push(`${JSON.stringify(pred)} vs ${JSON.stringify(gold)}: expected ${equal}, got ${verdict.equal}${verdict.reason ? ` (${verdict.reason})` : ''}`);
    }
    assert.deepEqual(wrong, []);
  });
}

test('the table is broad and mostly negatives-aware', () => {
  const rows = all.flatMap(([, r]) => r);
  assert.ok(rows.length >= 150, `only ${rows.length} rows`);
  assert.ok(rows.filter((r) => !r[2]).length >= 60, 'too few negative rows');
});

test('equivalence is symmetric on the table', () => {
  const asym: string[] = [];
  for (const [, rows] of all) {
    for (const [pred, gold] of rows) {
      if (pred === '' || gold === '') continue;
      // Multiple-choice gold letters are asymmetric by design (a letter gold matches "(C) 12").
      if (/^\(?[A-E]\)?$/.test(gold) || /^\(?[A-E]\)?/.test(pred)) continue;
      if (compareAnswers(pred, gold).equal !== compareAnswers(gold, pred).equal) asym.push(`${pred} / ${gold}`);
    }
  }
  assert.deepEqual(asym, []);
});

test('option letters compare the same either way round, so a vote groups them in any order', () => {
  // [a, b, equal]: a lowercase a-d is its option letter; e is Euler's number, not option E.
  const pairs: Array<[string, string, boolean]> = [['c', 'C', true], ['(b)', 'B', true], ['e', 'E', false], ['C', 'D', false], ['C', '(C) 12', true]];
  const wrong = pairs.flatMap(([a, b, equal]) => [[a, b], [b, a]].filter(([x, y]) => compareAnswers(x, y).equal !== equal).map(([x, y]) => `${x} vs ${y}`));
  assert.deepEqual(wrong, []);
});
