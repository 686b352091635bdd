// SCoRe's machinery on tiny settings: attempt-2 rows (y1 and the instruction are context, never
// loss), the per-row KL, the shaped reward worked by hand, the paper's metrics on a hand-made
// table, the options' errors, and two steps of the loop on a tiny transformer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransformer } from '../../src/model/transformer.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { sample } from '../../src/model/sampling.js';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { DEFAULT_CONFIG, readConfigFile, validateConfig, type GrpoConfig } from '../../src/rl/config.js';
import { grpoLoss, type MicroBatch } from '../../src/rl/loss.js';
import { batchMask, packRows } from '../../src/rl/packing.js';
import { filePrompts } from '../../src/rl/prompts.js';
import { makeCorrectness, type Judges, type Sampler, type ScoredRow } from '../../src/rl/rollout.js';
import {
  assertInstructionEncodable, correctionPairs, editDistance, SCORE_INSTRUCTION, firstAnswerOnly, firstOutcomeAdvantages, needsReference, reattemptCounts, reattemptPairs, scoreRewards, scoreRowBeta, scoreStep, secondAttemptPrompt, selfCorrectionMetrics, stageAt, twoAttemptRollout, SCORE_DEFAULTS,
} from '../../src/rl/self-correction.js';
import { runGrpo } from '../../src/rl/trainer.js';
import { batchRewards, computeAdvantages } from '../../src/rl/advantages.js';
import { Rng } from '../../src/util/rng.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { packageRoot } from '../../src/util/paths.js';
import type { RewardFunction } from '../../src/rewards/types.js';
import { scratchDir } from '../scratch-dir.js';
import { writeFileSync } from 'node:fs';

const encode = (p: string) => Int32Array.from(Array.from(p, (ch) => ch.charCodeAt(0)));
const exact: RewardFunction = { name: 'exact', description: '', score: (c, e) => (c.trim() === e.gold ? 1 : 0) };
const judges: Judges = { rewards: [exact], correctnessReward: 0, correct: makeCorrectness(exact), reflections: () => 0 };

test('two attempts: attempt 2 reads prompt + y1 + instruction; its row trains on y2 only', async () => {
  const calls: string[][] = [];
  // Attempt 1 answers "1", attempt 2 answers "2" (each prompt is recorded as text).
  const sampler: Sampler = async (prompts) => {
    calls.push(prompts.map((p) => String.fromCharCode(...p)));
    const answer = calls.length === 1 ? '1' : '2';
    return prompts.map(() => ({ ids: encode(answer), text: answer, truncated: false }));
  };
  const items = [{ id: 'q', prompt: 'Q:', example: { gold: '2' } }];
  const t = await twoAttemptRollout({ items, groupSize: 2, encode, sampler, rng: new Rng(0), judges, weights: [1], maxCompletionTokens: 3, secondPrompt: secondAttemptPrompt('|fix|'), contextLength: 16 });
  assert.deepEqual(calls, [['Q:', 'Q:'], ['Q:1|fix|', 'Q:1|fix|']]);
  assert.deepEqual(t.first.map((r) => r.correct), [false, false]);
  assert.deepEqual(t.second.map((r) => r.correct), [true, true]);
  const row = t.second[0];
  assert.equal(String.fromCharCode(...row.promptIds), 'Q:1|fix|');
  assert.equal(String.fromCharCode(...row.completionIds), '2');
  // In the packed batch only y2's token is in the loss, not y1's or the instruction's.
  const batch = packRows([t.first[0], row], 0);
  const mask = batchMask(batch, false);
  const inLoss = (b: number) => Array.from(mask.subarray(b * batch.S, (b + 1) * batch.S)).flatMap((m, p) => (m ? [batch.targets[b * batch.S + p]] : []));
  assert.deepEqual(inLoss(0).map((c) => String.fromCharCode(c)), ['1']);
  assert.deepEqual(inLoss(1).map((c) => String.fromCharCode(c)), ['2']);
});

test('two attempts: an attempt-2 prompt that leaves no room for the answer is an error naming the limit', async () => {
  const sampler: Sampler = async (prompts) => prompts.map(() => ({ ids: encode('12345'), text: '12345', truncated: false }));
  const items = [{ id: 'q', prompt: 'Q:', example: { gold: '2' } }];
  await assert.rejects(
    twoAttemptRollout({ items, groupSize: 2, encode, sampler, rng: new Rng(0), judges, weights: [1], maxCompletionTokens: 5, secondPrompt: secondAttemptPrompt('|fix|'), contextLength: 16 }),
    /attempt-2 prompt .* of 12 tokens plus max_completion_length 5 exceeds the model's context of 16/,
  );
});

function row(correct: boolean, reward: number | null, text = ''): ScoredRow {
  return { item: { id: 'q', prompt: '', example: {} }, promptIds: Int32Array.of(1), completionIds: Int32Array.of(2), truncated: false, text, scores: [reward], reward, correct, extracted: null, reflections: 0 };
}

