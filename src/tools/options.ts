// The tool options of a GRPO run (docs/tools.md) and their checks: which tools, the cap on calls
// per completion, the per-call timeout, and the search tool's corpus and k.

export interface ToolOptions {
  /** Tools the model may call: search, python, or a library tool's name; empty = no tools. */
  tools: string[];
  /** Calls per completion at most; a call past it gets an error result and counts as invalid. */
  max_tool_calls: number;
  /** Seconds one call may take; a slower call gets an error result and counts as invalid. */
  tool_timeout: number;
  /** JSON Lines passages for `search`; null = the task's own corpus (the world task has one). */
  search_corpus: string | null;
  /** Passages a search returns at most. */
  search_top_k: number;
}

/** Search-R1's defaults: max_turns 4 and top-k 3 (methods.md); a 10 s call limit is aha's choice. */
export const TOOL_DEFAULTS: ToolOptions = { tools: [], max_tool_calls: 4, tool_timeout: 10, search_corpus: null, search_top_k: 3 };

/** The first problem with the tool options, or null; each message names its field. */
export function toolOptionsProblem(c: ToolOptions): string | null {
  if (!Array.isArray(c.tools) || !c.tools.every((t) => typeof t === 'string' && t !== '')) return 'tools must be a list of tool names, e.g. [search, python]';
  if (new Set(c.tools).size !== c.tools.length) return `tools names a tool twice: ${c.tools.join(', ')}`;
  if (!(Number.isInteger(c.max_tool_calls) && c.max_tool_calls >= 1)) return `max_tool_calls must be an integer >= 1, got ${c.max_tool_calls}`;
  if (!(typeof c.tool_timeout === 'number' && Number.isFinite(c.tool_timeout) && c.tool_timeout > 0)) return `tool_timeout must be a number of seconds > 0, got ${c.tool_timeout}`;
  if (!(c.search_corpus === null || (typeof c.search_corpus === 'string' && c.search_corpus !== ''))) return 'search_corpus must be a JSON Lines file path (or null for the task\'s own corpus)';
  if (!(Number.isInteger(c.search_top_k) && c.search_top_k >= 1)) return `search_top_k must be an integer >= 1, got ${c.search_top_k}`;
  if (c.search_corpus !== null && !c.tools.includes('search')) return 'search_corpus is set but tools does not include search';
  // A setting that nothing reads is an error, not ignored.
  if (c.tools.length === 0) {
    for (const f of ['max_tool_calls', 'tool_timeout'] as const) if (c[f] !== TOOL_DEFAULTS[f]) return `${f} is set but tools is empty`;
  }
  if (c.search_top_k !== TOOL_DEFAULTS.search_top_k && !c.tools.includes('search')) return 'search_top_k is set but tools does not include search';
  return null;
}
