// The data embedded in (or, for the dashboard, served to) the report page: runs with their
// completions and evaluations, the chart configurations, and the live-update cursor.
import { buildCharts, dataSignature, type ChartSpec } from './chart-spec.js';
import { REFLECTION_WORDS } from './reflection.js';
import type { CompletionRow, EvalRow, MetricRow, RunData } from './run-data.js';

/** How far the page has read each run's files: counts of metric, completion and eval lines. */
export interface Cursor {
  m: number;
  c: number;
  e: number;
  /** eval_completions.jsonl lines. */
  x: number;
}

export interface RunSummary {
  steps: number;
  lastStep: number | null;
  /** Latest value of the headline metrics the run logs. */
  last: Record<string, number>;
}

export interface PageRun {
  name: string;
  dir: string;
  config: Record<string, unknown> | null;
  summary: RunSummary;
  completions: CompletionRow[];
  evals: EvalRow[];
  evalCompletions: CompletionRow[];
}

export interface PagePayload {
  title: string;
  generatedAt: string;
  /** Set in dashboard mode: the page polls api/updates every pollMs. */
  live: { pollMs: number } | null;
  /** Bumped by the dashboard when a run's files were truncated; the page then reloads. */
  generation: number;
  cursor: Cursor[];
  reflectionWords: readonly string[];
  runs: PageRun[];
  charts: ChartSpec[];
  sig: string;
}

const HEADLINE = ['reward/mean', 'accuracy', 'completion_length/mean', 'reflect_rate', 'kl', 'loss'];

export function summarize(metrics: readonly MetricRow[]): RunSummary {
  const last: Record<string, number> = {};
  for (const key of HEADLINE) {
    for (let i = metrics.length - 1; i >= 0; i--) {
      if (typeof metrics[i][key] === 'number') {
        last[key] = metrics[i][key];
        break;
      }
    }
  }
  return { steps: metrics.length, lastStep: metrics.length ? metrics[metrics.length - 1].step : null, last };
}

export function reportTitle(runs: readonly RunData[]): string {
  return `aha report: ${runs.map((r) => r.name).join(', ')}`;
}

export function buildPayload(runs: readonly RunData[], opts: { live?: { pollMs: number }; generation?: number } = {}): PagePayload {
  const charts = buildCharts(runs);
  return {
    title: reportTitle(runs),
    generatedAt: new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    live: opts.live ?? null,
    generation: opts.generation ?? 0,
    cursor: runs.map((r) => ({ m: r.metrics.length, c: r.completions.length, e: r.evals.length, x: r.evalCompletions.length })),
    reflectionWords: REFLECTION_WORDS,
    runs: runs.map((r) => ({ name: r.name, dir: r.dir, config: r.config, summary: summarize(r.metrics), completions: r.completions, evals: r.evals, evalCompletions: r.evalCompletions })),
    charts,
    sig: dataSignature(runs),
  };
}
