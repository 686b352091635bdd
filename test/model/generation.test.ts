// Generation with the real transformer: KV-cache decoding against full recomputation, and the
// scoring call against the log-probabilities reported at sampling time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sample } from '../../src/model/sampling.js';
import { scoreCompletions } from '../../src/model/scoring.js';
import { logSumExp } from '../../src/model/logits.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { tinyModel, logitsOf } from './helpers.js';

const tok = new CharTokenizer();
const texts = ['12+30=', '<think>7*6', 'Countdown: 3 5 7 -> 22', 'a', 'The answer is <answer>'];
const prompts = texts.map((t) => tok.encode(t));

test('KV-cache greedy decoding matches greedy decoding by full recomputation', () => {
  for (const over of [{}, { model_type: 'llama' as const, tie_word_embeddings: false, num_key_value_heads: 1 }]) {
    const model = tinyModel(over, 3);
    const out = sample(model, prompts, { maxNewTokens: 12, temperature: 0, batchSize: 3 });
    prompts.forEach((p, i) => {
      const ids = Array.from(p);
      for (let j = 0; j < 12; j++) {
        const logits = logitsOf(model, ids);
        const last = logits.subarray((ids.length - 1) * tok.vocabSize);
        const want = last.indexOf(Math.max(...last));
        assert.equal(out[i].tokens[j], want, `row ${i} step ${j}`);
        const lp = last[want] - logSumExp(last);
        assert.ok(Math.abs(out[i].logprobs[j] - lp) < 1e-4, `row ${i} step ${j}: ${out[i].logprobs[j]} vs ${lp}`);
        ids.push(want);
      }
    });
  }
});

test('scoreCompletions matches the log-probabilities reported at sampling time', () => {
  const model = tinyModel({}, 5);
  const samples = sample(model, prompts, { maxNewTokens: 20, temperature: 1, topP: 0.9, topK: 30, eosIds: [2], seed: 17, batchSize: 2 });
  const scores = scoreCompletions(model, prompts, samples.map((s) => s.tokens), { batchSize: 3 });
  samples.forEach((s, i) => {
    assert.equal(scores[i].length, s.tokens.length);
    for (let j = 0; j < s.tokens.length; j++) {
      assert.ok(Math.abs(scores[i][j] - s.logprobs[j]) < 1e-4, `row ${i} token ${j}: ${scores[i][j]} vs ${s.logprobs[j]}`);
    }
  });
  // Batching and the memory budget do not change scores.
  const one = scoreCompletions(model, prompts, samples.map((s) => s.tokens), { maxLogitsBytes: 1 });
  one.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - scores[i][j]) < 1e-4)));
});

test('seeded sampling with the transformer is reproducible and decodes text', () => {
  const model = tinyModel({}, 8);
  const a = sample(model, prompts, { maxNewTokens: 10, seed: 4, tokenizer: tok, eosIds: [2] });
  const b = sample(model, prompts, { maxNewTokens: 10, seed: 4, tokenizer: tok, eosIds: [2] });
  assert.deepEqual(a, b);
  for (const s of a) assert.equal(s.text, tok.decode(s.tokens));
});
