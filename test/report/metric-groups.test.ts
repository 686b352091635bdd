// Metric grouping: the documented names land in their charts, and no logged metric is dropped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupMetrics } from '../../src/report/metric-groups.js';

const DOCUMENTED = [
  'step', 'time', 'reward/mean', 'reward/std', 'reward/accuracy/mean', 'reward/accuracy/std', 'reward/format/mean', 'reward/format/std',
  'accuracy', 'frac_zero_std', 'completion_length/mean', 'completion_length/min', 'completion_length/max', 'truncated_frac', 'kl', 'entropy',
  'clip/low', 'clip/high', 'reflect_rate', 'loss', 'grad_norm', 'lr', 'tokens_per_s/sampling', 'tokens_per_s/training', 'seconds_per_step',
  'time/sampling', 'time/scoring', 'time/reference', 'time/training',
];

describe('groupMetrics', () => {
  it('puts related metrics in one chart and keeps the documented order', () => {
    const groups = groupMetrics(DOCUMENTED);
    const byId = new Map(groups.map((g) => [g.id, g.metrics]));
    assert.deepEqual(byId.get('reward-by-function'), ['reward/accuracy/mean', 'reward/format/mean']);
    assert.deepEqual(byId.get('completion-length'), ['completion_length/mean', 'completion_length/min', 'completion_length/max']);
    assert.deepEqual(byId.get('clip'), ['clip/low', 'clip/high']);
    assert.deepEqual(byId.get('step-time'), ['seconds_per_step', 'time/sampling', 'time/scoring', 'time/reference', 'time/training']);
    assert.deepEqual(groups.slice(0, 3).map((g) => g.id), ['reward', 'reward-std', 'reward-by-function']);
  });

  it('charts every metric exactly once, unknown ones in charts of their own', () => {
    const names = [...DOCUMENTED, 'my/custom metric', 'eval_loss', 'zeta'];
    const groups = groupMetrics(names);
    const charted = groups.flatMap((g) => g.metrics);
    assert.deepEqual([...charted].sort(), names.filter((n) => n !== 'step' && n !== 'time').sort());
    const custom = groups.find((g) => g.metrics.includes('my/custom metric'));
    assert.equal(custom?.id, 'metric-my-custom-metric');
    assert.equal(custom?.section, 'Other metrics');
    assert.equal(new Set(groups.map((g) => g.id)).size, groups.length, 'chart ids are unique');
  });

  it('omits charts for metrics a trainer does not log (SFT logs loss, lr, throughput)', () => {
    const ids = groupMetrics(['step', 'loss', 'eval_loss', 'lr', 'grad_norm', 'tokens_per_s/training']).map((g) => g.id);
    assert.deepEqual(ids, ['loss', 'grad-norm', 'lr', 'throughput']);
  });
});
