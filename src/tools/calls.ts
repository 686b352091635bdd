// Finding a tool call in the model's text: generation stops when a segment's text contains a
// tool's closing tag; the call's input is the text since the last matching opening tag.
import type { Tool } from './tool.js';

export interface FoundCall {
  tool: Tool;
  /** The trimmed text between the tags, or null when no opening tag precedes the closing one. */
  input: string | null;
}

/** The first tool call closed in `text` (a model segment), or null when no closing tag appears. */
export function findCall(text: string, tools: readonly Tool[]): FoundCall | null {
  let best: { tool: Tool; at: number } | null = null;
  for (const tool of tools) {
    const at = text.indexOf(`</${tool.name}>`);
    if (at >= 0 && (best === null || at < best.at)) best = { tool, at };
  }
  if (best === null) return null;
  const open = `<${best.tool.name}>`;
  const start = text.lastIndexOf(open, best.at);
  return { tool: best.tool, input: start < 0 ? null : text.slice(start + open.length, best.at).trim() };
}
