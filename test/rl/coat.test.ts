// Satori COAT: the program-written demonstrations, reading reflections back (fix, break, no
// change), the reflection bonus, restart states and the restart prompt source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { coatCompletion, coatDemos, COUNTDOWN_CANDIDATES } from '../../src/tasks/coat-demos.js';
import { countdownTask } from '../../src/tasks/countdown.js';
import { problemExample } from '../../src/tasks/rewards.js';
import { coatMetrics, reflectionBonus, reflectionTurns, restartItem, restartPrompts, restartStates, RESTART_PREFIX_FIELD } from '../../src/rl/coat.js';
import { taskPrompts } from '../../src/rl/prompts.js';
import type { RewardExample } from '../../src/rewards/types.js';
import { lenientFormat, strictFormat } from '../../src/rewards/format.js';
import { selfDemos, type SelfDemoSample } from '../../src/tasks/coat-critic.js';
import { candidates, type Candidate } from '../../src/tasks/countdown-corpus.js';

const example = (numbers: number[], target: number): RewardExample => ({ numbers, target, difficulty: 0, gold: String(target) });

test('demos: every kind ends right under the task verifier, uses its meta-action, and the kinds are mixed', () => {
  const demos = coatDemos({ count: 200, seed: 7 });
  const kinds = new Map<string, number>();
  for (const d of demos) {
    kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
    const problem = { id: 'x', prompt: d.prompt, gold: String(d.target), difficulty: 0, meta: { numbers: d.numbers, target: d.target } };
    assert.ok(countdownTask.verify(d.completion, problem).correct, d.completion);
    const want = { guess: '<|continue|>', slip: '<|reflect|>', verify: '<|reflect|>', explore: '<|explore|>' }[d.kind];
    assert.ok(d.completion.includes(want), `${d.kind}: ${d.completion}`);
  }
  assert.deepEqual([...kinds.keys()].sort(), ['explore', 'guess', 'slip', 'verify']);
  // Deterministic for a seed, different for another.
  assert.deepEqual(coatDemos({ count: 5, seed: 7 }).map((d) => d.completion), demos.slice(0, 5).map((d) => d.completion));
  assert.notDeepEqual(coatDemos({ count: 5, seed: 8 }).map((d) => d.completion), demos.slice(0, 5).map((d) => d.completion));
  assert.throws(() => coatDemos({ count: 3, seed: 1, mix: { reflct: 1 } as never }), /unknown kind "reflct"/);
  assert.throws(() => coatDemos({ count: 3, seed: 1, verdict: 'sideways' as never }), /verdict must be one of subtraction, side, digits, got "sideways"/);
  assert.throws(() => coatDemos({ count: 3, seed: 1, opening: 'trying' as never }), /opening must be one of restate, search, got "trying"/);
});

test('demos: the thinking opens with the puzzle restated, or with the corpus\'s "trying the signs:" before it; the opening is never read as a candidate', () => {
  for (const opening of ['restate', 'search'] as const) {
    const demos = coatDemos({ count: 60, seed: 5, opening });
    for (const d of demos) {
      const head = `<think>\n${opening === 'search' ? 'trying the signs: ' : ''}${d.target} from ${d.numbers.join(', ')}.\n`;
      assert.ok(d.completion.startsWith(head), `${opening}: ${d.completion}`);
      assert.equal(COUNTDOWN_CANDIDATES.candidate(head), null, head);
    }
    // The opening changes nothing after it: the same seed writes the same steps.
    const other = coatDemos({ count: 60, seed: 5, opening: opening === 'search' ? 'restate' : 'search' });
    assert.deepEqual(demos.map((d) => d.completion.slice(d.completion.indexOf('.\n'))), other.map((d) => d.completion.slice(d.completion.indexOf('.\n'))));
  }
});

