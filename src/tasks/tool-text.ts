// The text the environment writes into a tool-using completion (docs/tools.md): a tool's result
// inside its tag, and a search's passages. The rollout loop (rl/tools) and the tool-using evaluation (eval/tool-chat.ts) write it, and the
// miniature's pretraining corpus (world-corpus.ts) shows the same text, so they share this file.

/** A tool's result as appended after the model's closing call tag: `\n<tag>\nbody\n</tag>\n`. */
export function toolResultText(tag: string, body: string): string {
  return `\n<${tag}>\n${body}\n</${tag}>\n`;
}

/** What a search that found nothing returns. */
export const NO_RESULTS = 'no results.';

/** A search's passages, best first: `doc 1: text` lines (Search-R1's "Doc i" list, in the demo's characters). */
export function formatPassages(texts: readonly string[]): string {
  return texts.length === 0 ? NO_RESULTS : texts.map((t, i) => `doc ${i + 1}: ${t}`).join('\n');
}
