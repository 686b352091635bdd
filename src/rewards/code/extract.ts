// The program inside a model completion (after a reasoning model's </think>, up to an
// end-of-turn token kept as text). Real replies often hold several code blocks: the
// solution, then a usage example or the model's own tests. The block that counts is the last one
// of the completion's language that defines a function the tests call (when those names are
// known), else the last block of that language, else the last block; with no fence, the
// <answer> block, else the whole completion. A reply cut off inside its last block (a length
// limit, or a stop string that ate the closing fence) keeps that block's text.
import type { CodeTests } from './run.js';
import { afterThinking, beforeEndOfTurn } from '../reply.js';

interface Block {
  tag: string;
  body: string;
}

/**
 * Blocks fenced by ``` or by ~~~ (Markdown's other fence), as Markdown reads them: a fence opens
 * at the start of a line (after any indentation; a ``` fence's info string holds no backtick, so
 * "a ```python``` block" in prose opens nothing) and is closed by a line of at least as many of
 * its characters indented at most three columns more, so a ``` inside a docstring's deeper
 * indentation is text. A fence indented inside a list item has that indentation removed from its
 * lines. A fence with a language tag may also end a line of prose ("Sure! ```python"). Replies
 * with no such fence are read the loose way: any fence, closed by the next run of its characters.
 */
function fencedBlocks(completion: string): Block[] {
  const lines = completion.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING_FENCE.exec(lines[i]) ?? TRAILING_FENCE.exec(lines[i]);
    if (!open || (open[2][0] === '`' && open[3].includes('`'))) continue;
    const [, lead, fence, info] = open;
    const indent = /^[ \t]*$/.test(lead) ? lead : '';
    const tag = /^[\w+-]*/.exec(info.trim())![0];
    let close = i + 1;
    for (; close < lines.length; close++) {
      const c = CLOSING_FENCE.exec(lines[close]);
      if (c && c[2][0] === fence[0] && c[2].length >= fence.length && c[1].length <= indent.length + 3) break;
    }
    const dedent = (line: string): string => line.slice(Math.min(indent.length, /^[ \t]*/.exec(line)![0].length));
    let body = lines.slice(i + 1, close).map(dedent).join('\n');
    if (close >= lines.length) {
      // Unclosed: cut off at the length limit, or closed at the end of a code line ("return x```").
      const loose = body.indexOf(fence.slice(0, 3));
      blocks.push({ tag, body: loose < 0 ? body : body.slice(0, loose) });
      break;
    }
    if (close > i + 1) body += '\n';
    blocks.push({ tag, body });
    i = close;
  }
  return blocks.length > 0 ? blocks : looseBlocks(completion);
}

const OPENING_FENCE = /^([ \t]*)(`{3,}|~{3,})([^\n]*?)\r?$/;
// A fence with a language tag that ends a line of prose ("Sure! ```python") opens a block too.
const TRAILING_FENCE = /^(.*?\S[ \t]*)(`{3,}|~{3,})([\w+-]+[ \t]*)\r?$/;
const CLOSING_FENCE = /^([ \t]*)(`{3,}|~{3,})[ \t]*\r?$/;

/** Fences anywhere in the text (not only at line starts), each closed by the next run of its kind. */
function looseBlocks(completion: string): Block[] {
  const blocks: Block[] = [];
  const fence = /(```|~~~)([\w+-]*)[^\n]*\n/g;
  let open: RegExpExecArray | null;
  while ((open = fence.exec(completion)) !== null) {
    const start = open.index + open[0].length;
    const close = completion.indexOf(open[1], start);
    blocks.push({ tag: open[2], body: completion.slice(start, close < 0 ? undefined : close) });
    if (close < 0) break;
    fence.lastIndex = close + 3;
  }
  return blocks;
}

/**
 * True if `body` defines one of `names` at the start of a line: `def`, `class`, `function` (also
 * `async`, a generator's `function*`, and TypeScript's `export` / `export default`), or a
 * `const`/`let`/`var` binding (`export const f = (n: number): number => …`).
 */
export function definesAny(body: string, names: readonly string[]): boolean {
  return names.some((name) => {
    const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^[ \\t]*(?:export\\s+(?:default\\s+)?)?(?:async\\s+)?(?:def\\s+|class\\s+|function(?:\\s*\\*\\s*|\\s+))${n}\\b|^[ \\t]*(?:export\\s+)?(?:const|let|var)\\s+${n}\\s*(?::[^=\\n]*)?=`, 'm').test(body);
  });
}

/** The program in `completion`; `defines`: names of the functions the tests call, when known. */
export function extractCode(reply: string, language?: string, defines: readonly string[] = []): string {
  // A reasoning model's code is in its answer, not the drafts of its thinking; the reply ends at
  // an end-of-turn token kept as text.
  const whole = beforeEndOfTurn(reply);
  const completion = afterThinking(whole) ?? whole;
  const blocks = fencedBlocks(completion);
  if (blocks.length > 0) {
    const wanted = language ? blocks.filter((b) => matchesLanguage(b.tag, language)) : [];
    const pool = wanted.length > 0 ? wanted : blocks;
    const named = defines.length > 0 ? pool.filter((b) => definesAny(b.body, defines)) : [];
    return (named.length > 0 ? named : pool).at(-1)!.body;
  }
  const open = completion.lastIndexOf('<answer>');
  if (open >= 0) {
    const close = completion.indexOf('</answer>', open);
    return completion.slice(open + 8, close < 0 ? undefined : close).trim() + '\n';
  }
  return completion;
}

/** The functions a test suite calls by name: HumanEval's entry point, a call test's fn_name, or the names an assert script calls. */
export function testedNames(tests: CodeTests): string[] {
  if ('fn_name' in tests) return [tests.fn_name];
  if ('asserts' in tests) {
    if (tests.entry_point) return [tests.entry_point];
    return [...new Set([...tests.asserts.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]))];
  }
  return [];
}

function matchesLanguage(tag: string, language: string): boolean {
  const t = tag.toLowerCase();
  if (language === 'python') return t === 'python' || t === 'py' || t === 'python3';
  if (language === 'javascript') return t === 'javascript' || t === 'js' || t === 'node';
  if (language === 'typescript') return t === 'typescript' || t === 'ts';
  if (language === 'cpp') return t === 'cpp' || t === 'c++' || t === 'cc' || t === 'cxx';
  return t === language;
}
