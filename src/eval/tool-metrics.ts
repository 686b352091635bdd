// The tool metrics of a tool-using evaluation: the ones training logs (tools/metrics.ts: calls per
// completion, share of completions using a tool, share of calls invalid), from the samples' calls.
// A served model's tokenizer is not at hand, so the tool results' size is counted in characters
// (tools/chars_per_completion) where training counts tokens.
import { toolMetrics } from '../tools/metrics.js';
import type { CompletionSegment } from '../tools/segments.js';
import type { SampleRecord } from './output.js';

export function evalToolMetrics(records: readonly Pick<SampleRecord, 'tool_calls'>[]): Record<string, number> {
  if (records.length === 0) return {};
  // Each result's size in characters stands where training has its tokens.
  const rows = records.map((r) => ({ segments: (r.tool_calls ?? []).map((c): CompletionSegment => ({ kind: 'tool', tool: c.tool, text: c.result, tokens: c.result.length, invalid: c.invalid })) }));
  const { 'tools/tokens_per_completion': chars, ...counted } = toolMetrics(rows);
  return { ...counted, 'tools/chars_per_completion': chars };
}
