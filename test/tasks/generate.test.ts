import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTask, listTasks } from '../../src/tasks/registry.js';
import { arithmeticTask, ARITHMETIC_LEVELS, arithmeticSteps, type AddSub } from '../../src/tasks/arithmetic.js';
import { countdownTask, COUNTDOWN_LEVELS } from '../../src/tasks/countdown.js';
import { solveCountdown } from '../../src/tasks/countdown-solver.js';
import { splitOf, HELDOUT_FRACTION } from '../../src/tasks/split.js';
import { AhaError } from '../../src/util/errors.js';
import type { Problem } from '../../src/tasks/task.js';

const canonicalOf = (p: Problem): string =>
  p.meta.task === 'arithmetic' ? String(p.meta.expression) : p.meta.task === 'world' ? `${String(p.meta.name)}:${String(p.meta.relation)}` : `${[...(p.meta.numbers as number[])].sort((a, b) => a - b).join(',')}=${p.meta.target}`;

test('registry finds the built-in tasks and names the known ones on a typo', () => {
  assert.deepEqual(listTasks().map((t) => t.name), ['arithmetic', 'countdown', 'world']);
  assert.equal(getTask('countdown'), countdownTask);
  assert.throws(() => getTask('arithmatic'), (e: unknown) => e instanceof AhaError && /arithmetic, countdown/.test(e.message));
});

test('generators are deterministic per seed and differ across seeds', () => {
  for (const task of listTasks()) {
    const a = task.generate({ split: 'train', count: 30, seed: 7, difficulty: task.difficulties });
    const b = task.generate({ split: 'train', count: 30, seed: 7, difficulty: task.difficulties });
    const c = task.generate({ split: 'train', count: 30, seed: 8, difficulty: task.difficulties });
    assert.deepEqual(a, b, task.name);
    assert.notDeepEqual(a.map((p) => p.id), c.map((p) => p.id), task.name);
    assert.equal(new Set(a.map((p) => p.id)).size, 30, `${task.name}: problems are distinct`);
  }
});

test('bad generate options are clear user errors', () => {
  assert.throws(() => arithmeticTask.generate({ split: 'train', count: 1, seed: 1, difficulty: 9 }), (e: unknown) => e instanceof AhaError && /difficulty 9/.test(e.message));
  assert.throws(() => countdownTask.generate({ split: 'train', count: -1, seed: 1, difficulty: 1 }), AhaError);
  assert.throws(() => countdownTask.generate({ split: 'train', count: 1, seed: 1.5, difficulty: 1 }), AhaError);
  // Level 1 arithmetic has about 12k problems, about 1.2k of them held out: asking for more fails clearly.
  assert.throws(() => arithmeticTask.generate({ split: 'heldout', count: 5000, seed: 1, difficulty: 1 }), (e: unknown) => e instanceof AhaError && /distinct heldout/.test(e.message));
});

test('arithmetic problems match their level and their gold is the left-to-right value', () => {
  for (const d of arithmeticTask.difficulties) {
    for (const p of arithmeticTask.generate({ split: 'heldout', count: 40, seed: d, difficulty: d })) {
      const operands = p.meta.operands as number[];
      const ops = p.meta.ops as AddSub[];
      const level = ARITHMETIC_LEVELS[d];
      assert.equal(p.difficulty, d);
      assert.equal(operands.length, level.operands);
      for (const x of operands) assert.equal(String(x).length, level.digits);
      // Independent evaluation of the expression text.
      const tokens = String(p.meta.expression).match(/\d+|[+-]/g)!;
      let value = Number(tokens[0]);
      for (let i = 1; i < tokens.length; i += 2) {
        value = tokens[i] === '+' ? value + Number(tokens[i + 1]) : value - Number(tokens[i + 1]);
        assert.ok(value >= 0 && value <= 999, 'running value stays in [0, 999]');
      }
      assert.equal(p.gold, String(value));
      assert.equal(arithmeticSteps(operands, ops).at(-1)!.result, value);
      assert.ok(p.prompt.startsWith('User: Compute ') && p.prompt.endsWith('\nAssistant: '));
      assert.equal(arithmeticTask.prompt(p), p.prompt);
      assert.ok(p.prompt.length <= 110, `prompt is short: ${p.prompt.length}`);
    }
  }
});

