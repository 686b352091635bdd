// Builds the tools a run names (training or evaluation) from its options, cheap checks first: an
// unknown name, the search corpus file (a bad line by file and line), the sandbox for python.
import { resolve } from 'node:path';
import { assertSandbox } from '../rewards/index.js';
import { worldCorpus } from '../tasks/world.js';
import { AhaError } from '../util/errors.js';
import type { ToolOptions } from './options.js';
import { pythonTool } from './python.js';
import { readCorpus, searchTool, type Passage } from './search.js';
import { defineTool, type Tool } from './tool.js';

export const BUILTIN_TOOLS = ['search', 'python'] as const;

/** Tasks that come with their own search corpus. */
const TASK_CORPORA: Readonly<Record<string, () => Passage[]>> = { world: () => worldCorpus() };

/** What building tools reads: the tool options and the task whose own corpus search may use. */
export type ToolSetup = ToolOptions & { task: string | null };

function corpusFor(o: ToolSetup): Passage[] {
  if (o.search_corpus !== null) return readCorpus(resolve(o.search_corpus));
  const own = o.task !== null ? TASK_CORPORA[o.task] : undefined;
  if (!own) throw new AhaError(`tools: search needs search_corpus (a JSON Lines file of {"text": …} passages)${o.task ? `; task ${o.task} has no corpus of its own` : ''}`);
  return own();
}

/**
 * A run's tool list split into the names it lists and the library user's own tools (checked by
 * defineTool). An object is a tool of the user's; anything else is a name, left to the options'
 * name check.
 */
export function splitTools(list: readonly unknown[]): { names: string[]; own: Tool[] } {
  const own = list.filter((t): t is Tool => typeof t === 'object' && t !== null).map(defineTool);
  const names = list.map((t) => (typeof t === 'object' && t !== null ? (t as Tool).name : t)) as string[];
  return { names, own };
}

/** The tools `o.tools` names, built-in or from `extra` (a library user's, by name). */
export function buildTools(o: ToolSetup, extra: readonly Tool[] = []): Tool[] {
  return o.tools.map((name) => {
    const own = extra.find((t) => t.name === name);
    if (own) return own;
    if (name === 'search') return searchTool(corpusFor(o), o.search_top_k);
    if (name === 'python') {
      assertSandbox();
      return pythonTool(o.tool_timeout * 1000);
    }
    throw new AhaError(`tools: unknown tool "${name}"; built in: ${BUILTIN_TOOLS.join(', ')}${extra.length ? `; given: ${extra.map((t) => t.name).join(', ')}` : ''}`);
  });
}
