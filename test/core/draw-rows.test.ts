// The native sampling kernel (drawRows) against a plain double-precision reference: the same token
// for the same uniform number, the raw log-probability to 1e-12, any thread count; and its exp
// against Math.exp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawRows, getNumThreads, logSumExpRows, nativeExp, setNumThreads } from '../../src/core/index.js';
import { Rng } from '../../src/util/rng.js';

/** The reference draw: weights exp((x - max) / T) summed in id order, first token past u * total. */
function reference(x: Float32Array, off: number, V: number, T: number, u: number): { token: number; logprob: number } {
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, x[off + i]);
  let z = 0;
  for (let i = 0; i < V; i++) z += Math.exp(x[off + i] - max);
  const lse = max + Math.log(z);
  let token = 0;
  if (T === 0) {
    for (let i = 0; i < V; i++) if (x[off + i] > x[off + token]) token = i;
  } else {
    const w = Array.from({ length: V }, (_, i) => Math.exp((x[off + i] - max) / T));
    let target = u * w.reduce((a, b) => a + b, 0);
    token = -1;
    for (let i = 0; i < V && token < 0; i++) if ((target -= w[i]) < 0) token = i;
  }
  return { token, logprob: x[off + token] - lse };
}

function randomLogits(rng: Rng, rows: number, V: number): Float32Array {
  const x = new Float32Array(rows * V);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 3;
  // A masked token, and a tie for the maximum in row 0.
  x[5] = -Infinity;
  x[7] = 40;
  x[V - 1] = 40;
  return x;
}

test('drawRows draws the reference token with the raw log-probability, at any temperature and thread count', () => {
  const rng = new Rng(3);
  const V = 5003; // three chunks of the kernel, the last one partial
  const rows = 6;
  const x = randomLogits(rng, rows + 1, V);
  // Rows in any order and at any offset of the buffer.
  const offsets = Int32Array.from([2, 0, 5, 1, 4, 3], (r) => r * V);
  const threads = getNumThreads();
  try {
    for (const T of [1, 0.7, 2, 0]) {
      for (let rep = 0; rep < 20; rep++) {
        const u = Float64Array.from({ length: rows }, () => rng.next());
        setNumThreads(2);
        const got = drawRows(x, offsets, V, T, u);
        setNumThreads(1);
        const single = drawRows(x, offsets, V, T, u);
        assert.deepEqual(single.tokens, got.tokens, 'tokens do not depend on the thread count');
        assert.deepEqual(single.logprobs, got.logprobs, 'log-probs do not depend on the thread count');
        offsets.forEach((off, r) => {
          const want = reference(x, off, V, T, u[r]);
          assert.equal(got.tokens[r], want.token, `row ${r} at T ${T}`);
          assert.ok(Math.abs(got.logprobs[r] - want.logprob) < 1e-12, `log-prob of row ${r}: ${got.logprobs[r]} vs ${want.logprob}`);
        });
      }
    }
  } finally {
    setNumThreads(threads);
  }
  // Greedy takes the lowest index among tied maxima; a masked token is never drawn.
  assert.equal(drawRows(x, Int32Array.of(0), V, 0, Float64Array.of(0)).tokens[0], 7);
  const zero = drawRows(x, Int32Array.of(0), V, 1, Float64Array.of(0));
  assert.notEqual(zero.tokens[0], 5);
});

test('logSumExpRows gives the double-precision normaliser of each row, as drawRows uses it', () => {
  const rng = new Rng(8);
  const V = 4100;
  const x = randomLogits(rng, 3, V);
  const offsets = Int32Array.of(V, 0, 2 * V);
  const lse = logSumExpRows(x, offsets, V);
  const drawn = drawRows(x, offsets, V, 0, new Float64Array(3));
  offsets.forEach((off, r) => {
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, x[off + i]);
    let z = 0;
    for (let i = 0; i < V; i++) z += Math.exp(x[off + i] - m);
    assert.ok(Math.abs(lse[r] - (m + Math.log(z))) < 1e-12, `row ${r}`);
    assert.equal(drawn.logprobs[r], x[off + drawn.tokens[r]] - lse[r]);
  });
  assert.equal(logSumExpRows(Float32Array.of(-Infinity, -Infinity), Int32Array.of(0), 2)[0], -Infinity);
});

test('drawRows checks its rows before the kernel runs', () => {
  const x = new Float32Array(10);
  assert.throws(() => drawRows(x, Int32Array.of(6), 5, 1, Float64Array.of(0.5)), /outside logits of 10/);
  assert.throws(() => drawRows(x, Int32Array.of(0), 5, 1, new Float64Array(2)), /2 uniforms for 1 rows/);
});

test('the kernel exp matches Math.exp to 1e-15 relative over the range sampling uses', () => {
  const x = Float64Array.from({ length: 20001 }, (_, i) => -708 + (708 * i) / 20000);
  x[0] = -Infinity;
  const y = nativeExp(x);
  assert.equal(y[0], 0);
  let worst = 0;
  for (let i = 1; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - Math.exp(x[i])) / Math.exp(x[i]));
  assert.ok(worst < 1e-15, `max relative error ${worst}`);
});

test('the maximum is found wherever it sits in a chunk: any lane of the 16-wide pass or the scalar tail', () => {
  const V = 2048 + 37; // a full chunk, then a partial one with a tail of 5 past its vectors
  for (const at of [0, 15, 16, 2047, 2048, 2048 + 31, 2048 + 32, V - 1]) {
    const x = new Float32Array(V + 3).fill(-5);
    x[3 + at] = 7.5; // rows start 3 floats in: unaligned loads
    const got = drawRows(x, Int32Array.of(3), V, 0, Float64Array.of(0));
    assert.equal(got.tokens[0], at, `maximum at ${at}`);
    assert.ok(Math.abs(got.logprobs[0] - reference(x, 3, V, 0, 0).logprob) < 1e-12, `log-prob with the maximum at ${at}`);
  }
});
