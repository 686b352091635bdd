// The program inside a model completion. Real replies often hold several code blocks: the
// solution, then a usage example or the model's own tests. The block that counts is the last one
// of the completion's language that defines a function the tests call (when those names are
// known), else the last block of that language, else the last block; with no fence, the
// <answer> block, else the whole completion. A reply cut off inside its last block (a length
// limit, or a stop string that ate the closing fence) keeps that block's text.
import type { CodeTests } from './run.js';

interface Block {
  tag: string;
  body: string;
}

/** Blocks fenced by ``` or by ~~~ (Markdown's other fence), each closed by its own kind. */
function fencedBlocks(completion: string): Block[] {
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

function definesAny(body: string, names: readonly string[]): boolean {
  return names.some((name) => {
    const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^[ \\t]*(?:async\\s+)?(?:def|class|function)\\s+${n}\\b|^[ \\t]*(?:const|let|var)\\s+${n}\\s*=`, 'm').test(body);
  });
}

/** The program in `completion`; `defines`: names of the functions the tests call, when known. */
export function extractCode(completion: string, language?: string, defines: readonly string[] = []): string {
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
