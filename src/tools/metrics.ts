// Per-step tool metrics (docs/run-folder.md), from the completions' segments: calls per
// completion, the share of completions that called a tool, the share of calls that were invalid,
// and tool tokens per completion. Empty when no completion came from the tool sampler.
import type { CompletionSegment } from './segments.js';

export function toolMetrics(rows: readonly { segments?: readonly CompletionSegment[] }[]): Record<string, number> {
  if (rows.length === 0 || !rows.some((r) => r.segments)) return {};
  let calls = 0;
  let users = 0;
  let invalid = 0;
  let tokens = 0;
  for (const r of rows) {
    const tools = (r.segments ?? []).filter((s) => s.kind === 'tool');
    calls += tools.length;
    if (tools.length > 0) users++;
    for (const s of tools) {
      if (s.invalid) invalid++;
      tokens += s.tokens;
    }
  }
  return {
    'tools/calls_per_completion': calls / rows.length,
    'tools/use_rate': users / rows.length,
    'tools/invalid_rate': calls > 0 ? invalid / calls : 0,
    'tools/tokens_per_completion': tokens / rows.length,
  };
}
