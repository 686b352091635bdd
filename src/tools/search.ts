// The `search` tool: Okapi BM25 over a JSON Lines corpus of passages ({"text": …, optional "id"
// and "title"}), top-k passages per query, formatted as Search-R1's numbered document list
// (tasks/tool-text.ts). The index is MiniSearch's (an npm library): its BM25+ scoring with the
// lower bound d set to 0 is Okapi BM25 (k1 1.2, b 0.75 here), except that MiniSearch measures a
// passage's length in distinct terms, and multiplies a passage's score by the number of query terms
// it matched. Exact terms only, no fuzzy or prefix matching: a query word absent from a passage
// never scores it.
import MiniSearch from 'minisearch';
import { InputError } from '../util/errors.js';
import { readJsonl } from '../util/jsonl.js';
import { formatPassages } from '../tasks/tool-text.js';
import { defineTool, type Tool } from './tool.js';

export interface Passage {
  id?: string;
  title?: string;
  text: string;
}

export const DEFAULT_TOP_K = 3;
export const BM25_PARAMS = { k: 1.2, b: 0.75, d: 0 };

/** Reads a JSON Lines corpus; a record without a text string is an InputError naming its line. */
export function readCorpus(file: string): Passage[] {
  const out: Passage[] = [];
  for (const { line, value } of readJsonl(file)) {
    if (typeof value.text !== 'string' || value.text.trim() === '') throw new InputError({ file, line, field: 'text' }, 'every passage needs a non-empty "text" string');
    for (const k of ['id', 'title'] as const) {
      if (value[k] !== undefined && typeof value[k] !== 'string') throw new InputError({ file, line, field: k }, `"${k}" must be a string`);
    }
    out.push({ id: value.id as string | undefined, title: value.title as string | undefined, text: value.text });
  }
  if (out.length === 0) throw new InputError({ file }, 'the search corpus holds no passages');
  return out;
}

/** A BM25 index over passages: `search(query, k)` returns the k best passages, best first. */
export class Bm25Index {
  private readonly index: MiniSearch<{ n: number; title: string; text: string }>;
  constructor(readonly passages: readonly Passage[]) {
    this.index = new MiniSearch({ idField: 'n', fields: ['title', 'text'], storeFields: [], searchOptions: { bm25: BM25_PARAMS, prefix: false, fuzzy: false } });
    this.index.addAll(passages.map((p, n) => ({ n, title: p.title ?? '', text: p.text })));
  }

  search(query: string, k: number): Passage[] {
    if (query.trim() === '') return [];
    return this.index.search(query, { bm25: BM25_PARAMS }).slice(0, k).map((r) => this.passages[r.id as number]);
  }
}

/** The search tool over `passages`, returning the top `topK` as `doc i: text` lines inside <information>. */
export function searchTool(passages: readonly Passage[], topK = DEFAULT_TOP_K): Tool {
  const index = new Bm25Index(passages);
  return defineTool({
    name: 'search',
    resultTag: 'information',
    description: `Searches the reference passages (BM25) and returns the ${topK} best, best first, as "doc i: text" lines.`,
    argument: 'query',
    call: (query) => formatPassages(index.search(query, topK).map((p) => p.text)),
  });
}
