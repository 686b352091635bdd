// Batches far beyond the usual size must not crash on JavaScript's argument limit: Math.max(...rows)
// over a few hundred thousand rows throws "Maximum call stack size exceeded" (a stack trace
// instead of a result or a clear error), as `aha train --prompts-per-step 100000` did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutMetrics } from '../../src/rl/metrics.js';
import type { ScoredRow } from '../../src/rl/rollout.js';
import { padBatch } from '../../src/rm/loss.js';

const ROWS = 300_000;

test('rollout metrics of a 300,000-row step give the length extremes', () => {
  const rows = Array.from({ length: ROWS }, (_, i) => ({ scores: [1], reward: 1, completionIds: new Int32Array(i === 7 ? 9 : i === 8 ? 1 : 3), correct: false, truncated: false, reflections: 0 })) as unknown as ScoredRow[];
  const m = rolloutMetrics(['accuracy'], rows, new Uint8Array(ROWS / 4));
  assert.equal(m['completion_length/min'], 1);
  assert.equal(m['completion_length/max'], 9);
});

test('a reward-model batch of 300,000 sequences pads to the longest', () => {
  const seqs = Array.from({ length: ROWS }, (_, i) => new Int32Array(i === 5 ? 4 : 2).fill(1));
  assert.equal(padBatch(seqs, 0).seqLen, 4);
});
