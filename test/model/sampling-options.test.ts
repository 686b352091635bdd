// Batched prefill (one forward for many prompts, the same as prefilling row by row) and the
// sampling options min-p and repetition penalty, which change the choice but never the reported
// raw log-probability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../../src/model/transformer-config.js';
import { createTransformer, prefillGroups } from '../../src/model/transformer.js';
import { drawToken, logSumExp, sampleToken } from '../../src/model/logits.js';
import { sample } from '../../src/model/sampling.js';
import { Rng } from '../../src/util/rng.js';

const cfg: ModelConfig = {
  model_type: 'qwen2', vocab_size: 41, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, rms_norm_eps: 1e-6,
  rope_theta: 10000, tie_word_embeddings: false,
};

function prompts(rng: Rng, lengths: number[]): Int32Array[] {
  return lengths.map((n) => Int32Array.from({ length: n }, () => rng.int(cfg.vocab_size)));
}

test('batched prefill gives each row the logits and cache of prefilling it alone', () => {
  const m = createTransformer(cfg, { seed: 3, initStd: 0.2 });
  const ps = prompts(new Rng(1), [5, 1, 9, 3]);
  const rows = [2, 0, 3, 1];
  const batched = m.createCache(4, 20);
  const alone = m.createCache(4, 20);
  const V = cfg.vocab_size;
  const got = m.prefillRows!(batched, rows, ps);
  rows.forEach((row, i) => {
    const want = m.prefill(alone, row, ps[i]);
    assert.equal(batched.length(row), ps[i].length);
    for (let v = 0; v < V; v++) assert.ok(Math.abs(got[i * V + v] - want[v]) < 1e-5, `row ${row} logit ${v}`);
  });
  // Decoding on from both caches agrees: the padding never reached a row's keys and values.
  const next = Int32Array.from([7, 8, 9, 10]);
  const a = m.decode(batched, next);
  const b = m.decode(alone, next);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `decode logit ${i}`);
});

test('batched prefill appends to rows that already hold tokens, and refuses what does not fit', () => {
  const m = createTransformer(cfg, { seed: 4, initStd: 0.2 });
  const [first, second, other] = prompts(new Rng(2), [4, 3, 6]);
  const cache = m.createCache(2, 10);
  m.prefill(cache, 0, first);
  const got = m.prefillRows!(cache, [0, 1], [second, other]);
  const ref = m.createCache(1, 10);
  const want = m.prefill(ref, 0, Int32Array.from([...first, ...second]));
  for (let v = 0; v < cfg.vocab_size; v++) assert.ok(Math.abs(got[v] - want[v]) < 1e-5);
  assert.equal(cache.length(0), 7);
  assert.throws(() => m.prefillRows!(cache, [0], [Int32Array.of(1, 2, 3, 4)]), /would hold 11 tokens/);
  assert.throws(() => m.prefillRows!(cache, [1, 1], [second, second]), /row 1 given twice/);
});

test('prefill passes: shortest first, bounded padding, never past a row\'s cache room', () => {
  const groups = prefillGroups([{ n: 9, room: 9 }, { n: 2, room: 3 }, { n: 5, room: 50 }, { n: 3, room: 50 }]);
  // The row of 2 has room 3: it may be padded to 3 but not to 5, so 5 starts a new pass; the row
  // of 9 has room exactly for itself and joins it.
  assert.deepEqual(groups.map((g) => g.map((r) => r.n)), [[2, 3], [5, 9]]);
  const many = prefillGroups(Array.from({ length: 100 }, () => ({ n: 100, room: 100 })));
  assert.ok(many.length > 1 && many.every((g) => g.length * 100 <= 4096));
});

test('a transformer samples the same completions at any batch size, with prefill batched', () => {
  const m = createTransformer(cfg, { seed: 5, initStd: 0.3 });
  const ps = prompts(new Rng(3), [3, 7, 1, 5, 2, 6]);
  const opts = { maxNewTokens: 8, temperature: 1, eosIds: [4], seeds: [1, 2, 3, 4, 5, 6] };
  const whole = sample(m, ps, { ...opts, batchSize: 6 });
  const one = sample(m, ps, { ...opts, batchSize: 1 });
  assert.deepEqual(whole.map((s) => Array.from(s.tokens)), one.map((s) => Array.from(s.tokens)));
});

