import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate } from '../../src/util/schedule.js';

test('warm-up rises linearly to the peak', () => {
  const o = { kind: 'cosine' as const, peakLr: 1e-3, warmupSteps: 4, totalSteps: 14 };
  assert.deepEqual([0, 1, 2, 3].map((s) => learningRate(o, s)), [2.5e-4, 5e-4, 7.5e-4, 1e-3]);
});

test('cosine reaches half the peak mid-decay and the floor at the end', () => {
  const o = { kind: 'cosine' as const, peakLr: 1, warmupSteps: 0, totalSteps: 10, minRatio: 0.1 };
  assert.equal(learningRate(o, 0), 1);
  assert.ok(Math.abs(learningRate(o, 5) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(o, 10) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRate(o, 50) - 0.1) < 1e-12);
});

test('linear and constant schedules', () => {
  assert.equal(learningRate({ kind: 'linear', peakLr: 2, warmupSteps: 0, totalSteps: 4 }, 1), 1.5);
  assert.equal(learningRate({ kind: 'constant', peakLr: 2, warmupSteps: 2, totalSteps: 4 }, 3), 2);
});
