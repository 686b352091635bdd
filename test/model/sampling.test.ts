// Batched sampling over a KV cache, checked on a deterministic fake model: reproducibility,
// independence from batch size, finish reasons, stop strings, and log-probabilities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sample } from '../../src/model/sampling.js';
import { logSumExp } from '../../src/model/logits.js';
import { CharTokenizer } from '../../src/model/char-tokenizer.js';
import { FakeLM } from './fake-lm.js';

const prompts = [
  Int32Array.from([5, 6, 7]),
  Int32Array.from([9]),
  Int32Array.from([11, 12, 13, 14, 15]),
  Int32Array.from([8, 8]),
  Int32Array.from([20, 3, 4, 21]),
];

test('same seed gives the same samples; another seed differs', () => {
  const model = new FakeLM(40);
  const a = sample(model, prompts, { maxNewTokens: 12, temperature: 1, seed: 7 });
  const b = sample(model, prompts, { maxNewTokens: 12, temperature: 1, seed: 7 });
  const c = sample(model, prompts, { maxNewTokens: 12, temperature: 1, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((s) => Array.from(s.tokens)), c.map((s) => Array.from(s.tokens)));
});

test('a prompt samples the same completion whatever the batch size (continuous batching)', () => {
  const model = new FakeLM(40);
  const opts = { maxNewTokens: 10, temperature: 0.9, topK: 20, topP: 0.95, eosIds: [2], seed: 3 };
  const whole = sample(model, prompts, { ...opts, batchSize: 64 });
  const one = sample(model, prompts, { ...opts, batchSize: 1 });
  const two = sample(model, prompts, { ...opts, batchSize: 2 });
  assert.deepEqual(one, whole);
  assert.deepEqual(two, whole);
});

test('log-probabilities are the raw log-softmax of the full forward at each completion token', () => {
  const model = new FakeLM(40);
  const out = sample(model, prompts, { maxNewTokens: 9, temperature: 0.7, topK: 5, seed: 1 });
  const V = 40;
  out.forEach((s, i) => {
    const ids = Int32Array.from([...prompts[i], ...s.tokens]);
    const logits = (model.forward(ids, 1, ids.length) as unknown as { data: Float32Array }).data;
    assert.equal(s.logprobs.length, s.tokens.length);
    for (let j = 0; j < s.tokens.length; j++) {
      const off = (prompts[i].length + j - 1) * V;
      const want = logits[off + s.tokens[j]] - logSumExp(logits, off, V);
      assert.ok(Math.abs(s.logprobs[j] - want) < 1e-5, `row ${i} token ${j}: ${s.logprobs[j]} vs ${want}`);
    }
  });
});

test('greedy decoding follows the argmax of the full forward', () => {
  const model = new FakeLM(40);
  const [s] = sample(model, [prompts[0]], { maxNewTokens: 8, temperature: 0 });
  const ids = [...prompts[0]];
  for (const t of s.tokens) {
    const x = Int32Array.from(ids);
    const logits = (model.forward(x, 1, x.length) as unknown as { data: Float32Array }).data;
    const last = logits.subarray((x.length - 1) * 40);
    assert.equal(t, last.indexOf(Math.max(...last)));
    ids.push(t);
  }
});

test('EOS ends a completion and is kept as its last token; otherwise the length limit does', () => {
  const model = new FakeLM(6, 0.5); // flat-ish distribution over 6 tokens: EOS (2) comes soon
  const out = sample(model, Array.from({ length: 20 }, (_, i) => Int32Array.from([i % 6])), {
    maxNewTokens: 5,
    eosIds: [2],
    seed: 11,
  });
  let eos = 0;
  for (const s of out) {
    if (s.finishReason === 'eos') {
      eos += 1;
      assert.equal(s.tokens[s.tokens.length - 1], 2);
      assert.ok(!Array.from(s.tokens).slice(0, -1).includes(2));
    } else {
      assert.equal(s.finishReason, 'length');
      assert.equal(s.tokens.length, 5);
      assert.ok(!Array.from(s.tokens).includes(2));
    }
  }
  assert.ok(eos > 0 && eos < 20, `expected a mix of finish reasons, got ${eos} EOS`);
});

test('stop strings end a completion and cut the text before them', () => {
  const tok = new CharTokenizer({ chars: 'ab' });
  const model = new FakeLM(tok.vocabSize, 0.3);
  const ps = Array.from({ length: 12 }, (_, i) => tok.encode('ab'.repeat(i + 1)));
  const out = sample(model, ps, { maxNewTokens: 30, tokenizer: tok, stop: ['ba', '</think>'], seed: 2 });
  let stopped = 0;
  for (const s of out) {
    const full = tok.decode(s.tokens);
    if (s.finishReason === 'stop') {
      stopped += 1;
      const cut = Math.min(...['ba', '</think>'].map((x) => full.indexOf(x)).filter((i) => i >= 0));
      assert.equal(s.text, full.slice(0, cut));
      // The stop string was completed by the last token, not earlier.
      const before = tok.decode(s.tokens.subarray(0, s.tokens.length - 1));
      assert.ok(!before.includes('ba') && !before.includes('</think>'));
    } else {
      assert.equal(s.text, full);
    }
  }
  assert.ok(stopped > 0);
});

test('bad options and prompts are refused with clear errors', () => {
  const model = new FakeLM(10);
  assert.throws(() => sample(model, [Int32Array.from([1])], { maxNewTokens: 0 }), /max new tokens/);
  assert.throws(() => sample(model, [Int32Array.from([1])], { maxNewTokens: 2, topP: 0 }), /top-p/);
  assert.throws(() => sample(model, [Int32Array.from([1])], { maxNewTokens: 2, temperature: -1 }), /temperature/);
  assert.throws(() => sample(model, [new Int32Array(0)], { maxNewTokens: 2 }), /prompt 0 is empty/);
  assert.throws(() => sample(model, [Int32Array.from([10])], { maxNewTokens: 2 }), /outside the vocabulary/);
  assert.throws(() => sample(model, [Int32Array.from([1])], { maxNewTokens: 600 }), /context/);
});

test('all active rows are decoded together, one call per step', () => {
  const model = new FakeLM(40);
  const eight = Array.from({ length: 8 }, (_, i) => Int32Array.from([i + 3]));
  sample(model, eight, { maxNewTokens: 6, seed: 4 });
  assert.equal(model.decodeCalls, 5); // first token from prefill, then 5 batched steps
});