test('shaped reward by hand: Stage I trains y2 alone, Stage II adds alpha(r2 - r1) to y2', () => {
  // (y1, y2): wrong->right, right->wrong, right->right, wrong->wrong; format bonus 0.2 on every row.
  const first = [row(false, 0.2), row(true, 1.2), row(true, 1.2), row(false, 0.2)];
  const second = [row(true, 1.2), row(false, 0.2), row(true, 1.2), row(false, 0.2)];
  const one = scoreRewards(first, second, 1, 10);
  assert.deepEqual(one.first, [null, null, null, null]);
  assert.deepEqual(one.second, [1.2, 0.2, 1.2, 0.2]);
  const two = scoreRewards(first, second, 2, 10);
  assert.deepEqual(two.first, [0.2, 1.2, 1.2, 0.2]);
  assert.deepEqual(two.second, [1.2 + 10, 0.2 - 10, 1.2, 0.2]);
  assert.deepEqual(Array.from(scoreRowBeta(2, 1, 0.01, 0.1)), [0.1, 0.1, 0.01, 0.01]);
  assert.deepEqual(Array.from(scoreRowBeta(2, 2, 0.01, 0.1)), [0.01, 0.01, 0.01, 0.01]);
});

test('per-row KL: each row gets its own beta; a beta-0 row has exactly the no-KL gradient', () => {
  const logp = Float32Array.from([-1, -2, -0.5, -0.3]);
  const refLogp = Float32Array.from([-1.5, -1, -0.2, -0.9]);
  const mb = (extra: Partial<MicroBatch>): MicroBatch => ({ B: 2, T: 2, logp, oldLogp: logp.slice(), refLogp, advantages: [0, 1], mask: Uint8Array.of(1, 1, 1, 1), ...extra });
  const norm = { lossType: 'grpo' as const, totalSequences: 2, totalTokens: 4, microBatches: 1, maxCompletionLength: 2 };
  const opts = { epsilon: 0.2, epsilonHigh: 0.2, beta: 0 };
  const perRow = grpoLoss(mb({ rowBeta: [0.5, 0] }), opts, norm);
  const allHalf = grpoLoss(mb({}), { ...opts, beta: 0.5 }, norm);
  const noKl = grpoLoss(mb({ refLogp: null }), opts, norm);
  // Row 0 (advantage 0): only its KL term, as with beta 0.5 everywhere; row 1: as with no KL at all.
  assert.deepEqual(Array.from(perRow.grad.subarray(0, 2)), Array.from(allHalf.grad.subarray(0, 2)));
  assert.deepEqual(Array.from(perRow.grad.subarray(2, 4)), Array.from(noKl.grad.subarray(2, 4)));
  assert.ok(perRow.grad[0] !== 0, 'the KL term moves an attempt-1 row with no reward');
  // The kl metric is over the rows with a KL term only, whatever else shares the chunk.
  const rowZero = grpoLoss({ ...mb({}), B: 1, logp: logp.slice(0, 2), oldLogp: logp.slice(0, 2), refLogp: refLogp.slice(0, 2), advantages: [0], mask: Uint8Array.of(1, 1) }, { ...opts, beta: 0.5 }, norm);
  assert.equal(perRow.klTokens, 2);
  assert.equal(perRow.klSum, rowZero.klSum);
  assert.equal(allHalf.klTokens, 4);
  // Reference log-probs with beta 0 everywhere: measured (REINFORCE++'s KL in the reward), no loss term.
  const measured = grpoLoss(mb({}), opts, norm);
  assert.equal(measured.klSum, allHalf.klSum);
  assert.deepEqual(Array.from(measured.grad), Array.from(noKl.grad));
  assert.throws(() => grpoLoss(mb({ rowBeta: [0.5] }), opts, norm), /1 row betas for 2 rows/);
  assert.throws(() => grpoLoss(mb({ rowBeta: [0.5, 0], refLogp: null }), opts, norm), /needs reference log-probs/);
});

