// The scorers: the verifier oracle, the Monte Carlo PRM (share of continuations reaching the
// answer, its rollout tokens kept apart), and the reward-model adapter over a structural double.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Policy, TokenMeter } from '../../../src/eval/search/policy.js';
import { monteCarloScorer, verifierScorer } from '../../../src/eval/search/scorers.js';
import { rewardModelScorer, type RewardModelLike } from '../../../src/eval/search/reward-model-scorer.js';
import { rewardInput, stepInput } from '../../../src/model/reward-model.js';
import type { Tokenizer } from '../../../src/model/tokenizer.js';
import { cost, fakeJudge, problemP, ScriptedGenerator } from './fakes.js';
import { pickWeighted } from '../../../src/eval/search/select.js';

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

/**
 * A tokenizer that merges "\n\n" into one token (id 1000) and starts an encoding with BOS (id 1)
 * unless told not to: joint and separate encodings differ, as with a real BPE.
 */
const mergeTok = {
  encode: (t: string, o?: { addSpecialTokens?: boolean }) => {
    const ids: number[] = o?.addSpecialTokens === false ? [] : [1];
    for (let i = 0; i < t.length; i++) {
      if (t.startsWith('\n\n', i)) {
        ids.push(1000);
        i++;
      } else ids.push(t.codePointAt(i)!);
    }
    return Int32Array.from(ids);
  },
} as unknown as Tokenizer;
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const decode = (ids: Int32Array) => [...ids].map((id) => (id === 1 ? '<s>' : id === 1000 ? '\n\n' : String.fromCodePoint(id))).join('');

/** A scripted reward model: records what it is asked and scores each position by the position itself. */
function scripted(kind: 'process' | 'outcome', sep: string | null) {
  const asked: { text: string; positions: number[] }[] = [];
  const rm: RewardModelLike = {
    kind,
    tokenizer: mergeTok,
    stepSeparator: sep,
    stepSeparatorId: sep === null ? null : mergeTok.encode(sep, { addSpecialTokens: false })[0],
    lastPosition: (seq) => seq.length - 1,
    scoreAt: (seqs, positions) =>
      seqs.map((ids, i) => {
        asked.push({ text: decode(ids), positions: [...positions[i]] });
        return Float32Array.from(positions[i]);
      }),
  };
  return { rm, asked };
}

test('a process reward model reads the candidate steps with the separator as its own token, as training does', async () => {
  const { rm, asked } = scripted('process', '|');
  const s = rewardModelScorer(rm, '\n');
  // The prompt holds separators of its own (and "\n\n", one token): they are never score positions.
  const framed = { ...problemP, prompt: 'Q|\n\nP' };
  const rows = await s.scoreSteps(framed, [['ab\n', 'abcd\n']]);
  const expected = stepInput(mergeTok, '|', '|'.codePointAt(0)!, framed.prompt, ['ab', 'abcd']);
  assert.equal(asked[0].text, '<s>Q|\n\nPab|abcd|');
  assert.deepEqual(asked[0].positions, expected.positions);
  assert.deepEqual(rows[0], expected.positions.map(sig));
  // The finished answer gets a separator so that its step is scored; the outcome is the last step's.
  const [last] = await s.score(framed, ['xy\nA=1']);
  assert.equal(asked[1].text, '<s>Q|\n\nPxy|A=1|');
  assert.equal(last, sig(asked[1].positions[1]));
  assert.equal(s.name, 'rm-process');
});

test('a process reward model with the task separator "\\n" skips the prompt by token position, not by counting "\\n" in its text', async () => {
  const { rm, asked } = scripted('process', '\n');
  const s = rewardModelScorer(rm, '\n');
  // "\n\n" in the prompt is one token: two "\n" in the text, no separator token.
  const [row] = await s.scoreSteps({ ...problemP, prompt: 'Q\n\nP' }, [['ab\n', 'abcd\n']]);
  assert.equal(row.length, 2, 'both candidate steps are scored');
  assert.deepEqual(asked[0].positions, [6, 11]);
});

test('an outcome reward model encodes prompt and completion apart and reads the last token', async () => {
  const { rm, asked } = scripted('outcome', null);
  const s = rewardModelScorer(rm, '\n');
  // The prompt ends with "\n" and the completion starts with one: encoded together they would merge.
  const prompt = { ...problemP, prompt: 'P\n' };
  assert.deepEqual(await s.scoreSteps(prompt, [['\na\n', 'bc\n'], ['d']]), [[sig(5), sig(8)], [sig(3)]]);
  assert.deepEqual(asked.map((a) => a.text), ['<s>P\n\na\n', '<s>P\n\na\nbc\n', '<s>P\nd']);
  assert.deepEqual(asked[0].positions, [rewardInput(mergeTok, 'P\n', '\na\n').length - 1]);
  assert.deepEqual(await s.scoreSteps(prompt, [['\na\n', 'bc\n']], undefined, { lastOnly: true }), [[sig(8)]]);
  assert.deepEqual(await s.score(prompt, ['xyz']), [sig(5)]);
});

test('reward-model scores are probabilities σ(s), so a weighted vote sums probabilities: raw negative logits would let one sample outvote two', async () => {
  const raw: Record<string, number> = { 'A=1': -1, 'A=2': -0.5 };
  const rm: RewardModelLike = {
    kind: 'outcome', tokenizer: mergeTok, stepSeparator: null, stepSeparatorId: null,
    lastPosition: (seq) => seq.length - 1,
    scoreAt: (seqs) => seqs.map((ids) => Float32Array.of(raw[decode(ids).slice('<s>P'.length)])),
  };
  const completions = ['A=1', 'A=1', 'A=2'];
  const scores = await rewardModelScorer(rm, '\n').score(problemP, completions);
  assert.deepEqual(scores, [sig(-1), sig(-1), sig(-0.5)]);
  // 2 σ(−1) = 0.54 > σ(−0.5) = 0.38: the answer two samples state wins.
  assert.deepEqual(pickWeighted(completions.map((c) => fakeJudge.judge(problemP, c)), scores), { index: 0, answer: '1', correct: true });
});
