// Chart.js configurations for a set of runs, as plain JSON. They are built once here and used
// both by the page (new Chart(canvas, config)) and by the PNG export, so the two always agree.
// Each dataset carries which run and which metric it draws (ahaRun/ahaKey/ahaSplit), which is
// how the live dashboard appends new points to the right line.
import { groupMetrics, metricNames } from './metric-groups.js';
import type { EvalRow, MetricRow, RunData } from './run-data.js';

export interface Point {
  x: number;
  y: number;
}

export interface LineDataset {
  label: string;
  data: Point[];
  borderColor: string;
  backgroundColor: string;
  borderDash: number[];
  /** Pixels a line may draw beyond the plot area, so end points are not cut in half. */
  clip: number;
  borderWidth: number;
  pointRadius: number;
  spanGaps: boolean;
  ahaRun: number;
  ahaKey: string;
  /** Eval charts only: the held-out split this line belongs to. */
  ahaSplit?: string;
}

export interface ChartConfigJson {
  type: 'line';
  data: { datasets: LineDataset[] };
  options: Record<string, unknown>;
}

export interface ChartSpec {
  id: string;
  title: string;
  section: string;
  main: boolean;
  source: 'metrics' | 'eval';
  config: ChartConfigJson;
}

// Tableau 10: distinct, print-safe colours.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const DASHES: number[][] = [[], [6, 3], [2, 2], [10, 3, 2, 3], [1, 4]];
/** Above this many points a line is drawn without point markers. */
const MARKER_LIMIT = 60;

const EVAL_TITLES: Record<string, string> = {
  accuracy: 'Held-out accuracy',
  mean_length: 'Held-out mean length (tokens)',
  reflect_rate: 'Held-out reflection words per completion',
  format_rate: 'Held-out format compliance',
};
const EVAL_NOT_CHARTED = new Set(['step', 'split', 'n']);

function lineStyle(runIndex: number, seriesIndex: number, runCount: number): { color: string; dash: number[] } {
  // One run: a colour per series. Several runs: a colour per run, a dash pattern per series.
  if (runCount === 1) return { color: PALETTE[seriesIndex % PALETTE.length], dash: [] };
  return { color: PALETTE[runIndex % PALETTE.length], dash: DASHES[seriesIndex % DASHES.length] };
}

function dataset(label: string, data: Point[], style: { color: string; dash: number[] }, runIndex: number, key: string): LineDataset {
  return {
    label,
    data,
    borderColor: style.color,
    backgroundColor: style.color,
    borderDash: style.dash,
    clip: 6,
    borderWidth: 1.75,
    pointRadius: data.length > MARKER_LIMIT ? 0 : 2,
    spanGaps: true,
    ahaRun: runIndex,
    ahaKey: key,
  };
}

export function chartOptions(title: string, yLabel: string): Record<string, unknown> {
  return {
    animation: false,
    // Points are already {x, y} numbers: skipping Chart.js's parsing pass speeds up long runs.
    parsing: false,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: {
      x: { type: 'linear', title: { display: true, text: 'step' } },
      y: { type: 'linear', title: { display: yLabel !== '', text: yLabel } },
    },
    plugins: {
      title: { display: true, text: title, font: { size: 14 } },
      legend: { display: true, labels: { boxWidth: 14, boxHeight: 2 } },
    },
  };
}

function seriesOf(rows: readonly MetricRow[], key: string): Point[] {
  const out: Point[] = [];
  for (const r of rows) if (typeof r[key] === 'number') out.push({ x: r.step, y: r[key] });
  return out;
}

function metricCharts(runs: readonly RunData[]): ChartSpec[] {
  const groups = groupMetrics(metricNames(runs.flatMap((r) => r.metrics)));
  return groups.map((g) => {
    const datasets: LineDataset[] = [];
    runs.forEach((run, ri) => {
      g.metrics.forEach((key, si) => {
        const label = runs.length > 1 ? `${run.name} · ${key}` : key;
        datasets.push(dataset(label, seriesOf(run.metrics, key), lineStyle(ri, si, runs.length), ri, key));
      });
    });
    return {
      id: g.id,
      title: g.title,
      section: g.section,
      main: g.main,
      source: 'metrics',
      config: { type: 'line', data: { datasets }, options: chartOptions(g.title, g.metrics.length === 1 ? g.metrics[0] : '') },
    };
  });
}

function evalSeries(rows: readonly EvalRow[], split: string, key: string): Point[] {
  const out: Point[] = [];
  for (const r of rows) if (r.split === split && typeof r[key] === 'number') out.push({ x: r.step, y: r[key] as number });
  return out;
}

function evalCharts(runs: readonly RunData[]): ChartSpec[] {
  const keys = metricNames(runs.flatMap((r) => r.evals)).filter((k) => !EVAL_NOT_CHARTED.has(k));
  const splits = [...new Set(runs.flatMap((r) => r.evals.map((e) => e.split)))];
  return keys.map((key) => {
    const title = EVAL_TITLES[key] ?? `Held-out ${key}`;
    const datasets: LineDataset[] = [];
    runs.forEach((run, ri) => {
      splits.forEach((split, si) => {
        const data = evalSeries(run.evals, split, key);
        if (data.length === 0) return;
        const label = runs.length > 1 ? `${run.name} · ${split}` : split;
        const ds = dataset(label, data, lineStyle(ri, si, runs.length), ri, key);
        ds.pointRadius = Math.max(ds.pointRadius, 2);
        ds.ahaSplit = split;
        datasets.push(ds);
      });
    });
    return {
      id: `eval-${key.replace(/[^a-zA-Z0-9]+/g, '-')}`,
      title,
      section: 'Evaluation',
      main: key === 'accuracy',
      source: 'eval' as const,
      config: { type: 'line' as const, data: { datasets }, options: chartOptions(title, key) },
    };
  });
}

/** Every chart of the report: the trainer's metrics by group, then held-out evaluation metrics. */
export function buildCharts(runs: readonly RunData[]): ChartSpec[] {
  return [...metricCharts(runs), ...evalCharts(runs)];
}

/**
 * A fingerprint of which lines exist (metric names, and per run the eval split/metric pairs), not
 * of their points: the dashboard rebuilds the page's charts only when this changes, and otherwise
 * just appends points to the lines the page already has.
 */
export function dataSignature(runs: readonly RunData[]): string {
  const metrics = metricNames(runs.flatMap((r) => r.metrics));
  const evals = runs.map((r) => {
    const pairs = new Set<string>();
    for (const e of r.evals) for (const k of Object.keys(e)) if (!EVAL_NOT_CHARTED.has(k)) pairs.add(`${e.split}/${k}`);
    return [...pairs].sort();
  });
  return JSON.stringify([metrics, evals]);
}