test('the paper metrics on a hand-made table of 5 problems', () => {
  const m = selfCorrectionMetrics([
    { first: false, second: true, firstText: 'a', secondText: 'b' }, // i -> c
    { first: true, second: true, firstText: 'same', secondText: 'same' }, // c -> c, copied
    { first: true, second: false, firstText: 'ab', secondText: 'ac' }, // c -> i
    { first: false, second: false, firstText: 'x', secondText: 'y' },
    { first: false, second: true, firstText: 'abcd', secondText: 'abce' }, // i -> c
  ]);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);
  close(m.acc_t1, 2 / 5);
  close(m.acc_t2, 3 / 5);
  close(m.delta_t1_t2, 1 / 5);
  close(m.delta_i2c, 2 / 5);
  close(m.delta_c2i, 1 / 5);
  close(m.delta_i2c - m.delta_c2i, m.delta_t1_t2);
  close(m.same_answer_frac, 1 / 5);
  close(m.edit_distance, (1 + 0 + 0.5 + 1 + 0.25) / 5);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('stages: both = Stage I for score_stage_one_steps (default half), then Stage II', () => {
  const o = { score_stage: 'both' as const, score_stage_one_steps: null };
  assert.deepEqual([0, 4, 5, 9].map((s) => stageAt(s, o, 10)), [1, 1, 2, 2]);
  assert.deepEqual([0, 1, 2].map((s) => stageAt(s, { ...o, score_stage_one_steps: 1 }, 10)), [1, 2, 2]);
  assert.equal(stageAt(0, { score_stage: 2, score_stage_one_steps: null }, 10), 2);
});

const base: GrpoConfig = { ...DEFAULT_CONFIG, task: 'countdown' };

test('options: SCoRe keys without self_correction, conflicts and bad values are errors naming the field', () => {
  assert.throws(() => validateConfig({ ...base, score_alpha: 5 }), /score_alpha: is a SCoRe option: set self_correction: score/);
  assert.throws(() => validateConfig({ ...base, self_correction: 'satori' as never }), /self_correction: unknown value "satori"/);
  const score = { ...base, self_correction: 'score' as const };
  assert.equal(validateConfig({ ...score, score_stage: '2' as never }).score_stage, 2);
  assert.throws(() => validateConfig({ ...score, score_stage: 3 as never }), /score_stage: must be 1, 2 or both/);
  assert.throws(() => validateConfig({ ...score, score_stage: 1, score_stage_one_steps: 3 }), /score_stage_one_steps: .* conflicts with score_stage 1/);
  assert.throws(() => validateConfig({ ...score, score_stage_one_steps: 500 }), /score_stage_one_steps: must be an integer from 0 to max_steps \(100\)/);
  assert.throws(() => validateConfig({ ...score, score_alpha: -1 }), /score_alpha: must be a number >= 0/);
  assert.throws(() => validateConfig({ ...score, score_instruction: ' ' }), /score_instruction: must be a non-empty string/);
  assert.throws(() => validateConfig({ ...score, dynamic_sampling: true }), /dynamic_sampling: conflicts with self_correction score/);
  // The reference model is loaded for Stage I's KL on attempt 1 even at beta 0, not for Stage II alone.
  assert.equal(needsReference(validateConfig(score)), true);
  assert.equal(needsReference(validateConfig({ ...score, score_stage: 2 })), false);
  const dir = scratchDir('aha-score-cfg-');
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'self_correction: score\nscore_stage: 1\nscore_beta_first: 0.25\nscore_instruction: "\\nUser: again.\\nAssistant: "\n');
  assert.deepEqual(readConfigFile(file), { self_correction: 'score', score_stage: 1, score_beta_first: 0.25, score_instruction: '\nUser: again.\nAssistant: ' });
  writeFileSync(file, 'score_alfa: 3\n');
  assert.throws(() => readConfigFile(file), /score_alfa/);
});

test('warm-up options: checked before any work, each error naming its field', () => {
  const score = { ...base, self_correction: 'score' as const };
  assert.throws(() => validateConfig({ ...base, score_warmup_prompts: 64 }), /score_warmup_prompts: is a SCoRe option: set self_correction: score/);
  assert.equal(validateConfig({ ...score, score_warmup_prompts: 64, score_warmup_epochs: 2 }).score_warmup_epochs, 2);
  assert.throws(() => validateConfig({ ...score, score_warmup_prompts: -1 }), /score_warmup_prompts: must be an integer >= 0 \(0 = no warm-up\), got -1/);
  assert.throws(() => validateConfig({ ...score, score_warmup_prompts: 2.5 }), /score_warmup_prompts: must be an integer >= 0/);
  assert.throws(() => validateConfig({ ...score, score_warmup_epochs: 2 }), /score_warmup_epochs: sets the warm-up, which is off: set score_warmup_prompts > 0/);
  assert.throws(() => validateConfig({ ...score, score_warmup_learning_rate: 1e-3 }), /score_warmup_learning_rate: sets the warm-up, which is off/);
  const on = { ...score, score_warmup_prompts: 8 };
  assert.throws(() => validateConfig({ ...on, score_warmup_epochs: 0 }), /score_warmup_epochs: must be an integer >= 1, got 0/);
  assert.throws(() => validateConfig({ ...on, score_warmup_learning_rate: 0 }), /score_warmup_learning_rate: must be a number > 0, got 0/);
  assert.throws(() => validateConfig({ ...on, score_warmup_batch_size: 1.5 }), /score_warmup_batch_size: must be an integer >= 1, got 1.5/);
  assert.throws(() => validateConfig({ ...on, lora: 'r=4' }), /score_warmup_prompts: the warm-up is a full-weight SFT and conflicts with lora/);
});