for (const verdict of ['subtraction', 'side', 'digits'] as const) {
  test(`demos (${verdict} verdicts): a verdict follows from its sums, never from where it stands`, () => {
    const demos = coatDemos({ count: 600, seed: 3, verdict });
    // What follows each meta-action: how often the first verdict of its step is "right".
    const verdicts = new Map<string, { right: number; all: number }>();
    for (const d of demos) {
      for (const m of d.completion.matchAll(/(<\|\w+\|>)[^\n]*? against \d+, [^\n]*?(right|no)\.\n/g)) {
        const v = verdicts.get(m[1]) ?? { right: 0, all: 0 };
        v.all++;
        if (m[2] === 'right') v.right++;
        verdicts.set(m[1], v);
      }
      // Every judged line sets its total against the target and says "right" exactly when they are
      // equal; every sum is right except a slip's first line, the one its reflection redoes.
      const lines = d.completion.split('\n').filter((l) => /, (right|no)\.$/.test(l));
      assert.ok(lines.length >= 1, d.completion);
      lines.forEach((line, k) => {
        const m = /=(\d+)\. (\d+) against (\d+), (?:(.*), )?(right|no)\.$/.exec(line);
        assert.ok(m, `${verdict}: ${line}`);
        const [, last, total, target, working, said] = m;
        assert.ok(last === total && +target === d.target, line);
        assert.equal(said === 'right', +total === d.target, line);
        if (verdict === 'subtraction') {
          // The larger less the smaller, "right" exactly at 0.
          const [, hi, lo, diff] = /^(\d+)-(\d+)=(\d+)$/.exec(working)!.map(Number);
          assert.deepEqual([hi, lo].sort((x, y) => x - y), [+total, d.target].sort((x, y) => x - y), line);
          assert.ok(hi >= lo && hi - lo === diff, line);
        } else if (verdict === 'side') {
          assert.equal(working, undefined, line);
        } else {
          // Tens then units (0 for a one-digit number), up to the first pair that differs.
          const [v, t] = [total, target].map((x) => x.padStart(2, '0'));
          const want = v[0] !== t[0] ? `${v[0]} is not ${t[0]}` : `${v[0]} is ${t[0]}, ${v[1]} is ${v[1] === t[1] ? '' : 'not '}${t[1]}`;
          assert.equal(working, want, line);
        }
        const sumsRight = [...line.matchAll(/(\d+)([-+])(\d+)=(\d+)/g)].every(([, x, op, y, z]) => (op === '+' ? +x + +y : +x - +y) === +z);
        assert.equal(sumsRight, !(d.kind === 'slip' && k === 0), `${d.kind}: ${line}`);
      });
    }
    // After <|continue|> (a guess worked out) and after <|reflect|> (a re-check or the search) both
    // verdicts are common: neither can be learned from the meta-action before it.
    for (const meta of ['<|continue|>', '<|reflect|>']) {
      const v = verdicts.get(meta)!;
      assert.ok(v.right / v.all > 0.3 && v.right / v.all < 0.7, `${meta}: ${v.right} right of ${v.all}`);
    }
  });
}

test('reflection turns: a slip demo\'s reflection fixes its wrong answer; a reflect that swaps a right answer for a wrong one breaks it', () => {
  const ex = example([12, 3, 5], 10);
  const judge = COUNTDOWN_CANDIDATES.judge(ex)!;
  const fixText = coatCompletion('slip', [12, 3, 5], 10, new Rng(1))!;
  const [fix] = reflectionTurns(fixText, COUNTDOWN_CANDIDATES, judge);
  assert.deepEqual({ changed: fix.changed, fixed: fix.fixed, broke: fix.broke, after: fix.after }, { changed: true, fixed: true, broke: false, after: '12+3-5' });
  const breakText = '<think>\n12+3-5 makes it.\n<|reflect|>12+3+5: 12+3=15, 15+5=20. 20 against 10, right.\n</think>\n<answer>\n12+3+5\n</answer>';
  const [br] = reflectionTurns(breakText, COUNTDOWN_CANDIDATES, judge);
  assert.equal(br.broke, true);
  const sameText = '<think>\n12+3-5 makes it.\n<|reflect|>12+3-5: 12+3=15, 15-5=10. 10 against 10, right.\n</think>';
  assert.equal(reflectionTurns(sameText, COUNTDOWN_CANDIDATES, judge)[0].changed, false);

  const bonus = reflectionBonus({ beta: 0.5, reader: COUNTDOWN_CANDIDATES });
  assert.equal(bonus.score(fixText, ex), 0.5);
  assert.equal(bonus.score(breakText, ex), -0.5);
  assert.equal(bonus.score(sameText, ex), 0);
  assert.equal(bonus.score(fixText, { gold: '10' }), null);
  // A restart's appended <|reflect|> counts: the completion writes its step.
  const restarted = { ...ex, [RESTART_PREFIX_FIELD]: '<think>\n12+3+5 makes it.\n<|reflect|>' };
  assert.equal(bonus.score('12+3+5: 12+3=15, 15+5=20. 20 against 10, no.\n12+3-5: 12+3=15, 15-5=10. 10 against 10, right.\n</think>\n<answer>\n12+3-5\n</answer>', restarted), 0.5);
  // Reflections in the prefix that the policy did not write do not count.
  assert.equal(bonus.score('</think>\n<answer>\n12+3-5\n</answer>', { ...ex, [RESTART_PREFIX_FIELD]: fixText.slice(0, fixText.indexOf('</think>')) }), 0);

  const m = coatMetrics([{ text: fixText, example: ex, correct: true }, { text: breakText, example: ex, correct: false }, { text: sameText, example: ex, correct: true }], COUNTDOWN_CANDIDATES);
  assert.equal(m.reflect_per_answer, 1);
  assert.equal(m.reflect_changed, 2);
  assert.equal(m.reflect_fix_rate, 0.5);
  assert.ok(Math.abs(m.accuracy - 2 / 3) < 1e-12);
});

