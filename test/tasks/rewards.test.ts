import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problemExample, taskAccuracy } from '../../src/tasks/rewards.js';
import { getReward } from '../../src/rewards/registry.js';
import { arithmeticTask } from '../../src/tasks/arithmetic.js';
import { countdownTask } from '../../src/tasks/countdown.js';

const answer = (a: string) => `<think>\nx\n</think>\n<answer>\n${a}\n</answer>`;

test('task accuracy rewards are registered and score 1 / 0 through the reward registry', async () => {
  const [a] = arithmeticTask.generate({ split: 'heldout', count: 1, seed: 1, difficulty: 2 });
  const [c] = countdownTask.generate({ split: 'heldout', count: 1, seed: 1, difficulty: 3 });
  const ex = problemExample(a);
  const cx = problemExample(c);
  assert.equal(await getReward('arithmetic_accuracy').score(answer(a.gold), ex), 1);
  assert.equal(await getReward('arithmetic_accuracy').score(answer(a.gold + '0'), ex), 0);
  assert.equal(await getReward('countdown_accuracy').score(answer(String(c.meta.solution)), cx), 1);
  assert.equal(await getReward('countdown_accuracy').score(answer(c.gold), cx), 0, 'the bare target is not an expression of the numbers');
  assert.equal(await getReward('task_accuracy').score(answer(a.gold), ex), 1);
  assert.equal(await getReward('task_accuracy').score(answer(String(c.meta.solution)), cx), 1);
  // The example survives a JSON round trip (reward server, data files).
  assert.equal(await taskAccuracy.score(answer(String(c.meta.solution)), JSON.parse(JSON.stringify(cx))), 1);
});

test('task accuracy declines examples it cannot judge', async () => {
  assert.equal(await taskAccuracy.score(answer('3'), { gold: '3' }), null, 'no task field');
  assert.equal(await taskAccuracy.score(answer('3'), { gold: '3', task: 'chess' }), null, 'unknown task');
  assert.equal(await getReward('countdown_accuracy').score(answer('3'), { gold: '3' }), null, 'no numbers/target');
  assert.equal(await getReward('arithmetic_accuracy').score(answer('3'), {}), null, 'no gold');
});