test('two SCoRe steps on a tiny model: Stage I then II, per-step and held-out metrics of both attempts', async () => {
  const tokenizer = new CharTokenizer({ chars: 'abcdx|', markers: [] });
  const modelConfig: ModelConfig = {
    model_type: 'llama', vocab_size: tokenizer.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: true, eos_token_id: tokenizer.eosId,
  };
  const model = createTransformer(modelConfig, { seed: 3 });
  const reference = createTransformer(modelConfig, { seed: 3 });
  const startsA: RewardFunction = { name: 'starts_a', description: '', score: (c) => (c.startsWith('a') ? 1 : 0) };
  const config = validateConfig({
    ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 2, prompts_per_step: 2, num_generations: 4, max_completion_length: 4,
    learning_rate: 1e-2, save_steps: 0, self_correction: 'score', score_instruction: '|', score_stage_one_steps: 1,
  });
  const items = ['x', 'xx'].map((p, i) => ({ id: String(i), prompt: p, example: {} }));
  const sampler: Sampler = async (prompts, rng) => sample(model, prompts, { maxNewTokens: 4, eosIds: [tokenizer.eosId], tokenizer, rng }).map((s) => ({ ids: s.tokens, text: s.text, truncated: s.finishReason === 'length' }));
  const dir = scratchDir('aha-score-run-');
  const steps: Record<string, number>[] = [];
  await runGrpo({
    config, model, tokenizer, reference, sampler, prompts: filePrompts(items, 0, 'toy'), evalItems: items,
    rewardNames: ['starts_a'], rewardWeights: [1], runDir: dir, quiet: true, onStep: (m) => steps.push(m),
    judges: { rewards: [startsA], correctnessReward: 0, correct: async (c) => ({ correct: c.startsWith('a'), extracted: null }), reflections: () => 0 },
  });
  assert.deepEqual(steps.map((m) => m['score/stage']), [1, 2]);
  assert.equal(steps[0].trained_groups, 4, 'attempt-1 and attempt-2 groups of both prompts');
  for (const m of steps) for (const k of ['score/acc_t1', 'score/acc_t2', 'score/delta_i2c', 'score/delta_c2i']) assert.ok(m[k] >= 0 && m[k] <= 1, k);
  assert.ok('kl' in steps[0], 'Stage I logs the KL of attempt 1');
  assert.ok(!('kl' in steps[1]), 'Stage II with beta 0 has no KL term to log');
  const evals = readFileSync(join(dir, 'eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.deepEqual(evals.map((e) => e.step), [0, 2]);
  for (const e of evals) assert.ok(Math.abs(e.delta_t1_t2 - (e.acc_t2 - e.acc_t1)) < 1e-12);
  const completions = readFileSync(join(dir, 'eval_completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { attempt: number; prompt: string });
  assert.deepEqual(completions.slice(0, 4).map((c) => c.attempt), [1, 1, 2, 2]);
  assert.ok(completions[2].prompt.startsWith('x') && completions[2].prompt.endsWith('|'), 'attempt 2 is shown its prompt, first answer and instruction');
  assert.deepEqual(Object.keys(SCORE_DEFAULTS).every((k) => k in config), true);
});

test('score_first_attempt_context answer in a run: attempt 2 is prompted with y1\'s answer alone, in training and held-out rollouts, and config.json records it', async () => {
  const tokenizer = new CharTokenizer({ chars: 'abcdx|', markers: ['<think>', '</think>'] });
  const modelConfig: ModelConfig = {
    model_type: 'llama', vocab_size: tokenizer.vocabSize, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: true, eos_token_id: tokenizer.eosId,
  };
  const model = createTransformer(modelConfig, { seed: 3 });
  // Attempt 1 thinks "b" and answers "c"; attempt 2 (its prompt ends with the instruction "|") answers "a".
  const seen: string[] = [];
  const sampler: Sampler = async (prompts) => prompts.map((p) => {
    const prompt = tokenizer.decode(p);
    seen.push(prompt);
    const text = prompt.endsWith('|') ? 'a' : '<think>b</think>c';
    return { ids: tokenizer.encode(text), text, truncated: false };
  });
  const config = validateConfig({
    ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 1, prompts_per_step: 2, num_generations: 2, max_completion_length: 4,
    learning_rate: 1e-2, save_steps: 0, self_correction: 'score', score_instruction: '|', score_stage: 2, score_first_attempt_context: 'answer',
  });
  const items = ['x', 'xx'].map((p, i) => ({ id: String(i), prompt: p, example: {} }));
  const dir = scratchDir('aha-score-answer-');
  await runGrpo({
    config, model, tokenizer, reference: null, sampler, prompts: filePrompts(items, 0, 'toy'), evalItems: items,
    rewardNames: ['exact'], rewardWeights: [1], runDir: dir, quiet: true, judges,
  });
  const seconds = seen.filter((p) => p.endsWith('|'));
  assert.equal(seconds.length, 4 + 2 + 2, 'a training step of 2 × 2 rollouts, two held-out evaluations of 2');
  assert.deepEqual([...new Set(seconds)].sort(), ['xc|', 'xxc|']);
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).score_first_attempt_context, 'answer');
});

test('baseline data: Pair-SFT pairs wrong first attempts with right ones of the same problem; STaR keeps own corrections', () => {
  const at = (id: string, correct: boolean, text: string): ScoredRow => ({ ...row(correct, correct ? 1 : 0, text), item: { id, prompt: `${id}:`, example: {} } });
  const first = [at('a', false, 'w1'), at('a', true, 'r1'), at('a', false, 'w2'), at('b', false, 'w3'), at('b', false, 'w4'), at('b', false, 'w5')];
  assert.deepEqual(correctionPairs('pair', first.slice(0, 3), 3, secondAttemptPrompt('|')), [{ prompt: 'a:w1|', completion: 'r1' }, { prompt: 'a:w2|', completion: 'r1' }]);
  assert.deepEqual(correctionPairs('pair', first, 3, secondAttemptPrompt('|')).length, 2, 'a problem with no right attempt gives no pair');
  const second = [at('a', true, 'fix'), at('a', true, 'r1'), at('a', false, 'no'), at('b', false, ''), at('b', false, ''), at('b', true, 'fix2')];
  assert.deepEqual(correctionPairs('star', first, 3, secondAttemptPrompt('|'), second), [{ prompt: 'a:w1|', completion: 'fix' }, { prompt: 'b:w5|', completion: 'fix2' }]);
});

test('warm-up data: each second answer is another sample of the same problem, never the first one itself', () => {
  const at = (id: string, correct: boolean, text: string, truncated = false): ScoredRow => ({ ...row(correct, correct ? 1 : 0, text), truncated, item: { id, prompt: `${id}:`, example: {} } });
  // Two problems, three samples each; b's third sample was cut off at max_completion_length.
  const first = [at('a', false, 'a0'), at('a', true, 'a1'), at('a', false, 'a2'), at('b', true, 'b0'), at('b', false, 'b1'), at('b', false, 'b2', true)];
  const pairs = reattemptPairs(first, 3, secondAttemptPrompt('|fix|'));
  assert.deepEqual(pairs, [
    { prompt: 'a:a0|fix|', completion: 'a1' },
    { prompt: 'a:a1|fix|', completion: 'a2' },
    { prompt: 'a:a2|fix|', completion: 'a0' },
    { prompt: 'b:b0|fix|', completion: 'b1' },
    // b1 -> b2 is left out: a truncated sample has no end to learn; b2 may still be a first answer.
    { prompt: 'b:b2|fix|', completion: 'b0' },
  ]);
  // Fair re-attempt: as many second answers are right as first answers were (each sample is a second answer once).
  const all = reattemptPairs(first.slice(0, 3), 3, secondAttemptPrompt('|'));
  assert.equal(all.filter((p) => p.completion === 'a1').length, 1);
  assert.ok(all.every((p) => !p.prompt.endsWith(`${p.completion}|`)), 'no second answer repeats its own first');
  assert.throws(() => reattemptPairs(first.slice(0, 4), 3, secondAttemptPrompt('|')), /4 samples is not a whole number of groups of 3/);
  assert.throws(() => reattemptPairs(first, 1, secondAttemptPrompt('|')), /at least 2 samples/);
  // What the transcripts teach: a0→a1 fix, a1→a2 break, a2→a0 stays wrong, b0→b1 break, b2→b0 fix.
  assert.deepEqual(reattemptCounts(first, 3), { pairs: 5, fixes: 2, breaks: 2, right_right: 0, wrong_wrong: 1 });
  assert.throws(() => reattemptPairs([...first.slice(0, 2), first[3]], 3, secondAttemptPrompt('|')), /answer different problems \(a, b\)/);
});

test('second-attempt SFT data never opens the think block twice: warm-up re-attempts and Pair-SFT answers come from first attempts', () => {
  const at = (correct: boolean, text: string): ScoredRow => ({ ...row(correct, correct ? 1 : 0, text), item: { id: 'p', prompt: 'Q: ', example: {} } });
  // First attempts open their own block (the task prompt leaves it to the model).
  const first = [at(false, '<think>\n1+2 makes it.\n</think>\n<answer>\n3\n</answer>'), at(true, '<think>\n1+3 makes it.\n</think>\n<answer>\n4\n</answer>')];
  // The instruction opens the block, as SCORE_INSTRUCTION does: the sample's own "<think>" is left out.
  const opens = secondAttemptPrompt('\nU: again\nA: <think>\n');
  const warm = reattemptPairs(first, 2, opens);
  assert.equal(warm[0].completion, '1+3 makes it.\n</think>\n<answer>\n4\n</answer>');
  const pair = correctionPairs('pair', first, 2, opens);
  assert.equal(pair.length, 1);
  assert.equal(pair[0].completion, '1+3 makes it.\n</think>\n<answer>\n4\n</answer>');
  for (const p of [...warm, ...pair]) assert.doesNotMatch(p.prompt + p.completion, /<think>\s*<think>/);
  // An instruction that does not open it keeps the sample's.
  assert.ok(reattemptPairs(first, 2, secondAttemptPrompt('|'))[0].completion.startsWith('<think>\n1+3'));
});

test('score_first_attempt_context answer: attempt 2 reads y1 without its think block, and the warm-up and Pair-SFT transcripts are built the same way', () => {
  const y1 = '<think>\n1+2 makes it.\n</think>\n<answer>\n3\n</answer>';
  const item = { id: 'p', prompt: 'Q: ', example: {} };
  assert.equal(secondAttemptPrompt('|')(item, y1), `Q: ${y1}|`, 'full (the default) keeps y1 as written');
  const answer = secondAttemptPrompt('|', undefined, 'answer');
  assert.equal(answer(item, y1), 'Q: <answer>\n3\n</answer>|');
  // A think block never closed (cut off at max_completion_length) is all reasoning; no think block at all is all answer.
  assert.equal(answer(item, '<think>\n1+2 ma'), 'Q: |');
  assert.equal(answer(item, '<answer>3</answer>'), 'Q: <answer>3</answer>|');
  // A text prompt that opened the block itself keeps it, closed empty; an unclosed one leaves nothing.
  const opened = { id: 'p', prompt: 'Q: <think>\n', example: { think_prefilled: '<think>\n' } };
  assert.equal(answer(opened, '1+2 makes it.\n</think>\n<answer>3</answer>'), 'Q: <think>\n</think>\n<answer>3</answer>|');
  assert.equal(answer(opened, '1+2 ma'), 'Q: <think>\n|');
  assert.equal(firstAnswerOnly('a</think>b</think> c', false), 'c', 'the last closing tag ends the reasoning');
  // The warm-up's re-attempts and the Pair-SFT pairs read the first attempt as attempt 2 does.
  const at = (correct: boolean, text: string): ScoredRow => ({ ...row(correct, correct ? 1 : 0, text), item });
  const first = [at(false, y1), at(true, '<think>\n1+3 makes it.\n</think>\n<answer>\n4\n</answer>')];
  const warm = reattemptPairs(first, 2, answer);
  assert.deepEqual(warm.map((p) => p.prompt), ['Q: <answer>\n3\n</answer>|', 'Q: <answer>\n4\n</answer>|']);
  assert.equal(warm[0].completion, first[1].text, 'the second answer keeps its own reasoning');
  assert.deepEqual(correctionPairs('pair', first, 2, answer).map((p) => p.prompt), ['Q: <answer>\n3\n</answer>|']);
});

test('score_first_attempt_context: an unknown value, or the key without SCoRe, is an error naming it', () => {
  const score = { ...DEFAULT_CONFIG, task: 'countdown', self_correction: 'score' as const };
  assert.equal(validateConfig({ ...score, score_first_attempt_context: 'answer' }).score_first_attempt_context, 'answer');
  assert.throws(() => validateConfig({ ...score, score_first_attempt_context: 'answers' as never }), /score_first_attempt_context: unknown value "answers"; choose full or answer/);
  assert.throws(() => validateConfig({ ...DEFAULT_CONFIG, task: 'countdown', score_first_attempt_context: 'answer' }), /score_first_attempt_context: is a SCoRe option/);
});

test('an instruction with characters the tokenizer reads as <unk> is refused by name; the default is all known characters', () => {
  const tok = loadTokenizer(join(packageRoot(), 'models', 'aha-tiny-countdown'));
  assert.doesNotThrow(() => assertInstructionEncodable(SCORE_INSTRUCTION, tok, 'demo'));
  assert.throws(() => assertInstructionEncodable('\nUser: Rewrite it. Same answer?\nAssistant: <think>\n', tok, 'demo'), /score_instruction: "R", "S", "\?" are not in the tokenizer of demo/);
});

test('aha train --recipe score: the miniature alone, the switch on with a model; an unknown recipe or a conflict is refused', async () => {
  const { configFromFlags, recipeBase } = await import('../../src/cli/commands/train.js');
  const alone = recipeBase({ recipe: 'score' })!;
  assert.equal(alone.self_correction, 'score');
  assert.equal(alone.task, 'countdown');
  assert.ok(alone.model!.endsWith('models/aha-tiny-countdown'));
  // The miniature runs the warm-up (a base model has no second turn); with a model it is off unless asked for.
  assert.equal(alone.score_warmup_prompts, 64);
  assert.equal(validateConfig(configFromFlags({ scoreWarmupPrompts: '0', scoreWarmupEpochs: '3' }, alone)).score_warmup_prompts, 0);
  assert.throws(() => validateConfig(configFromFlags({ scoreWarmupPrompts: '0', scoreWarmupEpochs: '2' }, alone)), /score_warmup_epochs: sets the warm-up, which is off/);
  assert.equal(recipeBase({ recipe: 'score', model: 'some/dir' })!.score_warmup_prompts, 0);
  const withFlags = configFromFlags({ scoreStageOneSteps: '10', scoreAlpha: '5' }, alone);
  assert.equal(validateConfig(withFlags).score_stage_one_steps, 10);
  assert.equal(withFlags.score_alpha, 5);
  // The recipe splits its steps into two stages, so a single stage from the command line conflicts.
  assert.throws(() => validateConfig(configFromFlags({ scoreStage: '2' }, alone)), /score_stage_one_steps: .* conflicts with score_stage 2/);
  assert.equal(recipeBase({ recipe: 'score', model: 'some/dir' })!.self_correction, 'score');
  assert.equal(recipeBase({}), null);
  assert.throws(() => recipeBase({ recipe: 'satori' }), /--recipe: unknown recipe "satori"; known: score/);
});

test('the report reads which attempt a held-out answer is (absent for single-attempt runs)', async () => {
  const { toCompletionRow } = await import('../../src/report/run-data.js');
  const at = { file: 'eval_completions.jsonl', line: 1 };
  assert.equal(toCompletionRow({ step: 3, completion: 'x', attempt: 2 }, at).attempt, 2);
  assert.equal('attempt' in toCompletionRow({ step: 3, completion: 'x' }, at), false);
});

test('SCoRe advantages: attempt-1 and attempt-2 rows are normalised separately, also with a batch-wide sigma', async () => {
  // Stage II, alpha 10: attempt 1 answers [right, wrong] (rewards 1, 0), attempt 2 [right, right]
  // (1 and 1 + 10·(1 − 0) = 11). Pooled, σ_batch over [1, 0, 1, 11] would shrink attempt 1's advantages.
  let calls = 0;
  const sampler: Sampler = async (prompts) => {
    const answers = calls++ === 0 ? ['2', '1'] : ['2', '2'];
    return prompts.map((_, i) => ({ ids: encode(answers[i]), text: answers[i], truncated: false }));
  };
  const items = [{ id: 'q', prompt: 'Q:', example: { gold: '2' } }];
  const config = validateConfig({
    ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 1, prompts_per_step: 1, num_generations: 2, max_completion_length: 3,
    self_correction: 'score', score_stage: 2, score_alpha: 10, scale_rewards: 'batch', score_instruction: '|',
  });
  const s = await scoreStep({ config, step: 0, prompts: filePrompts(items, 0, 'toy'), encode, sampler, rng: new Rng(0), judges, weights: [1], contextLength: 32, secondPrompt: secondAttemptPrompt(config.score_instruction) });
  assert.deepEqual(s.batch.kept.map((r) => r.reward), [1, 0, 1, 11]);
  const half = Math.SQRT1_2; // (R − μ)/σ for two rows of one group: ±1/√2
  const eps = config.advantage_eps;
  const expected = [0.5 / (half + eps), -0.5 / (half + eps), -5 / (10 * half + eps), 5 / (10 * half + eps)];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(s.advantages[i] - expected[i]) < 1e-12, `row ${i}: ${s.advantages[i]} vs ${expected[i]}`);
  assert.deepEqual(s.batch.zeroStd, [0, 0]);
  assert.deepEqual(Array.from(s.rewards.total), [1, 0, 1, 11], 'the trainer is handed the rewards');
});

/**
 * Two prompts, G = 4, gold "2". A: first attempts wrong, right, right, wrong; second right, wrong,
 * right, wrong (a fix, a break, a keep, a stay). B: first right, wrong, wrong, wrong; second wrong,
 * right, wrong, wrong. The sampler answers by prompt text, so the prompt order does not matter.
 */
function scriptedSampler(): Sampler {
  const script: Record<string, [string[], string[]]> = { A: [['1', '2', '2', '1'], ['2', '1', '2', '1']], B: [['2', '1', '1', '1'], ['1', '2', '1', '1']] };
  const seen: Record<string, number> = {};
  return async (prompts) => prompts.map((ids) => {
    const p = String.fromCharCode(...ids);
    const attempt = p.includes('|') ? 1 : 0;
    const key = `${p[0]}${attempt}`;
    const k = (seen[key] = (seen[key] ?? -1) + 1);
    const text = script[p[0]][attempt][k % 4];
    return { ids: encode(text), text, truncated: false };
  });
}

async function scriptedStep(extra: Partial<GrpoConfig>) {
  const items = ['A', 'B'].map((id) => ({ id, prompt: `${id}:`, example: { gold: '2' } }));
  const config = validateConfig({
    ...DEFAULT_CONFIG, task: null, data: 'toy', max_steps: 1, prompts_per_step: 2, num_generations: 4, max_completion_length: 3,
    self_correction: 'score', score_stage: 2, score_alpha: 10, score_instruction: '|', ...extra,
  });
  const s = await scoreStep({ config, step: 0, prompts: filePrompts(items, 0, 'toy'), encode, sampler: scriptedSampler(), rng: new Rng(0), judges, weights: [1], contextLength: 32, secondPrompt: secondAttemptPrompt(config.score_instruction) });
  // Rows in batch order, each tagged with its prompt, attempt and advantage.
  return { eps: config.advantage_eps, rows: s.batch.kept.map((r, i) => ({ id: r.item.id, attempt: i < 8 ? 1 : 2, reward: r.reward, advantage: s.advantages[i] })) };
}

const near = (got: number[], want: number[], what: string) => want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-12, `${what} row ${i}: ${got[i]} vs ${w}`));

