// Reward functions and their composition: format (strict, lenient, tag count), language
// consistency, the overlong penalty, the reflection metric, the registry, and weighted sums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  strictFormat,
  lenientFormat,
  tagCount,
  languageConsistency,
  overlongPenalty,
  countReflections,
  getReward,
  registerReward,
  listRewards,
  combineRewards,
  createAccuracyReward,
} from '../../src/rewards/index.js';
import { AhaError } from '../../src/util/errors.js';

const GOOD = '<think>\nLet me add 2 and 2.\n</think>\n<answer>\n4\n</answer>';

test('strict format accepts exactly the template and nothing else', () => {
  assert.equal(strictFormat(GOOD), 1);
  assert.equal(strictFormat(GOOD + '\n'), 1);
  assert.equal(strictFormat('<think>x</think><answer>4</answer>'), 0, 'missing newlines');
  assert.equal(strictFormat('Sure! ' + GOOD), 0, 'text before the template');
  assert.equal(strictFormat(GOOD + ' trailing words'), 0, 'text after the template');
  assert.equal(strictFormat('<think>\na\n</think>\n<answer>\n\n</answer>'), 0, 'empty answer');
  assert.equal(strictFormat('<think>\na <think> b\n</think>\n<answer>\n4\n</answer>'), 0, 'nested tag');
  assert.equal(strictFormat('<answer>\n4\n</answer>\n<think>\na\n</think>'), 0, 'wrong order');
  // R1-Zero prompts end in "<think>": the completion starts inside the thinking block.
  assert.equal(strictFormat('\nLet me add.\n</think>\n<answer>\n4\n</answer>', { think_prefilled: true }), 1);
  assert.equal(strictFormat('\nLet me add.\n</think>\n<answer>\n4\n</answer>'), 0);
  // R1-Distill's template ends in "<think>\n": the prompt's tail, newline included, precedes the completion.
  assert.equal(strictFormat('Let me add.\n</think>\n<answer>\n4\n</answer>', { think_prefilled: '<think>\n' }), 1);
  assert.equal(strictFormat('Let me add.\n</think>\n<answer>\n4\n</answer>', { think_prefilled: true }), 0, 'a bare <think> needs the newline in the completion');
  assert.equal(strictFormat('Let me add.\n</think>\n<answer>\n4\n</answer>', { think_prefilled: 'Assistant: <think>\n' }), 0, 'a tail that is not an open think block is ignored');
});

test('lenient format wants a think block followed by a non-empty answer block', () => {
  assert.equal(lenientFormat('<think>x</think><answer>4</answer>'), 1);
  assert.equal(lenientFormat('Okay. <think>x</think>\n\n<answer> 4 </answer> done'), 1);
  assert.equal(lenientFormat('<think>x</think><answer>  </answer>'), 0);
  assert.equal(lenientFormat('<answer>4</answer><think>x</think>'), 0);
  assert.equal(lenientFormat('the answer is 4'), 0);
});

test('tag count gives 0.25 per tag used exactly once', () => {
  assert.equal(tagCount(GOOD), 1);
  assert.equal(tagCount('<think>only thinking'), 0.25);
  assert.equal(tagCount('<think>a</think><think>b</think><answer>4</answer>'), 0.5);
  assert.equal(tagCount('nothing'), 0);
});

test('language consistency is the share of target-language words in the chain of thought', () => {
  assert.equal(languageConsistency('Let us compute the sum of x and y'), 1);
  // Each CJK character counts as one word (no spaces between words there).
  assert.equal(languageConsistency('我们 compute 和'), 1 / 4);
  assert.equal(languageConsistency('我们计算', 'zh'), 1);
  assert.equal(languageConsistency('We compute 我们', 'zh'), 2 / 4);
  assert.equal(languageConsistency('$x^2 + y^2$ = 5'), null, 'math alone has no words');
  assert.throws(() => languageConsistency('hi', 'xx'), /unsupported language/);
  const r = getReward('language');
  assert.equal(r.score('<think>我们 think</think><answer>答案</answer>', {}), 1 / 3, 'only the thinking counts');
  assert.equal(r.score('<think>我们 think</think><answer>4</answer>', { target_language: 'zh' }), 2 / 3);
});

