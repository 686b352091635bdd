// The math checker against its case table, class by class: every row must get its expected
// verdict, and no unequal pair may ever be called equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyMath } from '../../src/rewards/index.js';
import { loadMathCases } from './math-cases.js';

const cases = loadMathCases();
const classes = [...new Set(cases.map((c) => c.cls))];

for (const cls of classes) {
  test(`math case table: ${cls}`, () => {
    const wrong = cases
      .filter((c) => c.cls === cls)
      .filter((c) => verifyMath(c.answer, c.gold).equal !== c.equal)
      .map((c) => `line ${c.line}: ${JSON.stringify(c.answer)} vs gold ${JSON.stringify(c.gold)} should be ${c.equal ? 'equal' : 'unequal'} (${c.reason})`);
    assert.deepEqual(wrong, []);
  });
}

test('the case table covers every class of the checker with negatives', () => {
  const required = ['relations', 'lists', 'names', 'latex-forms', 'matrices', 'text', 'cjk', 'choice', 'sentences', 'units-percent', 'traps', 'thinking'];
  for (const cls of required) {
    const rows = cases.filter((c) => c.cls === cls);
    assert.ok(rows.length >= 10, `${cls}: only ${rows.length} rows`);
    assert.ok(rows.some((c) => !c.equal), `${cls}: no unequal row`);
  }
});

test('with the last-number fallback off (as in the training reward) no unequal pair is called equal', () => {
  const falseEqual = cases.filter((c) => !c.equal && verifyMath(c.answer, c.gold, { lastNumberFallback: false }).equal).map((c) => `line ${c.line}`);
  assert.deepEqual(falseEqual, []);
});

test('the table is symmetric where the pair is two bare answers (gold and answer may swap)', () => {
  const asym = cases
    // Letter golds, prose outputs and boxes are one-directional by nature.
    .filter((c) => !['choice', 'cjk', 'sentences'].includes(c.cls) && !/\\boxed|^[A-E]$/.test(c.answer + c.gold) && !/^[A-E]$/.test(c.answer))
    .filter((c) => verifyMath(c.gold, c.answer).equal !== c.equal)
    .map((c) => `line ${c.line}: ${c.gold} / ${c.answer}`);
  assert.deepEqual(asym, []);
});