test('score_second_baseline by hand: group pools the second attempts, first_outcome splits them by r̂(y1)', async () => {
  const pick = (rows: { id: string; attempt: number; reward: number | null; advantage: number }[], id: string, attempt: number) => rows.filter((r) => r.id === id && r.attempt === attempt);
  const group = await scriptedStep({});
  const cond = await scriptedStep({ score_second_baseline: 'first_outcome' });
  const eps = group.eps;
  // Shaped rewards r(y2) + 10·(r̂(y2) − r̂(y1)): A = [1 + 10, 0 − 10, 1, 0], B = [0 − 10, 1 + 10, 0, 0].
  assert.deepEqual(pick(group.rows, 'A', 2).map((r) => r.reward), [11, -10, 1, 0]);
  assert.deepEqual(pick(group.rows, 'B', 2).map((r) => r.reward), [-10, 11, 0, 0]);
  // Attempt 1 is the same either way: rewards [0, 1, 1, 0], μ 0.5, σ = √(1/3).
  for (const run of [group, cond]) near(pick(run.rows, 'A', 1).map((r) => r.advantage), [-0.5, 0.5, 0.5, -0.5].map((d) => d / (Math.sqrt(1 / 3) + eps)), 'attempt 1');
  // group, A: μ 0.5, deviations ±10.5 and ±0.5, σ = √(221/3); the keep (row 2) gets almost nothing, the
  // fix and the break ±1.22: the sign follows y1's outcome more than y2's.
  near(pick(group.rows, 'A', 2).map((r) => r.advantage), [10.5, -10.5, 0.5, -0.5].map((d) => d / (Math.sqrt(221 / 3) + eps)), 'group A');
  // first_outcome, A: after a wrong y1 rows 0 and 3 ([11, 0]), after a right y1 rows 1 and 2 ([−10, 1]):
  // each pair ±5.5 around its mean, σ = 5.5·√2, so a right y2 gets +1/√2 whichever y1 came before.
  const half = 5.5 / (5.5 * Math.SQRT2 + eps);
  near(pick(cond.rows, 'A', 2).map((r) => r.advantage), [half, -half, half, -half], 'first_outcome A');
  // first_outcome, B: the one row after a right y1 is a subgroup of one: advantage 0 (nothing to compare
  // it with). The three after a wrong y1, [11, 0, 0]: μ 11/3, σ = 11/√3.
  const s3 = 11 / Math.sqrt(3) + eps;
  near(pick(cond.rows, 'B', 2).map((r) => r.advantage), [0, (22 / 3) / s3, -(11 / 3) / s3, -(11 / 3) / s3], 'first_outcome B');
  // scale none: the same subgroups, centred only.
  const none = await scriptedStep({ score_second_baseline: 'first_outcome', scale_rewards: 'none' });
  near(pick(none.rows, 'A', 2).map((r) => r.advantage), [5.5, -5.5, 5.5, -5.5], 'none A');
  near(pick(none.rows, 'B', 2).map((r) => r.advantage), [0, 22 / 3, -11 / 3, -11 / 3], 'none B');
});

