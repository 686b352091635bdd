// Central finite differences of grpoLoss with respect to each log-prob, against its analytic
// gradient (shared by the loss tests; ratios should sit away from the clip kinks).
import assert from 'node:assert/strict';
import { grpoLoss, type MicroBatch, type Normaliser, type SurrogateOptions } from '../../src/rl/loss.js';

export function assertGradientMatchesFiniteDifferences(mb: MicroBatch, o: SurrogateOptions, nm: Normaliser, label: string): void {
  const { grad } = grpoLoss(mb, o, nm);
  const h = 1e-3;
  for (let k = 0; k < mb.logp.length; k++) {
    const plus = mb.logp.slice();
    plus[k] += h;
    const minus = mb.logp.slice();
    minus[k] -= h;
    const fd = (grpoLoss({ ...mb, logp: plus }, o, nm).loss - grpoLoss({ ...mb, logp: minus }, o, nm).loss) / (plus[k] - minus[k]);
    assert.ok(Math.abs(fd - grad[k]) < 1e-4 + 1e-3 * Math.abs(fd), `${label} k=${k}: fd ${fd} vs analytic ${grad[k]}`);
  }
}
