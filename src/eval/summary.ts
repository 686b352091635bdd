// How an evaluation's result is shown: a small table for people and one JSON object for
// scripts (`--json`: `{"n", "samples", "pass@1", …, "pass@K", "maj@K", "pass@1_stderr", …}` as the last line).
import type { EvalResult } from './run.js';

export interface SummaryContext {
  data: string;
  model: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The tool metrics in a line: calls per answer, share of answers using a tool, invalid calls, result size. */
function toolLine(t: Record<string, number>): string {
  return `  tools: ${(t['tools/calls_per_completion'] ?? 0).toFixed(2)} calls per sample, ${pct(t['tools/use_rate'] ?? 0)} of samples used a tool, ${pct(t['tools/invalid_rate'] ?? 0)} of calls invalid, ${(t['tools/chars_per_completion'] ?? 0).toFixed(0)} result characters per sample`;
}

export function summaryTable(r: EvalResult, ctx: SummaryContext): string {
  // A metric with its standard error over problems: "pass@1  28.3% ± 8.2%".
  const rows: [string, string][] = Object.entries(r.metrics).map(([k, v]) => [k, r.stderr[k] === undefined ? pct(v) : `${pct(v).padStart(6)} ± ${pct(r.stderr[k])}`]);
  const width = Math.max(...rows.map(([k]) => k.length), 6);
  const meanLen = r.problems * r.samples > 0 ? r.usage.completionTokens / (r.problems * r.samples) : 0;
  const lines = [
    `${ctx.data}: ${r.problems} problem${r.problems === 1 ? '' : 's'} x ${r.samples} sample${r.samples === 1 ? '' : 's'}, ${ctx.model}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v.padStart(6)}`),
    `  tokens: ${r.usage.promptTokens} prompt, ${r.usage.completionTokens} completion (${meanLen.toFixed(0)} per sample)`,
    ...(r.tools ? [toolLine(r.tools)] : []),
    `  samples: ${r.generated} generated, ${r.resumed} resumed, ${r.retries} retries, ${r.seconds.toFixed(1)} s`,
    `  files: ${r.paths.samples}, ${r.paths.problems}`,
  ];
  return lines.join('\n') + '\n';
}

/** Each metric's standard error under `<metric>_stderr`, as --json and a pipeline's eval.json write them. */
export function stderrFields(r: Pick<EvalResult, 'stderr'>): Record<string, number> {
  return Object.fromEntries(Object.entries(r.stderr).map(([k, v]) => [`${k}_stderr`, v]));
}

export function summaryJson(r: EvalResult, ctx: SummaryContext): Record<string, unknown> {
  return {
    n: r.problems,
    samples: r.samples,
    ...r.metrics,
    ...stderrFields(r),
    data: ctx.data,
    model: ctx.model,
    prompt_tokens: r.usage.promptTokens,
    completion_tokens: r.usage.completionTokens,
    generated: r.generated,
    resumed: r.resumed,
    retries: r.retries,
    ...(r.tools ?? {}),
    seconds: Number(r.seconds.toFixed(3)),
    out: r.paths.samples,
    problems_file: r.paths.problems,
  };
}