test('score_second_baseline group (the default) gives exactly the advantages of one normalisation per group of second attempts', async () => {
  for (const extra of [{}, { scale_rewards: 'batch' as const }, { advantage_estimator: 'rloo' as const }]) {
    const byDefault = await scriptedStep(extra);
    const named = await scriptedStep({ ...extra, score_second_baseline: 'group' });
    assert.deepEqual(named.rows, byDefault.rows);
    // What scoreStep computed before the option existed: computeAdvantages over the attempt-2 rows alone.
    const second = byDefault.rows.filter((r) => r.attempt === 2);
    const cfg = validateConfig({ ...base, ...extra });
    const want = computeAdvantages(batchRewards(second), { groupSize: 4, scale: cfg.scale_rewards, eps: cfg.advantage_eps, estimator: cfg.advantage_estimator, tokens: second.map(() => 1) }).advantages;
    assert.deepEqual(second.map((r) => r.advantage), Array.from(want));
  }
  // Stage I ignores the option: y2's reward there has no r̂(y1) term.
  const stageOne = { score_stage: 'both' as const, score_stage_one_steps: 1 };
  assert.deepEqual((await scriptedStep({ ...stageOne, score_second_baseline: 'first_outcome' })).rows, (await scriptedStep(stageOne)).rows);
});

