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
  const r = await rollout(items, 3, encode, echo, new Rng(0), judges);
  assert.equal(r.rows.length, 6);
  assert.deepEqual(r.rows.map((x) => x.item.id), ['p0', 'p0', 'p0', 'p1', 'p1', 'p1']);
  assert.deepEqual(r.rows.map((x) => x.promptIds.length), [2, 2, 2, 1, 1, 1]);
  // prompt "ab" has length 2 (gold 1: wrong); prompt "c" has length 1 (gold 2: wrong) -> all 0
  assert.deepEqual(r.rows.map((x) => x.scores), Array(6).fill([0, null]));
  assert.deepEqual(r.rows.map((x) => x.extracted), ['2', '2', '2', '1', '1', '1']);
  assert.equal(r.rows[0].truncated, true);
  assert.equal(r.rows[0].reflections, 1);
  assert.equal(r.sampledTokens, 6);
});

test('rollout: a reward returning NaN is an error naming the reward', async () => {
  const bad: RewardFunction = { name: 'bad', description: '', score: () => NaN };
  const judges: Judges = { rewards: [bad], correct: makeCorrectness(null), reflections: () => 0 };
  await assert.rejects(rollout(items, 2, encode, echo, new Rng(0), judges), /reward "bad" returned NaN for problem p0/);
});

test('rollout: length-aware rewards see the token count and the limit (DAPO overlong penalty)', async () => {
  const seen: unknown[] = [];
  const spy: RewardFunction = { name: 'spy', description: '', score: (_c, e) => (seen.push([e.completion_tokens, e.max_completion_tokens]), 0) };
  const judges: Judges = { rewards: [spy], correct: makeCorrectness(null), reflections: () => 0 };
  await rollout(items.slice(0, 1), 2, encode, echo, new Rng(0), judges, 64);
  assert.deepEqual(seen, [[1, 64], [1, 64]]);
});