test('restart states cut a trajectory at step boundaries (last ≤ 2 steps dropped) and append <|reflect|>; the source mixes them in deterministically', () => {
  const text = coatCompletion('explore', [12, 3, 5], 4, new Rng(1)) ?? '';
  assert.ok(text.includes('<|explore|>'), text);
  const item = { id: 'p', prompt: 'User: q\nAssistant: ', example: example([12, 3, 5], 4) };
  const states = restartStates({ item, completion: text, correct: false });
  assert.ok(states.length >= 2);
  for (const s of states) {
    assert.ok(s.prefix.startsWith('<think>\n') && s.prefix.endsWith('<|reflect|>') && !s.prefix.includes('</think>'));
    assert.equal(s.fromCorrect, false);
  }
  assert.deepEqual(restartStates({ item, completion: 'no thinking', correct: true }), []);
  // Cut off before closing its thinking: still a (failed) trajectory to restart from.
  assert.ok(restartStates({ item, completion: text.slice(0, text.indexOf('</think>')), correct: false }).length >= 2);

  const right = restartStates({ item, completion: coatCompletion('verify', [12, 3, 5], 4, new Rng(2))!, correct: true });
  const all = [...states, ...right];
  const base = () => taskPrompts(countdownTask, 3, [0]);
  const src = restartPrompts(base(), all, { share: 0.5, seed: 9 });
  const drawn = Array.from({ length: 40 }, () => src.next());
  const restarted = drawn.filter((d) => d.id.endsWith('#restart'));
  assert.ok(restarted.length > 5 && restarted.length < 35);
  assert.ok(restarted.some((d) => d.example.coat_restart_from === 'wrong') && restarted.some((d) => d.example.coat_restart_from === 'correct'));
  for (const d of restarted) assert.equal(d.prompt, item.prompt + String(d.example[RESTART_PREFIX_FIELD]));
  // The prefix opened the thinking block: a restart completion that closes it and answers passes the
  // format reward (it could not, with "<think>" in the prompt, before restart examples were think_prefilled).
  const done = '12-3-5: 12-3=9, 9-5=4. 4 against 4, right.\n</think>\n<answer>\n12-3-5\n</answer>';
  assert.equal(lenientFormat(done, restarted[0].example), 1);
  assert.equal(lenientFormat(done, item.example), 0);
  // Seeking back replays the same stream.
  const again = restartPrompts(base(), all, { share: 0.5, seed: 9 });
  again.seek({ epoch: 0, index: 20 });
  assert.deepEqual(Array.from({ length: 20 }, () => again.next().prompt), drawn.slice(20).map((d) => d.prompt));
  assert.throws(() => restartPrompts(base(), all, { share: 1, seed: 1 }), /restart_share/);
  void problemExample;
});