test('first_outcome: a group whose first attempts all agree is normalised as a whole; rloo leaves one out per subgroup', () => {
  const rewards = batchRewards([3, 1, 0, 2].map((reward) => ({ reward })));
  const opts = { groupSize: 4, scale: 'group' as const, eps: 1e-4, estimator: 'grpo' as const };
  assert.deepEqual(Array.from(firstOutcomeAdvantages(rewards, [true, true, true, true], opts)), Array.from(computeAdvantages(rewards, opts).advantages));
  // rloo over [3, 1] and [0, 2]: R − the other one's reward.
  assert.deepEqual(Array.from(firstOutcomeAdvantages(rewards, [true, true, false, false], { ...opts, estimator: 'rloo' })), [2, -2, -2, 2]);
  assert.throws(() => firstOutcomeAdvantages(rewards, [true], opts), /4 second attempts, 1 first/);
});

test('score_second_baseline: unknown values and combinations it cannot condition are errors naming the field', () => {
  const score = { ...base, self_correction: 'score' as const };
  assert.throws(() => validateConfig({ ...base, score_second_baseline: 'first_outcome' }), /score_second_baseline: is a SCoRe option: set self_correction: score/);
  assert.throws(() => validateConfig({ ...score, score_second_baseline: 'outcome' as never }), /score_second_baseline: unknown value "outcome"; choose group or first_outcome/);
  assert.throws(() => validateConfig({ ...score, score_stage: 1, score_second_baseline: 'first_outcome' }), /score_second_baseline: first_outcome sets Stage II's baseline .* conflicts with score_stage 1/);
  assert.throws(() => validateConfig({ ...score, score_second_baseline: 'first_outcome', scale_rewards: 'batch' }), /score_second_baseline: first_outcome conflicts with scale_rewards batch/);
  assert.throws(() => validateConfig({ ...score, score_second_baseline: 'first_outcome', advantage_estimator: 'reinforce_plus_plus' }), /score_second_baseline: .* reinforce_plus_plus has none/);
  assert.equal(validateConfig({ ...score, score_second_baseline: 'first_outcome', advantage_estimator: 'rloo' }).score_second_baseline, 'first_outcome');
});
