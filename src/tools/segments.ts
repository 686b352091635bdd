// What a tool-using completion is made of: model-written and environment-written segments, in
// order. The sampler records them, the rollout carries them to completions.jsonl (docs/run-folder.md)
// and the tool metrics count calls from them.

export interface CompletionSegment {
  /** model: sampled tokens (in the loss); tool: a tool's result, written by the environment (masked). */
  kind: 'model' | 'tool';
  text: string;
  /** Tokens of the segment. */
  tokens: number;
  /** The tool called (tool segments). */
  tool?: string;
  /** The call was malformed, over the cap, for an unknown tool, failed or timed out (tool segments). */
  invalid?: boolean;
}

/** The completion's text: its segments in order. */
export function segmentsText(segments: readonly CompletionSegment[]): string {
  return segments.map((s) => s.text).join('');
}