test('self demos (the critic on model-like samples): a verdict follows from its sums, never from where it stands; the only wrong line is the one reflected on', () => {
  // Samples in the bundled model's two shapes on training puzzles: mostly bare guesses (a sign
  // pattern at random), some searches, a share of whose lines carry one of its faults.
  const rng = new Rng(11);
  const samples: SelfDemoSample[] = [];
  for (const d of coatDemos({ count: 400, seed: 12 })) {
    const all = candidates(d.numbers);
    const line = (c: Candidate, fault: number) => {
      const said = (c.value === d.target) !== (fault === 1) ? 'right' : 'no';
      const work = fault === 2 ? c.work.replace(/=(\d+)$/, (_, v) => `=${Number(v) + 1}`) : c.work;
      return `${c.text}: ${work}. ${fault === 2 ? c.value + 1 : c.value} against ${d.target}, ${said}.\n`;
    };
    for (let s = 0; s < 3; s++) {
      let completion: string;
      if (rng.next() < 0.8) {
        const g = rng.pick(all);
        completion = `<think>\n${g.text} makes it.\n</think>\n<answer>\n${g.text}\n</answer>`;
      } else {
        let text = `<think>\ntrying the signs: ${d.target} from ${d.numbers.join(', ')}.\n`;
        let answer = all[0].text;
        for (const c of all) {
          const fault = rng.next() < 0.2 ? 1 + rng.int(2) : 0;
          text += line(c, fault);
          answer = c.text;
          if ((c.value === d.target) !== (fault === 1)) break;
          text += 'wait, let me try another.\n';
        }
        completion = `${text.replace(/wait, let me try another.\n$/, '')}</think>\n<answer>\n${answer}\n</answer>`;
      }
      samples.push({ prompt: d.prompt, numbers: d.numbers, target: d.target, completion });
    }
  }
  const { demos, report } = selfDemos(samples, 5);
  assert.equal(report.unparsed, 0);
  assert.ok(report.errors.miss_judged_right > 0 && report.errors.hit_judged_wrong > 0 && report.errors.sum_wrong > 0, JSON.stringify(report));
  const verdicts = new Map<string, { right: number; all: number }>();
  for (const d of demos) {
    const problem = { id: 'x', prompt: d.prompt, gold: String(d.target), difficulty: 0, meta: { numbers: d.numbers, target: d.target } };
    assert.ok(countdownTask.verify(d.completion, problem).correct, d.completion);
    for (const m of d.completion.matchAll(/(<\|\w+\|>)[^\n]*? against \d+, (right|no)\.\n/g)) {
      const v = verdicts.get(m[1]) ?? { right: 0, all: 0 };
      v.all++;
      if (m[2] === 'right') v.right++;
      verdicts.set(m[1], v);
    }
    // Every judged line is the corpus's line for its candidate, except the wrong one a <|reflect|> follows.
    const lines = d.completion.split('\n');
    lines.forEach((l, k) => {
      const m = /^(?:<\|\w+\|>)?(\d+(?:[-+]\d+)+): (.*)\. (\d+) against (\d+), (right|no)\.$/.exec(l);
      if (!m) return;
      const c = candidates(d.numbers).find((x) => x.text === m[1]);
      const honest = c !== undefined && l.endsWith(`${c.text}: ${c.work}. ${c.value} against ${d.target}, ${c.value === d.target ? 'right' : 'no'}.`);
      // (A confirming re-check follows a right line.)
      assert.equal(honest, !(lines[k + 1] ?? '').startsWith('<|reflect|>') || d.confirmed, `${l}\n${d.completion}`);
    });
  }
  for (const meta of ['<|continue|>', '<|reflect|>']) {
    const v = verdicts.get(meta)!;
    assert.ok(v.right / v.all > 0.3 && v.right / v.all < 0.7, `${meta}: ${v.right} right of ${v.all}`);
  }
});

test('a prompt that opened the think block itself (R1-Distill\'s template): restart states cut inside the thinking, and restart rows keep the prompt\'s mark', () => {
  const item = { id: 'p', prompt: '<｜User｜>Q<｜Assistant｜><think>\n', example: { gold: '7', think_prefilled: '<think>\n' } };
  const completion = '3+4=8.<|reflect|>3+4=7.\n</think>\n<answer>\n7\n</answer>';
  const states = restartStates({ item, completion, correct: true }, 2);
  // As a completion that opens the block: t = 0 keeps all the thinking (not the answer).
  assert.deepEqual(states.map((st) => st.prefix), ['3+4=8.<|reflect|>', '3+4=8.<|reflect|>3+4=7.\n<|reflect|>']);
  for (const st of states) {
    const row = restartItem(st);
    assert.equal(row.example.think_prefilled, '<think>\n');
    assert.equal(strictFormat('so 7.\n</think>\n<answer>\n7\n</answer>', row.example), 1, 'the format reward reads the row as the model wrote it');
  }
  // A completion that opens the block itself still marks its restart rows.
  const own = restartStates({ item: { id: 'q', prompt: 'Q: ', example: { gold: '7' } }, completion: '<think>\n3+4=8.<|reflect|>3+4=7.\n</think> 7', correct: true }, 2);
  assert.ok(own.length > 0 && own.every((st) => restartItem(st).example.think_prefilled === true));
});