test('every generated Countdown problem is solvable (independent brute-force solver)', () => {
  for (const d of countdownTask.difficulties) {
    const level = COUNTDOWN_LEVELS[d];
    for (const p of countdownTask.generate({ split: 'train', count: 25, seed: 100 + d, difficulty: d })) {
      const numbers = p.meta.numbers as number[];
      const target = p.meta.target as number;
      assert.equal(numbers.length, level.count);
      assert.ok(numbers.every((n, i) => n >= 1 && n <= (i === 0 ? (level.firstMax ?? level.max) : level.max)));
      assert.ok(Number.isInteger(target) && target >= 1 && target <= level.maxTarget);
      const solution = solveCountdown(numbers, target, level.ops);
      assert.ok(solution !== null, `no solution for ${numbers} -> ${target}`);
      assert.equal(countdownTask.verify(`<answer>${solution}</answer>`, p).correct, true, `solver's ${solution}`);
      assert.equal(countdownTask.verify(`<answer>${p.meta.solution}</answer>`, p).correct, true, `generator's ${p.meta.solution}`);
      assert.equal(countdownTask.prompt(p), p.prompt);
      if (level.listedInOrder) assert.equal(String(p.meta.solution).replace(/[+-]/g, ','), numbers.join(','), 'the listed order works');
    }
  }
  assert.equal(solveCountdown([2, 2, 2], 7), null, 'the solver does say no');
  assert.equal(solveCountdown([2, 3, 4], 24, ['+', '-']), null, 'and keeps to the operators it is given');
  assert.match(countdownTask.generate({ split: 'train', count: 1, seed: 1, difficulty: 0 })[0].prompt, /^User: Make \d+ from \d+, \d+, \d+, each used once, with \+ and -\. /);
});

test('held-out split is decided by the canonical form: train never yields a held-out problem', () => {
  for (const task of listTasks()) {
    const heldout = task.generate({ split: 'heldout', count: 200, seed: 0, difficulty: task.difficulties });
    const heldIds = new Set(heldout.map((p) => p.id));
    for (const p of heldout) assert.equal(splitOf(task.name, canonicalOf(p)), 'heldout');
    for (const seed of [0, 1, 2, 3]) {
      for (const p of task.generate({ split: 'train', count: 300, seed, difficulty: task.difficulties })) {
        assert.equal(splitOf(task.name, canonicalOf(p)), 'train');
        assert.ok(!heldIds.has(p.id));
      }
    }
  }
});

test('arithmetic training problems never contain a held-out problem as a step', () => {
  const held = new Set(arithmeticTask.generate({ split: 'heldout', count: 1000, seed: 3, difficulty: 1 }).map((p) => String(p.meta.expression)));
  for (const p of arithmeticTask.generate({ split: 'train', count: 1500, seed: 4, difficulty: [2, 3] })) {
    for (const s of arithmeticSteps(p.meta.operands as number[], p.meta.ops as AddSub[])) {
      assert.ok(!held.has(`${s.a}${s.op}${s.b}`), `${p.meta.expression} spells out held-out ${s.a}${s.op}${s.b}`);
    }
  }
});

test('about HELDOUT_FRACTION of the problem space is held out', () => {
  let held = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) if (splitOf('arithmetic', `${10 + (i % 90)}+${10 + Math.floor(i / 90)}`) === 'heldout') held++;
  assert.ok(Math.abs(held / n - HELDOUT_FRACTION) < 0.025, `held-out share ${held / n}`);
});

test('problem ids are stable for a problem whatever the seed', () => {
  const a = arithmeticTask.generate({ split: 'heldout', count: 300, seed: 1, difficulty: 1 });
  const b = arithmeticTask.generate({ split: 'heldout', count: 300, seed: 2, difficulty: 1 });
  const byExpr = new Map(a.map((p) => [p.meta.expression, p.id]));
  let shared = 0;
  for (const p of b) {
    if (byExpr.has(p.meta.expression)) {
      shared++;
      assert.equal(byExpr.get(p.meta.expression), p.id);
    }
  }
  assert.ok(shared > 0, 'two seeds over a ~1.2k space overlap');
});
