import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rollout, makeCorrectness, type Judges, type Sampler } from '../../src/rl/rollout.js';
import { Rng } from '../../src/util/rng.js';
import type { RewardFunction } from '../../src/rewards/types.js';

const items = [{ id: 'p0', prompt: 'ab', example: { gold: '1' } }, { id: 'p1', prompt: 'c', example: { gold: '2' } }];
const encode = (p: string) => Int32Array.from(Array.from(p, (ch) => ch.charCodeAt(0)));
const echo: Sampler = async (prompts) => prompts.map((p, i) => ({ ids: Int32Array.from([i]), text: `<answer>${p.length}</answer> wait`, truncated: i === 0 }));

test('rollout: G rows per prompt in prompt order, every reward awaited, correctness and reflections', async () => {
  const slow: RewardFunction = { name: 'slow', description: '', score: async (c, e) => (c.includes(`>${e.gold}<`) ? 1 : 0) };
  const declines: RewardFunction = { name: 'declines', description: '', score: () => null };
  const judges: Judges = { rewards: [slow, declines], correct: makeCorrectness(slow), reflections: (t) => (t.match(/wait/g) ?? []).length };
  const r = await rollout({ items, groupSize: 3, encode, sampler: echo, rng: new Rng(0), judges, weights: [1, 1] });
  assert.equal(r.rows.length, 6);
  assert.deepEqual(r.rows.map((x) => x.item.id), ['p0', 'p0', 'p0', 'p1', 'p1', 'p1']);
  assert.deepEqual(r.rows.map((x) => x.promptIds.length), [2, 2, 2, 1, 1, 1]);
  // prompt "ab" has length 2 (gold 1: wrong); prompt "c" has length 1 (gold 2: wrong) -> all 0
  assert.deepEqual(r.rows.map((x) => x.scores), Array(6).fill([0, null]));
  assert.deepEqual(r.rows.map((x) => x.reward), Array(6).fill(0), 'the weighted total over the functions that scored');
  assert.deepEqual(r.rows.map((x) => x.extracted), ['2', '2', '2', '1', '1', '1']);
  assert.equal(r.rows[0].truncated, true);
  assert.equal(r.rows[0].reflections, 1);
  assert.equal(r.sampledTokens, 6);
});

test('rollout: a reward returning NaN is an error naming the reward', async () => {
  const bad: RewardFunction = { name: 'bad', description: '', score: () => NaN };
  const judges: Judges = { rewards: [bad], correct: makeCorrectness(null), reflections: () => 0 };
  await assert.rejects(rollout({ items, groupSize: 2, encode, sampler: echo, rng: new Rng(0), judges, weights: [1] }), /reward "bad" returned NaN for problem p0/);
});

test('rollout: length-aware rewards see the token count and the limit (DAPO overlong penalty)', async () => {
  const seen: unknown[] = [];
  const spy: RewardFunction = { name: 'spy', description: '', score: (_c, e) => (seen.push([e.completion_tokens, e.max_completion_tokens]), 0) };
  const judges: Judges = { rewards: [spy], correct: makeCorrectness(null), reflections: () => 0 };
  await rollout({ items: items.slice(0, 1), groupSize: 2, encode, sampler: echo, rng: new Rng(0), judges, weights: [1], maxCompletionTokens: 64 });
  assert.deepEqual(seen, [[1, 64], [1, 64]]);
});

test('rollout: when a reward is the verifier, each completion is verified once and its score is the correctness', async () => {
  let calls = 0;
  const verifier: RewardFunction = { name: 'toy_accuracy', description: '', score: (c, e) => (calls++, c.includes(`>${e.gold}<`) ? 1 : 0) };
  const fmt: RewardFunction = { name: 'fmt', description: '', score: () => 0.5 };
  const never = async (): Promise<never> => assert.fail('the separate correctness check must not run');
  const judges: Judges = { rewards: [fmt, verifier], correctnessReward: 1, correct: never, reflections: () => 0 };
  // Prompt "c" has length 1 and the echo answers 1: gold "1" makes the second group correct.
  const golds = [{ ...items[0], example: { gold: '9' } }, { ...items[1], example: { gold: '1' } }];
  const r = await rollout({ items: golds, groupSize: 2, encode, sampler: echo, rng: new Rng(0), judges, weights: [0.2, 1] });
  assert.equal(calls, 4, 'one verification per completion');
  assert.deepEqual(r.rows.map((x) => x.correct), [false, false, true, true]);
  assert.deepEqual(r.rows.map((x) => x.extracted), ['2', '2', '1', '1']);
  assert.deepEqual(r.rows.map((x) => x.reward), [0.1, 0.1, 1.1, 1.1]);
});
