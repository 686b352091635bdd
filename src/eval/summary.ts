// How an evaluation's result is shown: a small table for people and one JSON object for
// scripts (`--json`: `{"n", "samples", "pass@1", …, "pass@K", "maj@K", …}` as the last line).
import type { EvalResult } from './run.js';

export interface SummaryContext {
  data: string;
  model: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function summaryTable(r: EvalResult, ctx: SummaryContext): string {
  const rows: [string, string][] = Object.entries(r.metrics).map(([k, v]) => [k, pct(v)]);
  const width = Math.max(...rows.map(([k]) => k.length), 6);
  const meanLen = r.problems * r.samples > 0 ? r.usage.completionTokens / (r.problems * r.samples) : 0;
  const lines = [
    `${ctx.data}: ${r.problems} problem${r.problems === 1 ? '' : 's'} x ${r.samples} sample${r.samples === 1 ? '' : 's'}, ${ctx.model}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v.padStart(6)}`),
    `  tokens: ${r.usage.promptTokens} prompt, ${r.usage.completionTokens} completion (${meanLen.toFixed(0)} per sample)`,
    `  samples: ${r.generated} generated, ${r.resumed} resumed, ${r.retries} retries, ${r.seconds.toFixed(1)} s`,
    `  files: ${r.paths.samples}, ${r.paths.problems}`,
  ];
  return lines.join('\n') + '\n';
}

export function summaryJson(r: EvalResult, ctx: SummaryContext): Record<string, unknown> {
  return {
    n: r.problems,
    samples: r.samples,
    ...r.metrics,
    data: ctx.data,
    model: ctx.model,
    prompt_tokens: r.usage.promptTokens,
    completion_tokens: r.usage.completionTokens,
    generated: r.generated,
    resumed: r.resumed,
    retries: r.retries,
    seconds: Number(r.seconds.toFixed(3)),
    out: r.paths.samples,
    problems_file: r.paths.problems,
  };
}
