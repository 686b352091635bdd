// Readability filters for rejection sampling: pure functions that look at one completion and say
// whether it is fit to train on and, if not, why. Thresholds are plain options with documented
// defaults (docs/pipeline.md); the correctness check is not here (the verifiers own it).
// The rewards' own modules, not its index: the index registers every reward (and loads the CAS).
import { languageConsistency } from '../rewards/language.js';
import { strictFormat, thinkingText } from '../rewards/format.js';

export type FilterName = 'language' | 'tags' | 'format' | 'length' | 'repetition' | 'paragraphs' | 'code';

export const FILTER_NAMES: readonly FilterName[] = ['language', 'tags', 'format', 'length', 'repetition', 'paragraphs', 'code'];

/**
 * Filters on when none are named: every readability check except the strict template. R1's
 * rejection sampling dropped chains of thought with mixed languages, long paragraphs and code
 * blocks (`language`, `paragraphs`, `code`).
 */
export const DEFAULT_FILTERS: readonly FilterName[] = ['language', 'tags', 'length', 'repetition', 'paragraphs', 'code'];

export interface FilterThresholds {
  /** ISO 639-1 code of the language the chain of thought must be written in. */
  language: string;
  /** Least share of the thinking text's words in that language's script (R1's language reward). */
  minLanguage: number;
  /** Length bounds in characters (tokenizer-free, so they mean the same for every teacher). */
  minChars: number;
  maxChars: number;
  /** Word n-gram size of the repetition check. */
  ngram: number;
  /** Most times one word n-gram may occur; a loop repeats it more. */
  maxNgramRepeats: number;
  /** Longest paragraph of the thinking text (between blank lines), in characters. */
  maxParagraphChars: number;
}

export const DEFAULT_THRESHOLDS: FilterThresholds = {
  language: 'en',
  minLanguage: 0.95,
  minChars: 10,
  maxChars: 16_000,
  ngram: 5,
  maxNgramRepeats: 2,
  maxParagraphChars: 2000,
};

export interface FilterVerdict {
  passed: boolean;
  /** Why it failed, e.g. "language 0.62 < 0.95"; absent when it passed. */
  reason?: string;
}

const ok: FilterVerdict = { passed: true };
const fail = (reason: string): FilterVerdict => ({ passed: false, reason });

/**
 * The thinking text must be in the target language: at least `minLanguage` of its words in the
 * language's script. Text with no words at all (pure arithmetic) mixes no languages and passes.
 */
export function languageFilter(completion: string, t: FilterThresholds): FilterVerdict {
  const share = languageConsistency(thinkingText(completion), t.language);
  if (share === null || share >= t.minLanguage) return ok;
  return fail(`language: ${share.toFixed(2)} of the thinking words are ${t.language}, need ${t.minLanguage}`);
}

const TAG_PAIRS: readonly [string, string][] = [
  ['<think>', '</think>'],
  ['<answer>', '</answer>'],
];

/**
 * Every <think> and <answer> is closed by its own closing tag before another block opens, and
 * no closing tag appears without its opening one. (Rejection sampling judges the whole trace:
 * thinking a template opened or a reasoning parser split off is put back first, `fullTrace`.)
 */
export function tagsFilter(completion: string): FilterVerdict {
  const re = /<\/?(?:think|answer)>/g;
  let open: string | null = null;
  for (const m of completion.matchAll(re)) {
    const tag = m[0];
    const pair = TAG_PAIRS.find(([o, c]) => o === tag || c === tag)!;
    const isOpen = tag === pair[0];
    if (isOpen) {
      if (open !== null) return fail(`tags: ${tag} opened inside ${open}`);
      open = tag;
    } else {
      if (open !== pair[0]) return fail(`tags: ${tag} without a matching ${pair[0]}`);
      open = null;
    }
  }
  return open === null ? ok : fail(`tags: ${open} is never closed`);
}

/** The strict R1 template `<think>\n…\n</think>\n<answer>\n…\n</answer>` (the rewards part's check). */
export function formatFilter(completion: string): FilterVerdict {
  return strictFormat(completion) === 1 ? ok : fail('format: not exactly <think>…</think> then <answer>…</answer>');
}

