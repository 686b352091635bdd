// The scorers: the verifier oracle, the Monte Carlo PRM (share of continuations reaching the
// answer, its rollout tokens kept apart), and the reward-model adapter over a structural double.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, TokenMeter } from '../../../src/eval/search/policy.js';
import { monteCarloScorer, verifierScorer } from '../../../src/eval/search/scorers.js';
import { rewardModelScorer, type RewardModelLike } from '../../../src/eval/search/reward-model-scorer.js';
import type { Tokenizer } from '../../../src/model/tokenizer.js';
import { cost, fakeJudge, problemP, ScriptedGenerator } from './fakes.js';

test('the verifier scores 1 for a right answer and 0 otherwise', async () => {
  assert.deepEqual(await verifierScorer(fakeJudge).score(problemP, ['A=1', 'A=2', 'no answer']), [1, 0, 0]);
});

test('the Monte Carlo PRM scores a prefix by the share of rollouts that reach the answer', async () => {
  const gen = new ScriptedGenerator({ 'Ps1\n': ['A=1', 'A=2', 'xA=1', 'A=1'], 'Ps1\ns2\n': ['A=2', 'A=2', 'A=2', 'A=1'] });
  const mc = monteCarloScorer(new Policy(gen, { temperature: 1, topP: 1, maxTokens: 50 }, 0), fakeJudge, { rollouts: 4 });
  const meter = new TokenMeter();
  const rows = await mc.scoreSteps(problemP, [['s1\n', 's2\n'], ['s1\n', 'A=1']], meter);
  // Row 0: prefix "s1\n" 3/4, prefix "s1\ns2\n" 1/4. Row 1 starts with "s1\n" again: its value is
  // remembered (the script is spent, so asking again would fail); a finished prefix is judged directly.
  assert.deepEqual(rows[0], [0.75, 0.25]);
  assert.equal(rows[1][1], 1, 'a finished prefix scores its own verdict');
  assert.equal(meter.generated, 0, 'rollouts are not generation budget');
  assert.ok(meter.scorer > 0);
  assert.equal(rows[1][0], 0.75);
  assert.equal(meter.scorer, [...['A=1', 'A=2', 'xA=1', 'A=1'], ...['A=2', 'A=2', 'A=2', 'A=1']].reduce((t, x) => t + cost(x), 0));
  const last = await monteCarloScorer(new Policy(new ScriptedGenerator({ 'Ps1\n': ['A=1', 'A=2'] }), { temperature: 1, topP: 1, maxTokens: 50 }, 0), fakeJudge, { rollouts: 2 }).scoreSteps(problemP, [['s1\n']], meter, { lastOnly: true });
  assert.deepEqual(last, [[0.5]]);
});

/** One id per character; enough of a Tokenizer for the adapter. */
const charTok = { encode: (t: string) => Int32Array.from([...t].map((c) => c.codePointAt(0)!)) } as unknown as Tokenizer;
const decode = (ids: Int32Array) => String.fromCodePoint(...ids);

test('a process reward model scores steps joined with its own separator; its outcome is the last step', async () => {
  const seen: string[] = [];
  const prm: RewardModelLike = {
    kind: 'process',
    tokenizer: charTok,
    stepSeparator: ' | ',
    scoreSequences: () => {
      throw new Error('a process model is asked for steps');
    },
    // One score per separator: the length of the step before it, over 10.
    scoreSteps: (seqs) =>
      seqs.map((ids) => {
        const text = decode(ids);
        seen.push(text);
        const parts = text.split(' | ').slice(0, -1);
        return Float32Array.from([...parts.map((p) => p.length / 10), text.endsWith(' | ') ? [] : [0.9]].flat());
      }),
  };
  const s = rewardModelScorer(prm, '\n');
  const rows = await s.scoreSteps(problemP, [['ab\n', 'abcd\n']]);
  assert.equal(seen[0], 'Pab | abcd | ');
  assert.deepEqual(rows[0].map((x) => Math.round(x * 10) / 10), [0.3, 0.4]);
  // The finished answer gets a separator so that its step is scored: "A=1" is 3 long.
  assert.deepEqual((await s.score(problemP, ['xy\nA=1'])).map((x) => Math.round(x * 10) / 10), [0.3]);
  assert.equal(seen[seen.length - 1], 'Pxy | A=1 | ');
  // Separators in the prompt are scored by the model but are not the candidate's steps.
  const framed = { ...problemP, prompt: 'Q | P' };
  const [row] = await s.scoreSteps(framed, [['ab\n', 'abcd\n']]);
  assert.deepEqual(row.map((x) => Math.round(x * 10) / 10), [0.3, 0.4]);
  assert.equal(s.name, 'rm-process');
});

test('an outcome reward model scores each step prefix as a sequence, or only the whole with lastOnly', async () => {
  const asked: string[] = [];
  const orm: RewardModelLike = {
    kind: 'outcome',
    tokenizer: charTok,
    stepSeparator: null,
    scoreSequences: (seqs) => Float32Array.from(seqs.map((ids) => (asked.push(decode(ids)), decode(ids).length))),
    scoreSteps: () => {
      throw new Error('not a process model');
    },
  };
  const s = rewardModelScorer(orm, '\n');
  assert.deepEqual(await s.scoreSteps(problemP, [['a\n', 'bc\n'], ['d']]), [[3, 6], [2]]);
  assert.deepEqual(asked, ['Pa\n', 'Pa\nbc\n', 'Pd']);
  assert.deepEqual(await s.scoreSteps(problemP, [['a\n', 'bc\n']], undefined, { lastOnly: true }), [[6]]);
  assert.deepEqual(await s.score(problemP, ['xyz']), [4]);
});