test('language consistency: code and math are neutral in any form (inline code, TeX math of every delimiter, an open code fence)', () => {
  // A Chinese chain of thought quoting code or TeX is still all Chinese.
  assert.equal(languageConsistency('我们计算面积 `area = width * height` 所以', 'zh'), 1);
  assert.equal(languageConsistency('我们计算 \\( \\text{area} = 5 \\) 所以', 'zh'), 1);
  assert.equal(languageConsistency('我们计算 \\[ \\text{total} \\] 所以', 'zh'), 1);
  assert.equal(languageConsistency('我们计算 $$\\text{area} = 5$$ 所以', 'zh'), 1);
  // A fence left open (the sample was cut, or never closed it) hides the rest as code.
  assert.equal(languageConsistency('Let me write it ```python\n# 注释 计算\nvalue = 1'), 1);
  // Prose around the code still counts.
  assert.equal(languageConsistency('We compute `sum` 我们'), 2 / 4);
});

test('overlong penalty follows DAPO: 0, then linear to -1 at L, then -1', () => {
  assert.equal(overlongPenalty(700, 1000, 200), 0);
  assert.equal(overlongPenalty(800, 1000, 200), 0);
  assert.equal(overlongPenalty(900, 1000, 200), -0.5);
  assert.equal(overlongPenalty(1000, 1000, 200), -1);
  assert.equal(overlongPenalty(1500, 1000, 200), -1);
  assert.throws(() => overlongPenalty(1, 100, 200), RangeError);
  const r = getReward('overlong');
  assert.equal(r.score('x', { completion_tokens: 900, max_completion_tokens: 1000, overlong_buffer: 200 }), -0.5);
  assert.equal(r.score('x', {}), null, 'declines without a token count');
});

test('the reflection counter counts self-checking words and is a metric, not a reward', () => {
  assert.equal(countReflections('Wait, let me verify. I made a mistake; recheck: double-check it.'), 5);
  assert.equal(countReflections('The waiter checked in.'), 0);
  assert.equal(getReward('reflection').metricOnly, true);
});

test('the registry names every built-in and explains unknown names', () => {
  const names = listRewards().map((r) => r.name);
  for (const n of ['accuracy', 'format', 'format_lenient', 'tag_count', 'code', 'language', 'overlong', 'reflection']) assert.ok(names.includes(n), n);
  assert.throws(() => getReward('acuracy'), (e: Error) => e instanceof AhaError && /unknown reward "acuracy".*accuracy/.test(e.message));
  registerReward({ name: 'test_constant', description: 'always 0.5', score: () => 0.5 });
  assert.equal(getReward('test_constant').score('', {}), 0.5);
  assert.throws(() => registerReward({ name: 'test_constant', description: '', score: () => 0 }), /already registered/);
});

test('accuracy reward scores math answers and declines without gold', async () => {
  const acc = getReward('accuracy');
  assert.equal(await acc.score('<think>..</think><answer>\\frac{1}{2}</answer>', { gold: '0.5' }), 1);
  assert.equal(await acc.score('<think>..</think><answer>2</answer>', { gold: '0.5' }), 0);
  assert.equal(await acc.score('I guess 0.5 or so, maybe', { gold: '0.5' }), 0, 'no last-number fallback by default in training');
  assert.equal(await acc.score('I guess it is 5', { gold: '5', last_number_fallback: true }), 1);
  assert.equal(await acc.score('\\boxed{1}', {}), null);
  const issues: string[] = [];
  const quiet = createAccuracyReward({ onIssue: (reason) => issues.push(reason) });
  assert.equal(await quiet.score('\\boxed{1000!}', { gold: '1' }), 0);
  assert.equal(await quiet.score('\\boxed{2}', { gold: '1' }), 0, 'a plain wrong answer is not an issue');
  assert.equal(issues.length, 1);
  assert.match(issues[0], /factorial/);
});

test('combineRewards sums weighted scores and skips functions that decline', async () => {
  const combined = combineRewards([
    { fn: getReward('accuracy'), weight: 1 },
    { fn: getReward('format'), weight: 0.5 },
    { fn: getReward('overlong'), weight: 1 },
  ]);
  const s = await combined.scoreDetailed(GOOD, { gold: '4' });
  assert.deepEqual(s, { total: 1.5, parts: { accuracy: 1, format: 1, overlong: null } });
  assert.equal(await combined.score('<answer>5</answer>', { gold: '4' }), 0);
  const none = combineRewards([{ fn: getReward('accuracy'), weight: 1 }]);
  assert.equal(await none.score('x', {}), null, 'a row every function declines has no reward');
  assert.throws(() => combineRewards([{ fn: getReward('format'), weight: NaN }]), RangeError);
});