export function lengthFilter(completion: string, t: FilterThresholds): FilterVerdict {
  const n = [...completion.trim()].length;
  if (n < t.minChars) return fail(`length: ${n} characters < ${t.minChars}`);
  if (n > t.maxChars) return fail(`length: ${n} characters > ${t.maxChars}`);
  return ok;
}

/** No word n-gram occurs more than `maxNgramRepeats` times: the signature of a generation loop. */
export function repetitionFilter(completion: string, t: FilterThresholds): FilterVerdict {
  const words = completion.split(/\s+/).filter((w) => w !== '');
  const counts = new Map<string, number>();
  for (let i = 0; i + t.ngram <= words.length; i++) {
    const key = words.slice(i, i + t.ngram).join(' ');
    const c = (counts.get(key) ?? 0) + 1;
    if (c > t.maxNgramRepeats) return fail(`repetition: "${key.slice(0, 60)}" occurs ${c} times (at most ${t.maxNgramRepeats})`);
    counts.set(key, c);
  }
  return ok;
}

/**
 * The chain of thought the paragraph and code filters look at: the think block's text, or nothing
 * when the completion has none (a plain answer, e.g. a non-reasoning teacher's code, is no CoT).
 */
function thinkBlock(completion: string): string {
  return completion.includes('<think>') || completion.includes('</think>') ? thinkingText(completion) : '';
}

/**
 * No paragraph of the thinking text (blank-line separated) is longer than `maxParagraphChars`
 * characters: a wall of text with no breaks is hard to read (R1's "long paragraphs").
 */
export function paragraphsFilter(completion: string, t: FilterThresholds): FilterVerdict {
  for (const paragraph of thinkBlock(completion).split(/\n[ \t]*\n/)) {
    const n = [...paragraph.trim()].length;
    if (n > t.maxParagraphChars) return fail(`paragraphs: a thinking paragraph of ${n} characters > ${t.maxParagraphChars}`);
  }
  return ok;
}

/**
 * The thinking text holds no fenced code block (a line opening with ``` or ~~~), R1's "code
 * blocks" in the chain of thought; code in the answer after the thinking is what code tasks
 * grade and is not looked at.
 */
export function codeFilter(completion: string): FilterVerdict {
  return /^[ \t]*(?:```|~~~)/m.test(thinkBlock(completion)) ? fail('code: a code block in the thinking') : ok;
}

export function runFilter(name: FilterName, completion: string, t: FilterThresholds): FilterVerdict {
  switch (name) {
    case 'language':
      return languageFilter(completion, t);
    case 'tags':
      return tagsFilter(completion);
    case 'format':
      return formatFilter(completion);
    case 'length':
      return lengthFilter(completion, t);
    case 'repetition':
      return repetitionFilter(completion, t);
    case 'paragraphs':
      return paragraphsFilter(completion, t);
    case 'code':
      return codeFilter(completion);
  }
}

export interface FilterReport {
  /** Names of the filters the completion passed, in the order run. */
  passed: FilterName[];
  /** Every failed filter with its reason; empty when the completion is kept. */
  failed: { filter: FilterName; reason: string }[];
}

/** Runs every named filter (not stopping at the first failure, so reports show all reasons). */
export function applyFilters(completion: string, names: readonly FilterName[], t: FilterThresholds = DEFAULT_THRESHOLDS): FilterReport {
  const report: FilterReport = { passed: [], failed: [] };
  for (const name of names) {
    const v = runFilter(name, completion, t);
    if (v.passed) report.passed.push(name);
    else report.failed.push({ filter: name, reason: v.reason ?? name });
  }
  return report;
}

/** The deduplication key of a completion: trimmed, whitespace runs collapsed to one space. */
export function normaliseCompletion(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Parses a filter list ("language,tags"), or null with the unknown name. */
export function parseFilterNames(spec: string | readonly string[]): { names: FilterName[] } | { unknown: string } {
  const parts = (typeof spec === 'string' ? [spec] : spec).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const names: FilterName[] = [];
  for (const p of parts) {
    if (p === 'none') continue;
    if (!(FILTER_NAMES as readonly string[]).includes(p)) return { unknown: p };
    if (!names.includes(p as FilterName)) names.push(p as FilterName);
  }
  return { names };
}