const probs4 = [0.5, 0.3, 0.15, 0.05];
const logits4 = Float32Array.from(probs4, (p) => Math.log(p));

test('min-p keeps only tokens at least min_p times as likely as the best one', () => {
  const rng = new Rng(8);
  const counts = [0, 0, 0, 0];
  const n = 4000;
  for (let i = 0; i < n; i++) counts[sampleToken(logits4, 0, 4, { temperature: 1, topK: 0, topP: 1, minP: 0.5 }, rng)] += 1;
  // Floor 0.25: tokens 0 and 1 survive, renormalised to 0.625 / 0.375.
  assert.equal(counts[2] + counts[3], 0);
  assert.ok(Math.abs(counts[0] / n - 0.625) < 0.03, `token 0 drawn ${counts[0] / n}`);
  // With top-k 3 and min-p 0.2 (floor 0.1): tokens 0-2.
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(sampleToken(logits4, 0, 4, { temperature: 1, topK: 3, topP: 1, minP: 0.2 }, rng));
  assert.deepEqual([...seen].sort(), [0, 1, 2]);
});

test('min-p on a large vocabulary keeps exactly the tokens above the floor', () => {
  const V = 5000;
  const big = Float32Array.from({ length: V }, (_, i) => (i < 3 ? 5 - i * 0.5 : -2));
  const rng = new Rng(2);
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(sampleToken(big, 0, V, { temperature: 1, topK: 0, topP: 1, minP: 0.3 }, rng));
  // exp(-0.5) = 0.61 and exp(-1) = 0.37 of the best pass the floor 0.3; exp(-7) does not.
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2]);
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens; the log-prob stays raw', () => {
  const l = Float32Array.from([2.0, 1.5, -1.0, -0.6]);
  const greedy = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 2 };
  // Token 0 seen: 2.0 / 2 = 1.0 < 1.5, so token 1 wins.
  const d = drawToken(l, 0, 4, greedy, new Rng(0), { seen: new Set([0]) });
  assert.equal(d.token, 1);
  assert.ok(Math.abs(d.logprob - (1.5 - logSumExp(l))) < 1e-6);
  // Tokens 0 and 1 seen (1.0, 0.75) and token 3 seen (-1.2): token 2 (-1.0) is still below.
  assert.equal(drawToken(l, 0, 4, greedy, new Rng(0), { seen: new Set([0, 1, 3]) }).token, 0);
  // Without seen tokens, or with penalty 1, nothing changes.
  assert.equal(drawToken(l, 0, 4, greedy, new Rng(0)).token, 0);
  assert.equal(drawToken(l, 0, 4, { ...greedy, repetitionPenalty: 1 }, new Rng(0), { seen: new Set([0]) }).token, 0);
});

test('the sampler applies the repetition penalty to the prompt and the completion so far', () => {
  const m = createTransformer(cfg, { seed: 6, initStd: 0.3 });
  const ps = prompts(new Rng(4), [4, 4, 4]);
  const plain = sample(m, ps, { maxNewTokens: 12, temperature: 0 });
  const penalised = sample(m, ps, { maxNewTokens: 12, temperature: 0, repetitionPenalty: 1e6 });
  // A huge penalty forbids every repeat while unseen tokens remain: completions never reuse a
  // token of the prompt or of themselves.
  penalised.forEach((s, i) => {
    const used = new Set(ps[i]);
    for (const t of s.tokens) {
      assert.equal(used.has(t), false, `row ${i} repeats token ${t}`);
      used.add(t);
    }
  });
  assert.ok(plain.some((s, i) => s.tokens.some((t, j) => ps[i].includes(t) || s.tokens.indexOf(t) < j)), 'greedy repeats without the penalty');
  assert.throws(() => sample(m, ps, { maxNewTokens: 2, repetitionPenalty: 0 }), /repetition penalty must be > 0/);
  assert.throws(() => sample(m, ps, { maxNewTokens: 2, minP: 1.5 }), /min-p must be in \[0, 1\]/);
});
