// Which metrics share a chart. Every numeric metric a trainer logs is charted: known names
// (docs/run-folder.md) go to their chart in a fixed order, anything unknown gets a chart of its own,
// so a new metric never silently disappears from the report.

export interface ChartGroup {
  /** Stable id, also the PNG file name: e.g. "reward", "completion-length". */
  id: string;
  title: string;
  section: string;
  /** Metric names drawn in this chart, in legend order. */
  metrics: string[];
  /** Part of the main curves exported as PNG. */
  main: boolean;
}

interface Rule {
  id: string;
  title: string;
  section: string;
  main: boolean;
  match: (metric: string) => boolean;
}

const is =
  (...names: string[]) =>
  (m: string): boolean =>
    names.includes(m);
const re =
  (pattern: RegExp) =>
  (m: string): boolean =>
    pattern.test(m);

const RULES: Rule[] = [
  { id: 'reward', title: 'Reward (weighted total, mean)', section: 'Reward', main: true, match: is('reward/mean') },
  { id: 'reward-std', title: 'Reward standard deviation', section: 'Reward', main: false, match: is('reward/std') },
  { id: 'reward-by-function', title: 'Reward per function (mean)', section: 'Reward', main: true, match: re(/^reward\/.+\/mean$/) },
  { id: 'reward-by-function-std', title: 'Reward per function (std)', section: 'Reward', main: false, match: re(/^reward\/.+\/std$/) },
  { id: 'accuracy', title: 'Accuracy (share correct)', section: 'Accuracy', main: true, match: is('accuracy') },
  { id: 'frac-zero-std', title: 'Groups with equal rewards (no signal)', section: 'Accuracy', main: false, match: is('frac_zero_std') },
  { id: 'groups', title: 'Groups per step (sampled / trained)', section: 'Accuracy', main: false, match: is('sampled_groups', 'trained_groups') },
  { id: 'completion-length', title: 'Completion length (tokens)', section: 'Length', main: true, match: re(/^completion_length\//) },
  { id: 'truncated', title: 'Truncated completions (share)', section: 'Length', main: false, match: is('truncated_frac') },
  { id: 'reflect-rate', title: 'Reflection words per completion', section: 'Reflection', main: true, match: is('reflect_rate') },
  { id: 'kl', title: 'KL to reference', section: 'KL and entropy', main: true, match: is('kl') },
  { id: 'entropy', title: 'Entropy (per token)', section: 'KL and entropy', main: true, match: is('entropy') },
  { id: 'clip', title: 'Clip fractions', section: 'KL and entropy', main: false, match: re(/^clip\//) },
  { id: 'loss', title: 'Loss', section: 'Optimisation', main: true, match: is('loss', 'eval_loss') },
  { id: 'grad-norm', title: 'Gradient norm', section: 'Optimisation', main: false, match: is('grad_norm') },
  { id: 'lr', title: 'Learning rate', section: 'Optimisation', main: false, match: is('lr') },
  { id: 'throughput', title: 'Throughput (tokens/s)', section: 'Throughput', main: false, match: re(/^tokens_per_s\//) },
  { id: 'step-time', title: 'Time per step (s)', section: 'Throughput', main: false, match: (m) => m === 'seconds_per_step' || m.startsWith('time/') },
];

/** Fields of a metrics line that are not metrics. */
const NOT_METRICS = new Set(['step', 'time']);

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'metric';
}

/** Groups metric names (in first-seen order) into charts, known groups first in RULES order. */
export function groupMetrics(metricNames: Iterable<string>): ChartGroup[] {
  const known = new Map<string, ChartGroup>();
  const other: ChartGroup[] = [];
  const usedIds = new Set(RULES.map((r) => r.id));
  for (const name of metricNames) {
    if (NOT_METRICS.has(name)) continue;
    const rule = RULES.find((r) => r.match(name));
    if (rule) {
      const g = known.get(rule.id) ?? { id: rule.id, title: rule.title, section: rule.section, metrics: [], main: rule.main };
      if (!g.metrics.includes(name)) g.metrics.push(name);
      known.set(rule.id, g);
      continue;
    }
    if (other.some((g) => g.metrics[0] === name)) continue;
    let id = `metric-${slug(name)}`;
    while (usedIds.has(id)) id += '-x';
    usedIds.add(id);
    other.push({ id, title: name, section: 'Other metrics', metrics: [name], main: false });
  }
  const ordered = RULES.map((r) => known.get(r.id)).filter((g): g is ChartGroup => g !== undefined);
  return [...ordered, ...other];
}

/** Every metric name in the rows, in first-seen order. */
export function metricNames(rows: Iterable<Record<string, unknown>>): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) seen.add(k);
  return [...seen];
}
