// Token selection from logits: greedy, temperature, top-k, top-p, and the raw log-softmax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, logSumExp, sampleToken } from '../../src/model/logits.js';
import { Rng } from '../../src/util/rng.js';

const logits = Float32Array.from([1.0, 3.0, 2.5, -1.0, 3.0, 0.0]);

function probsAt(t: number): number[] {
  const e = Array.from(logits, (l) => Math.exp(l / t));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

function frequencies(params: { temperature: number; topK: number; topP: number }, n: number, seed = 5): number[] {
  const rng = new Rng(seed);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, 0, logits.length, params, rng)] += 1;
  return counts.map((c) => c / n);
}

test('logSumExp is stable and exact for large logits', () => {
  const l = Float32Array.from([1000, 1000]);
  assert.ok(Math.abs(logSumExp(l) - (1000 + Math.log(2))) < 1e-9);
  assert.equal(logSumExp(Float32Array.from([-Infinity, -Infinity])), -Infinity);
});

test('argmax takes the lowest index among ties, and temperature 0 is greedy', () => {
  assert.equal(argmax(logits), 1);
  const rng = new Rng(1);
  for (let i = 0; i < 20; i++) assert.equal(sampleToken(logits, 0, 6, { temperature: 0, topK: 0, topP: 1 }, rng), 1);
});

test('temperature sampling matches the softmax frequencies', () => {
  for (const t of [1, 0.5]) {
    const f = frequencies({ temperature: t, topK: 0, topP: 1 }, 40000);
    const p = probsAt(t);
    for (let i = 0; i < p.length; i++) assert.ok(Math.abs(f[i] - p[i]) < 0.01, `t=${t} token ${i}: ${f[i]} vs ${p[i]}`);
  }
});

test('top-k keeps only the k most likely tokens, renormalised', () => {
  const f = frequencies({ temperature: 1, topK: 3, topP: 1 }, 40000);
  const p = probsAt(1);
  const kept = [1, 4, 2]; // 3.0, 3.0 (tie), 2.5
  const z = kept.reduce((a, i) => a + p[i], 0);
  for (let i = 0; i < p.length; i++) {
    const want = kept.includes(i) ? p[i] / z : 0;
    assert.ok(Math.abs(f[i] - want) < 0.01, `token ${i}: ${f[i]} vs ${want}`);
  }
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) assert.equal(sampleToken(logits, 0, 6, { temperature: 1, topK: 1, topP: 1 }, rng), 1);
});

test('top-p keeps the smallest most likely set reaching p', () => {
  const p = probsAt(1);
  // Sorted: 1 (0.339), 4 (0.339), 2 (0.206), 0 (0.0459), 5 (0.0169), 3 (0.0062).
  const f = frequencies({ temperature: 1, topK: 0, topP: 0.8 }, 40000);
  const kept = [1, 4, 2];
  const z = kept.reduce((a, i) => a + p[i], 0);
  for (let i = 0; i < p.length; i++) {
    const want = kept.includes(i) ? p[i] / z : 0;
    assert.ok(Math.abs(f[i] - want) < 0.01, `token ${i}: ${f[i]} vs ${want}`);
  }
  const tiny = frequencies({ temperature: 1, topK: 0, topP: 0.01 }, 2000);
  assert.equal(tiny[1], 1);
});

test('top-p over a large peaked vocabulary finds the full nucleus', () => {
  // One token holds most mass, thousands of tiny ones hold the rest: the candidate search has to
  // widen its threshold to reach p = 0.99.
  const V = 20000;
  const big = new Float32Array(V).fill(0);
  big[7] = 12;
  const rng = new Rng(9);
  const seen = new Set<number>();
  for (let i = 0; i < 400; i++) seen.add(sampleToken(big, 0, V, { temperature: 1, topK: 0, topP: 0.99 }, rng));
  assert.ok(seen.has(7));
  assert.ok(seen.size > 20, `only ${seen.size} distinct tokens: the nucleus was cut short`);
  const seenK = new Set<number>();
  for (let i = 0; i < 400; i++) seenK.add(sampleToken(big, 0, V, { temperature: 1, topK: 50, topP: 1 }, rng));
  assert.ok(seenK.size <= 50);
  assert.ok(seenK.has(7));
});

test('sampling reads logits at the given offset', () => {
  const two = new Float32Array(12);
  two.set(logits, 6);
  assert.equal(sampleToken(two, 6, 6, { temperature: 0, topK: 0, topP: 1 }, new Rng(0)), 1);
});
